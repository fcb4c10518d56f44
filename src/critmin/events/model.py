"""Trained models of event extraction (issue 16): event types, roles, commodities and dates.

The rules of :mod:`critmin.events.extract` read a text (entities from the gazetteers, cue phrases,
dates and the events they would propose); five L2-regularised logistic regressions, trained on the
tuning split of the labelled corpus, decide from those readings:

- ``type``: which event types an article states, one model over (text, type) rows: what the
  rules read about the type (drafted, cue sentences, first cue) shared by all types, and the
  text's word stems, cues, drafts and soft cues (:mod:`critmin.events.hints`) conjoined with the
  type and its group; rows balanced per type;
- ``actor`` and ``target``: for each predicted type, every country (or bloc) mentioned is a
  candidate, described by where and how it is mentioned (first mention, count, the words around
  its mentions, whether it is a ministry or a demonym, whether it sits in a sentence cueing the
  type, whether the rules chose it); the actor is the best-scoring candidate, targets those above
  a threshold (for cooperative events: the other parties);
- ``commodity``: each catalog commodity mentioned, described the same way, and by how many of its
  mentions sit in sentences cueing the type;
- ``valid_from`` and ``valid_to``: each date the rules read (and each year named alone, read as
  1 January), with the rules' role for it (after "from", "until" ...), where it is and how it
  relates to the publication date (for valid_to also the phrase's kind, the word before it and
  what its sentence says: an act verb, the future, the background); the best-scoring date above
  a threshold (each has its own) is taken.

Dates themselves are still read by rules (:func:`critmin.events.extract.read_dates`), which
the models only choose among. Features are strings; weights are stored as JSON
(``critmin/data/models/event_models.json``) with the training command, the hyper-parameters and
the SHA-256 fingerprints of every training article and its labels. Training is deterministic:
the same articles give the same weights (L-BFGS from zero, features sorted). Texts of fewer than
four sentences are left to the rules. Choices are made by :mod:`critmin.events.crossval`.

Train with ``critmin events corpus train`` (tuning split only: held-out articles are dropped by
:func:`training_articles` before anything is read).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from critmin.events.corpus import Article
from critmin.events.datecues import (
    ACT_VERBS,
    AGAIN,
    BACKGROUND,
    FUTURE_OR_PLANNED,
    STARTING,
    months_alone,
)
from critmin.events.extract import (
    COOPERATIVE,
    Analysis,
    ProposedEvent,
    _check,
    _Draft,
    _finish,
    analyse,
)
from critmin.events.gazetteer import CRITICAL_MINERALS
from critmin.events.hints import read_hints
from critmin.events.measures import Measure, further_measures

MODEL_FILE = "event_models.json"
TRAIN_COMMAND = "critmin events corpus train"

GROUPS = {
    "export_control": "restrict",
    "export_ban": "restrict",
    "import_restriction": "restrict",
    "sanction": "sanction",
    "sanction_waiver": "sanction",
    "travel_advisory": "advisory",
    "agreement": "coop",
    "working_group": "coop",
    "investment": "coop",
    "stockpile": "stockpile",
    "supply_disruption": "disruption",
    "election": "election",
    "other": "other",
}

#: Hyper-parameters: L2 strengths and decision thresholds (chosen by cross-validation on the
#: tuning split, see docs/events.md).
DEFAULTS: dict[str, float] = {
    "l2_type": 1.0,
    "l2_role": 1.0,
    "l2_valid_from": 2.0,
    "type_threshold": 0.3,
    "rule_type_threshold": 0.15,
    "target_threshold": 0.6,
    "commodity_threshold": 0.4,
    "valid_from_threshold": 0.4,
    "valid_to_threshold": 0.35,
    "rules_when_empty": 1.0,
    "rules_below_sentences": 4,
    "second_actor_threshold": 0.5,
    "second_measure": 1,
}

#: Doc features seen in fewer training articles are dropped (words unique to one article
#: let a small training set be separated without learning anything general).
MIN_DF = 3

#: A sentence of at most this many tokens holding a date is a date line (a byline or dateline).
SHORT_LINE = 8

_YEAR_ALONE = re.compile(
    r"\b(?P<cue>in|since|from|by|until|through|of)\s+(?P<y>(?:19|20)\d\d)\b(?!\s*[-/]\d)"
)


# --- readings ---------------------------------------------------------------------------------


@dataclass
class Mention:
    """A country or commodity mention: its code, entity label, sentence and neighbouring words."""

    code: str
    label: str
    sent: int
    prev: str
    nxt: str
    context: frozenset[str] = frozenset()


class DateMention(NamedTuple):
    """A date read in a text, with its sentence.

    The rules' reading (see :class:`~critmin.events.extract.DateReading`); a year named alone
    ("since 2012") is kind ``year``, read as 1 January.
    """

    role: str
    strength: int
    value: date
    note: str
    sent: int
    before: str
    kind: str


@dataclass
class Reading:
    """What the models see of one text."""

    analysis: Analysis
    words: list[str]
    countries: list[Mention]
    commodities: list[Mention]
    dates: list[DateMention]
    hints: list[list[str]]


def read(text: str, published: date | None) -> Reading:
    """Analyse a text with the rules and collect the models' raw material."""
    a = analyse(text, published)
    doc = a.doc
    sent_of = np.zeros(len(doc), dtype=np.int32)
    for i, s in enumerate(a.sents):
        sent_of[s.start : s.end] = i
    words: list[str] = []
    for tok in doc:
        if tok.ent_iob_ == "B":
            words.append(f"<{tok.ent_type_}>")
        elif tok.ent_iob_ == "I":
            continue
        elif tok.is_alpha:
            words.append(tok.lower_)
        elif tok.is_digit:
            words.append("<num>")
        if tok.is_sent_end:
            words.append("<s>")
    countries: list[Mention] = []
    commodities: list[Mention] = []
    for e in doc.ents:
        j = e.start - 1
        while j >= 0 and doc[j].lower_ in ("the", "of") and j > e.start - 3:
            j -= 1
        prev = doc[j].lower_ if j >= 0 else "<start>"
        nxt = doc[e.end].lower_ if e.end < len(doc) else "<end>"
        m = Mention(str(e.ent_id_), e.label_, int(sent_of[e.start]), prev, nxt, mention_context(doc, e))
        if e.label_ == "COMMODITY":
            if m.code != CRITICAL_MINERALS:
                commodities.append(m)
        else:
            countries.append(m)
    dates = [
        DateMention(x.role, x.strength, x.value, x.note, i, x.before, x.kind)
        for i, xs in enumerate(a.date_readings)
        for x in xs
        if x.role != "unresolved"
    ]
    seen = {x.value for x in dates}
    for i, s in enumerate(a.sents):
        for hit in _YEAR_ALONE.finditer(s.text):
            d = date(int(hit.group("y")), 1, 1)
            if d not in seen:
                role = "year_to" if hit.group("cue") in ("until", "through", "by") else "year"
                note = f"'{hit.group(0)}' read as {d.isoformat()}"
                dates.append(DateMention(role, 0, d, note, i, hit.group("cue"), "year"))
                seen.add(d)
        for mo in months_alone(s.text, a.published):
            if mo.value not in seen:
                note = f"'{mo.text}' read as {mo.value.isoformat()}"
                role = "month_to" if mo.end else "month_alone"
                dates.append(DateMention(role, 0, mo.value, note, i, mo.cue, "month_alone"))
                seen.add(mo.value)
    return Reading(a, words, countries, commodities, dates, read_hints(doc, a.sents))


def _capitalised_word(tok: Any) -> bool:
    return bool(tok.is_alpha and tok.is_title and not tok.ent_type_ and not tok.is_sent_start)


def mention_context(doc: Any, ent: Any) -> frozenset[str]:
    """How a country mention sits in its sentence, for telling actors from targets and names.

    ``name``: a capitalised word (not an entity, not opening the sentence) right before or after
    it, as in "Anglo American Platinum" or "a South American country", where the country is
    part of a name, not a party; ``of_goods``: a commodity, "origin" or "-origin" right after it
    ("Russian aluminium", "Russian-origin diamonds"), the goods of a target rather than an actor;
    ``possessive``: "'s" after it ("China's ministry").
    """
    out: set[str] = set()
    before = doc[ent.start - 1] if ent.start > 0 else None
    after = doc[ent.end] if ent.end < len(doc) else None
    if ent.label_ != "COMMODITY":
        if (before is not None and _capitalised_word(before) and before.lower_ != "the") or (
            after is not None and _capitalised_word(after)
        ):
            out.add("name")
        if after is not None and (
            after.ent_type_ == "COMMODITY" or after.lower_ in ("origin", "-origin", "-", "made")
        ):
            out.add("of_goods")
        if after is not None and after.lower_ in ("'s", "’s"):
            out.add("possessive")
    return frozenset(out)


def doc_features(r: Reading) -> list[str]:
    """Features of the whole text (word stems, the rules' cues and drafts), before conjunction."""
    out = {"bias"}
    out.update("p:" + w[:5] for w in r.words if w != "<s>")
    for cues in r.analysis.cues:
        out.update("cue:" + k for k in cues)
    for d in r.analysis.drafts:
        out.add("rule:" + d.type)
    for hints in r.hints:
        out.update("hint:" + k for k in hints)
    if r.countries:
        out.add("has_country")
    if r.commodities:
        out.add("has_commodity")
    return sorted(out)


def _bucket(n: int, top: int) -> str:
    return str(min(n, top))


def _conjoin(base: Iterable[str], kind: str) -> list[str]:
    group = GROUPS.get(kind, "other")
    out: list[str] = []
    for f in base:
        out.extend((f, f"{group}|{f}", f"{kind}|{f}"))
    return out


def _cue_sents(r: Reading, kind: str) -> list[int]:
    return [i for i, cues in enumerate(r.analysis.cues) if kind in cues]


def _hint_sents(r: Reading, kind: str) -> list[int]:
    return [i for i, hints in enumerate(r.hints) if kind in hints]


def _drafts(r: Reading, kind: str) -> list[_Draft]:
    return [d for d in r.analysis.drafts if d.type == kind]


def type_features(r: Reading, kind: str, doc: Sequence[str] | None = None) -> list[str]:
    """Features of a text as one stating an event of type ``kind`` (one row per text and type).

    One model scores every type, so what the rules say about the type in question (they
    drafted it, how many sentences cue it, how early the first one comes) is learnt once for all
    types and carries over to rare ones; the words of the text (``doc``, from
    :func:`doc_features`) are conjoined with the type and with its group, so each type still
    has its own vocabulary and related types (export control, export ban ...) share theirs.
    """
    group = GROUPS.get(kind, "other")
    cue = _cue_sents(r, kind)
    base = ["bias", "cue_sents=" + _bucket(len(cue), 3)]
    if cue:
        base.append("first_cue=" + _bucket(cue[0], 3))
        base.append("first_cue_share=" + _bucket(4 * cue[0] // max(len(r.analysis.sents), 1), 3))
    if _drafts(r, kind):
        base.append("rule_drafted")
        if len(r.analysis.drafts) == 1:
            base.append("rule_only_draft")
    elif r.analysis.drafts:
        base.append("rule_drafted_other")
    hint = _hint_sents(r, kind)
    base.append("hint_sents=" + _bucket(len(hint), 3))
    if hint:
        base.append("first_hint=" + _bucket(hint[0], 3))
    words = doc_features(r) if doc is None else doc
    out = _conjoin(base, kind)
    out.extend(f"{kind}|{w}" for w in words if w != "bias")
    out.extend(f"{group}|{w}" for w in words if w != "bias")
    return out


def country_candidates(r: Reading) -> list[str]:
    """Distinct country codes in order of first mention."""
    return list(dict.fromkeys(m.code for m in r.countries))


def country_features(r: Reading, code: str, kind: str) -> list[str]:
    """Features of a country as the actor or a target of an event of type ``kind``."""
    order = country_candidates(r)
    mine = [m for m in r.countries if m.code == code]
    counts = [sum(1 for m in r.countries if m.code == c) for c in order]
    cue = set(_cue_sents(r, kind))
    drafts = _drafts(r, kind)
    base = [
        "bias",
        "rank=" + _bucket(order.index(code), 3),
        "first_sent=" + _bucket(mine[0].sent, 3),
        "count=" + _bucket(len(mine), 4),
    ]
    if len(mine) == max(counts):
        base.append("most_mentioned")
    if len(order) == 1:
        base.append("only_country")
    base.extend(sorted({"label=" + m.label for m in mine}))
    base.extend(sorted({"prev=" + m.prev for m in mine}))
    base.extend(sorted({"next=" + m.nxt for m in mine}))
    base.extend(sorted({"ctx=" + c for m in mine for c in m.context}))
    base.extend("ctx_all=" + c for c in sorted(frozenset.intersection(*(m.context for m in mine))))
    if any(m.sent in cue for m in mine):
        base.append("in_cue_sent")
        first_cue = min(cue)
        firsts = [m.code for m in r.countries if m.sent == first_cue]
        if firsts and firsts[0] == code:
            base.append("first_in_first_cue_sent")
        if code in firsts:
            base.append("in_first_cue_sent")
    hint = set(_hint_sents(r, kind))
    if any(m.sent in hint for m in mine):
        base.append("in_hint_sent")
        firsts = [m.code for m in r.countries if m.sent == min(hint)]
        if firsts and firsts[0] == code:
            base.append("first_in_first_hint_sent")
    if any(d.actor == code for d in drafts):
        base.append("rule_actor")
    if any(code in d.targets for d in drafts):
        base.append("rule_target")
    if any(code in d.parties for d in drafts):
        base.append("rule_party")
    if any(d.actor == code for d in r.analysis.drafts):
        base.append("rule_actor_any")
    if any(m.sent in d.sent_ids for d in drafts for m in mine):
        base.append("in_rule_evidence")
    return _conjoin(base, kind)


def target_features(r: Reading, code: str, kind: str, actor: str) -> list[str]:
    """Features of a country as a target of an event of type ``kind`` whose actor is ``actor``.

    Those of :func:`country_features`, plus how the country stands to the event's actor: named in
    a sentence with it (a cue sentence of the type or any), and listed as a target by the rules'
    draft of the type for that actor. A country named often elsewhere in the text (Japan in a
    briefing whose waiver concerns Iran and India) is then not a target for its count alone.
    """
    base = []
    with_actor = {m.sent for m in r.countries if m.code == actor}
    together = {m.sent for m in r.countries if m.code == code} & with_actor
    if together:
        base.append("with_actor_sent")
        if together & set(_cue_sents(r, kind)):
            base.append("with_actor_cue_sent")
    if any(d.actor == actor and code in d.targets for d in _drafts(r, kind)):
        base.append("actor_rule_target")
    return country_features(r, code, kind) + _conjoin(base, kind)


def commodity_features(r: Reading, code: str, kind: str) -> list[str]:
    """Features of a commodity as one an event of type ``kind`` is about.

    Besides where and how often it is named: how many of its mentions, and what share of them,
    sit in sentences cueing the type (a commodity of a second event in the text, or of a
    background sentence, is named elsewhere).
    """
    mine = [m for m in r.commodities if m.code == code]
    distinct = list(dict.fromkeys(m.code for m in r.commodities))
    cue = set(_cue_sents(r, kind))
    drafts = _drafts(r, kind)
    base = [
        "bias",
        "rank=" + _bucket(distinct.index(code), 3),
        "first_sent=" + _bucket(mine[0].sent, 3),
        "count=" + _bucket(len(mine), 3),
        "distinct=" + _bucket(len(distinct), 4),
    ]
    base.extend(sorted({"prev=" + m.prev for m in mine}))
    in_cue = sum(m.sent in cue for m in mine)
    base.append("cue_mentions=" + _bucket(in_cue, 3))
    base.append("cue_share=" + _bucket(4 * in_cue // len(mine), 4))
    if in_cue:
        base.append("in_cue_sent")
    if any(code in d.commodities for d in drafts):
        base.append("rule_commodity")
    if any(code in d.commodities for d in r.analysis.drafts):
        base.append("rule_commodity_any")
    if any(m.sent in d.sent_ids for d in drafts for m in mine):
        base.append("in_rule_evidence")
    return _conjoin(base, kind)


def date_candidates(r: Reading) -> list[date]:
    """Distinct dates read in the text, in order of first appearance."""
    return list(dict.fromkeys(x.value for x in r.dates))


def date_features(r: Reading, value: date, kind: str, which: str) -> list[str]:
    """Features of a date as the ``which`` (valid_from / valid_to) of an event of type ``kind``."""
    mine = [x for x in r.dates if x[2] == value]
    order = date_candidates(r)
    cue = set(_cue_sents(r, kind))
    drafts = _drafts(r, kind)
    base = ["bias", "rank=" + _bucket(order.index(value), 3), "n=" + _bucket(len(order), 3)]
    base.extend(sorted({f"role={x[0]}" for x in mine}))
    base.extend(sorted({f"role={x[0]}|s={x[1]}" for x in mine}))
    base.append("first_sent=" + _bucket(min(x[4] for x in mine), 3))
    if any(x[3] for x in mine):
        base.append("noted")
    if value == date(value.year, 1, 1):
        base.append("first_of_year")
    if any(x[4] in cue for x in mine):
        base.append("in_cue_sent")
    if any(x[4] in d.sent_ids for d in drafts for x in mine):
        base.append("in_rule_evidence")
    for d in drafts:
        got = d.dates.get(which)
        if got is not None and got[1] == value:
            base.append("rule_chose")
    if cue and any(x.sent == min(cue) for x in mine):
        base.append("in_first_cue_sent")
    if any(len(r.analysis.sents[x.sent]) <= SHORT_LINE for x in mine):
        base.append("short_line")  # a date line ("March 28, 2023", "Washington, Sep 23")
    if which == "valid_to":
        base.extend(_date_context(r, mine))  # helps the ends in CV, not the starts
    else:
        base.extend(_start_context(r, mine))
    pub = r.analysis.published
    if pub is not None:
        days = (value - pub).days
        if days > 0:
            base.append("after_pub")
        elif days == 0:
            base.append("on_pub")
        elif days > -30:
            base.append("month_before_pub")
        elif days > -366:
            base.append("year_before_pub")
        else:
            base.append("long_before_pub")
    return [f"{which}|{f}" for f in _conjoin(base, kind)]


def _date_context(r: Reading, mine: Sequence[DateMention]) -> list[str]:
    """What a date's phrase and sentence say about it (features of the end-date model).

    Its kind, the word before it, whether an act verb dates it ("signed on"), and whether its
    sentence is future or background. Cross-validation found them helping valid_to, not
    valid_from, so only the end-date model sees them.
    """
    out = {f"kind={x.kind}" for x in mine}
    out.update(f"before={x.before}" for x in mine)
    if any(x.before in ACT_VERBS for x in mine):
        out.add("after_act_verb")
    for x in mine:
        text = r.analysis.sents[x.sent].text
        if any(w in ACT_VERBS for w in re.findall(r"[a-z]+", text.lower())):
            out.add("sent_act_verb")
        if FUTURE_OR_PLANNED.search(text):
            out.add("sent_future")
        if BACKGROUND.search(text):
            out.add("sent_background")
    return sorted(out)


def _start_context(r: Reading, mine: Sequence[DateMention]) -> list[str]:
    """Whether a date's sentence starts something or tells of it again (features of valid_from)."""
    out: set[str] = set()
    for x in mine:
        text = r.analysis.sents[x.sent].text
        if STARTING.search(text):
            out.add("sent_starting")
        if AGAIN.search(text):
            out.add("sent_again")
    return sorted(out)


# --- logistic regression ----------------------------------------------------------------------


def _matrix(rows: Sequence[Sequence[str]], index: dict[str, int]) -> Any:
    from scipy import sparse

    data, cols, ptr = [], [], [0]
    for row in rows:
        ids = sorted({index[f] for f in row if f in index})
        cols.extend(ids)
        data.extend([1.0] * len(ids))
        ptr.append(len(cols))
    return sparse.csr_matrix(
        (np.asarray(data, dtype=np.float64), np.asarray(cols, dtype=np.int64), np.asarray(ptr)),
        shape=(len(rows), len(index)),
    )


def _balance(target: Any, stratum: Any) -> Any:
    """Row weights giving, within each stratum, the positives and negatives half its rows each."""
    weight = np.ones(len(target))
    for k in np.unique(stratum):
        rows = stratum == k
        n, pos = float(rows.sum()), float(target[rows].sum())
        if 0 < pos < n:
            weight[rows] = np.where(target[rows] > 0, n / (2 * pos), n / (2 * (n - pos)))
    return weight


def fit_logistic(
    rows: Sequence[Sequence[str]],
    y: Sequence[int],
    l2: float,
    min_count: int = 1,
    balanced: bool = False,
    strata: Sequence[str] | None = None,
) -> dict[str, float]:
    """Binary logistic regression, L2 penalty ``l2`` (not on ``bias``), by L-BFGS from zero.

    With ``balanced`` the positive and negative rows weigh half the total each; with ``strata``
    too, half of their stratum's rows each (so a rare stratum's few positives count as much as
    a common one's). Returns the weight of each feature seen in at least ``min_count`` rows
    (rounded to 6 places).
    """
    from scipy.optimize import minimize

    counts: dict[str, int] = {}
    for row in rows:
        for f in set(row):
            counts[f] = counts.get(f, 0) + 1
    names = sorted(f for f, n in counts.items() if n >= min_count or f == "bias")
    index = {f: i for i, f in enumerate(names)}
    if not rows or not names:
        return {}
    x = _matrix(rows, index)
    target = np.asarray(y, dtype=np.float64)
    weight = np.ones(len(target))
    positives = float(target.sum())
    if balanced and 0 < positives < len(target):
        weight = _balance(target, np.zeros(len(target), dtype=np.int64))
        if strata is not None:
            weight = _balance(target, np.unique(np.asarray(strata), return_inverse=True)[1])
    penalty = np.full(len(names), l2)
    if "bias" in index:
        penalty[index["bias"]] = 0.0

    def loss(w: Any) -> tuple[float, Any]:
        z = x @ w
        p = 1.0 / (1.0 + np.exp(-z))
        value = float(np.sum(weight * (np.logaddexp(0.0, z) - target * z)) + 0.5 * np.sum(penalty * w * w))
        grad = x.T @ (weight * (p - target)) + penalty * w
        return value, grad

    res = minimize(loss, np.zeros(len(names)), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return {f: round(float(w), 6) for f, w in zip(names, res.x, strict=True) if round(float(w), 6) != 0.0}


def probability(weights: dict[str, float], features: Iterable[str]) -> float:
    """The model's probability for one row of features."""
    z = sum(weights.get(f, 0.0) for f in set(features))
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


# --- training ---------------------------------------------------------------------------------


def training_articles(articles: Iterable[Article]) -> list[Article]:
    """The tuning split: every article not marked held out, sorted by id."""
    return sorted((a for a in articles if not a.heldout), key=lambda a: a.id)


def fingerprint(article: Article) -> dict[str, str]:
    """SHA-256 of an article's text fingerprints (its paragraphs') and of its labels."""
    text = hashlib.sha256("\n".join(p.sha256 for p in article.paragraphs).encode()).hexdigest()
    labels = hashlib.sha256(json.dumps(list(article.events), sort_keys=True).encode()).hexdigest()
    return {"id": article.id, "text_sha256": text, "labels_sha256": labels}


@dataclass
class Example:
    """A training article as read, with its labels."""

    article: Article
    reading: Reading


def _by_type(events: Iterable[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def train(examples: Sequence[Example], params: dict[str, float] | None = None) -> dict[str, Any]:
    """Fit the five models on read articles; every example must be of the tuning split."""
    p = {**DEFAULTS, **(params or {})}
    if any(ex.article.heldout for ex in examples):
        raise ValueError("a held-out article was given for training")
    types = sorted({e["type"] for ex in examples for e in ex.article.events})
    type_rows: list[list[str]] = []
    type_ys: list[int] = []
    for ex in examples:
        doc = doc_features(ex.reading)
        stated = {e["type"] for e in ex.article.events}
        for t in types:
            type_rows.append(type_features(ex.reading, t, doc))
            type_ys.append(int(t in stated))
    # balanced per type: a rare type's few articles weigh as much as a common type's many
    strata = [t for _ in examples for t in types]
    type_model = fit_logistic(type_rows, type_ys, p["l2_type"], MIN_DF, balanced=True, strata=strata)
    rows: dict[str, list[list[str]]] = {
        k: [] for k in ("actor", "target", "commodity", "valid_from", "valid_to")
    }
    ys: dict[str, list[int]] = {k: [] for k in rows}
    for ex in examples:
        r = ex.reading
        for t in sorted({e["type"] for e in ex.article.events}):
            events = _by_type(ex.article.events, t)
            actors = {e["actor"] for e in events}
            targets = {c for e in events for c in e["targets"]}
            if t in COOPERATIVE:
                targets |= actors
            for c in country_candidates(r):
                rows["actor"].append(country_features(r, c, t))
                ys["actor"].append(int(c in actors))
                rows["target"].append(target_features(r, c, t, events[0]["actor"]))
                ys["target"].append(int(c in targets))
            comms = {c for e in events for c in e["commodities"]}
            for c in dict.fromkeys(m.code for m in r.commodities):
                rows["commodity"].append(commodity_features(r, c, t))
                ys["commodity"].append(int(c in comms))
            for which in ("valid_from", "valid_to"):
                wanted = {e[which] for e in events if e[which]}
                for d in date_candidates(r):
                    rows[which].append(date_features(r, d, t, which))
                    ys[which].append(int(d.isoformat() in wanted))
    role_models = {k: fit_logistic(rows[k], ys[k], p.get(f"l2_{k}", p["l2_role"])) for k in rows}
    return {"params": p, "types": types, "type": type_model, **role_models}


# --- prediction -------------------------------------------------------------------------------


def _actors(models: dict[str, Any], r: Reading, kind: str, candidates: Sequence[str]) -> list[str]:
    """The actors of the events of type ``kind``: the best-scoring candidate, and a second one.

    A second event of the type is proposed, for measures one issuer takes (not cooperative
    events), when the rules drafted the type for the runner-up too and its score passes
    ``second_actor_threshold`` ("the FCO advises against travel ... France also advises").
    """
    ranked = sorted(
        (
            (probability(models["actor"], country_features(r, c, kind)), -i, c)
            for i, c in enumerate(candidates)
        ),
        reverse=True,
    )
    out = [c for _, _, c in ranked[:1]]
    if kind in COOPERATIVE or len(ranked) < 2:
        return out
    q, _, code = ranked[1]
    if q >= models["params"].get("second_actor_threshold", 1.1) and any(
        d.actor == code for d in _drafts(r, kind)
    ):
        out.append(code)
    return out


def _measure_event(first: ProposedEvent, extra: Measure, a: Analysis) -> ProposedEvent:
    """A second event of ``first``'s type and actor: a measure :func:`further_measures` found."""
    sentence = a.text[a.sents[extra.sent].start_char : a.sents[extra.sent].end_char].strip()
    return replace(
        first,
        commodities=extra.commodities,
        valid_from=extra.valid_from,
        valid_to=None,
        evidence=sentence,
        notes="; ".join(x for x in (first.notes, "a second measure of the type") if x),
    )


def _rules_alone(a: Analysis, source: str | None) -> list[ProposedEvent]:
    """The rules' own proposals, noted as such."""
    events = [_finish(d, a.published, source) for d in a.drafts]
    for e in events:
        e.notes = "; ".join(x for x in (e.notes, "proposed by the rules alone") if x)
    return events


def predict(models: dict[str, Any], r: Reading, source: str | None = None) -> list[ProposedEvent]:
    """Events of one read text."""
    p = models["params"]
    a = r.analysis
    pub = a.published
    if len(a.sents) < p.get("rules_below_sentences", 0):
        # too little text for the models, trained on articles of four sentences or more
        return _rules_alone(a, source)
    doc = doc_features(r)
    chosen = [(probability(models["type"], type_features(r, t, doc)), t) for t in models["types"]]
    ruled = {d.type for d in a.drafts}
    chosen = [
        (q, t)
        for q, t in chosen
        if (q >= p["type_threshold"] or (t in ruled and q >= p["rule_type_threshold"]))
    ]
    candidates = country_candidates(r)
    out: list[tuple[int, ProposedEvent]] = []
    events = [(q, t, c) for q, t in chosen for c in _actors(models, r, t, candidates)]
    for q, t, actor in events:
        targets = [
            c
            for c in candidates
            if c != actor
            and probability(models["target"], target_features(r, c, t, actor)) >= p["target_threshold"]
        ]
        comms = [
            c
            for c in dict.fromkeys(m.code for m in r.commodities)
            if probability(models["commodity"], commodity_features(r, c, t)) >= p["commodity_threshold"]
        ]
        rule = next((d for d in _drafts(r, t) if d.actor == actor), None) or next(iter(_drafts(r, t)), None)
        draft = _Draft(t, actor, [actor, *targets], targets, comms, [])
        notes: list[str] = []
        for which in ("valid_from", "valid_to"):
            best: tuple[float, date] | None = None
            threshold = p[f"{which}_threshold"]
            for d in date_candidates(r):
                s = probability(models[which], date_features(r, d, t, which))
                if s >= threshold and (best is None or s > best[0]):
                    best = (s, d)
            if best is not None:
                draft.dates[which] = (2, best[1])
                notes.extend(x[3] for x in r.dates if x[2] == best[1] and x[3])
        if rule is not None:
            if CRITICAL_MINERALS in rule.commodities:
                draft.commodities.append(CRITICAL_MINERALS)  # the marker, not a catalog id
            sent_ids = sorted(set(rule.sent_ids))
            draft.flags = set(rule.flags)
            notes = [n for n in rule.notes if n in notes or not n.startswith("'")] + notes
        else:
            sent_ids = _cue_sents(r, t)[:2] or sorted({m.sent for m in r.countries if m.code == actor})[:1]
        draft.sentences = [a.text[a.sents[i].start_char : a.sents[i].end_char].strip() for i in sent_ids]
        draft.notes = list(dict.fromkeys(notes))
        draft.actor_explicit = True
        event = _finish(draft, pub, source)
        event.confidence = round(q, 2)
        out.append((sent_ids[0] if sent_ids else len(a.sents), event))
        if p.get("second_measure", 0.0) and t not in COOPERATIVE:
            for extra in further_measures(r, _cue_sents(r, t), comms)[: int(p["second_measure"])]:
                out.append((extra.sent, _measure_event(event, extra, a)))
    if not out and p.get("rules_when_empty", 0.0) and a.drafts:
        # nothing the models would propose: the rules' own proposals, said so
        return _rules_alone(a, source)
    return [e for _, e in sorted(out, key=lambda x: x[0])]


# --- the shipped model ------------------------------------------------------------------------


def model_path() -> Path:
    """Where the shipped models live inside the package."""
    return Path(str(resources.files("critmin.data") / "models" / MODEL_FILE))


@lru_cache(maxsize=1)
def load_models() -> dict[str, Any]:
    """The shipped models (read once)."""
    with model_path().open(encoding="utf-8") as fh:
        shipped: dict[str, Any] = json.load(fh)
    return shipped["models"]


def shipped_manifest() -> dict[str, Any]:
    """The shipped file without its weights: command, parameters and training fingerprints."""
    with model_path().open(encoding="utf-8") as fh:
        shipped: dict[str, Any] = json.load(fh)
    return {k: v for k, v in shipped.items() if k != "models"}


def extract(text: str, *, published: date | None = None, source: str | None = None) -> list[ProposedEvent]:
    """Events proposed by the shipped models (see :func:`critmin.events.extract.extract`)."""
    pub = _check(text, published, source)
    if not text.strip():
        return []
    return predict(load_models(), read(text, pub), source)


def save(
    models: dict[str, Any], examples: Sequence[Example], unavailable: Sequence[Article], path: Path
) -> None:
    """Write the models with their provenance: command, parameters, training fingerprints."""
    payload = {
        "about": (
            "Logistic-regression weights of critmin's event extraction (critmin.events.model), "
            "trained on the tuning split (articles not held out) of extraction_corpus.json."
        ),
        "command": TRAIN_COMMAND,
        "params": models["params"],
        "trained_on": [fingerprint(ex.article) for ex in examples],
        "tuning_without_text": sorted(a.id for a in unavailable),
        "models": models,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")


def train_corpus(
    articles: Iterable[Article], folder: Path, params: dict[str, float] | None = None
) -> tuple[dict[str, Any], list[Example], list[Article]]:
    """Train on the tuning split of ``articles`` whose restored texts are in ``folder``.

    Held-out articles are dropped first, so their texts are never read. Returns the models, the
    examples trained on and the tuning articles without a text at hand.
    """
    from critmin.events.corpus import load_texts

    tuning = training_articles(articles)
    texts = load_texts(tuning, folder)
    examples = [Example(a, read(texts[a.id], a.published)) for a in tuning if a.id in texts]
    unavailable = [a for a in tuning if a.id not in texts]
    return train(examples, params), examples, unavailable
