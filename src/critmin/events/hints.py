"""Soft cues of event types, read for the trained models only (issue 16).

The rules of :mod:`critmin.events.extract` draft an event only from a strong cue ("export
controls", "sanctions waiver" ...). Many articles state a measure in other words: a loan or a
grant (an investment), a stockpile or a tender to buy (a stockpile), mines suspended or a
drought cutting canal transits (a supply disruption), anti-dumping duties or withhold release
orders (an import restriction), the Entity List (an export control), and the acts the corpus
labels ``other``: royalties and export taxes, nationalisations, licences revoked, mining quotas,
domestic processing or sale requirements. These words are too loose for the rules to draft an
event on; here they are only read, sentence by sentence, as *hints* of a type, and the type,
actor and role models weigh them with everything else (so "loan" in an article about a ban
does not make an investment unless the training articles say it should).

Hints never change the rules' drafts, so :func:`critmin.events.extract.extract_rules` is as
before.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


def _words(*forms: str) -> dict[str, Any]:
    return {"LOWER": {"IN": list(forms)}}


def _phrase(words: str) -> list[dict[str, Any]]:
    return [{"LOWER": w} for w in words.lower().split()]


_GAP = {"OP": "{0,4}", "IS_PUNCT": False}
_LICENCE = _words(
    "licence", "licences", "license", "licenses", "permit", "permits", "concession", "concessions"
)

#: Soft cue patterns per event type (spaCy Matcher token patterns).
HINT_PATTERNS: dict[str, list[list[dict[str, Any]]]] = {
    "other": [
        [_words("royalty", "royalties")],
        [_words("export", "exports"), _words("tax", "taxes", "levy", "levies", "duty", "duties")],
        [_words("tax", "taxes", "levy"), _words("on", "of"), _GAP, _words("export", "exports", "ore")],
        [_words(*(f"nationali{z}{end}" for z in "sz" for end in ("e", "ed", "es", "ing", "ation")))],
        [
            _words(
                "revoke", "revokes", "revoked", "revoking", "revocation", "cancel", "cancelled", "cancels"
            ),
            _GAP,
            _LICENCE,
        ],
        [_LICENCE, _GAP, _words("revoked", "cancelled", "canceled", "withdrawn", "revocation")],
        [_words("mining", "production", "output", "extraction"), _words("quota", "quotas")],
        [_words("domestic", "domestically"), _words("processing", "processed", "market", "sale", "sales")],
        [_words("processed", "refined", "sold"), _words("domestically", "locally")],
        [_words("strategic"), _words("substance", "substances")],
        [_words("investigation", "probe")],
        [_words("ruled", "ruling", "panel")],
        [_words("windfall", "mining"), _words("tax", "taxes", "code")],
    ],
    "stockpile": [
        [_words("stockpile", "stockpiles", "stockpiling", "stockpiled")],
        [_words("reserve", "reserves"), _words("bureau", "of", "agency", "programme", "program")],
        [_words("inventory", "stock", "stocks"), _words("target", "targets", "levels")],
        [_words("procurement", "procure", "procures", "tender", "tenders")],
        [_words("purchase", "purchases", "buy", "buys", "bought", "buying"), _GAP, _words("tons", "tonnes")],
        [_words("supply"), _words("contract", "contracts")],
    ],
    "investment": [
        [_words("loan", "loans", "grant", "grants", "funding", "financing", "equity")],
        [_words("finance", "financed", "finances"), _GAP, _words("project", "projects", "mine", "refinery")],
        [_words("earmark", "earmarks", "earmarked")],
        [_words("letter"), _words("of"), _words("interest", "support")],
        [_words("provide", "provides", "provided", "commit", "commits", "committed"), _words("up", "us")],
    ],
    "supply_disruption": [
        _phrase("care and maintenance"),
        [_words("shutdown", "shutdowns", "closure", "closures", "outage", "outages", "stoppage")],
        [
            _words("suspended", "suspends", "halted", "closed", "shut"),
            _GAP,
            _words("mine", "mines", "smelter"),
        ],
        [_words("ration", "rations", "rationing", "drought", "floods", "flooding", "blockade", "blockades")],
        [_words("strike", "strikes", "protest", "protests", "unrest", "riots")],
        [_words("restart", "restarts", "resume", "resumed", "resumes")],
        [
            _words("cut", "cuts", "reduced", "reduces"),
            _GAP,
            _words("transits", "traffic", "output", "production"),
        ],
        [_words("suspend", "suspension"), _GAP, _words("production", "operations", "output")],
    ],
    "import_restriction": [
        [_words("anti", "antidumping", "countervailing")],
        [_words("dumping"), _words("duty", "duties", "margin", "margins")],
        [_words("duty", "duties")],
        _phrase("withhold release order"),
        _phrase("withhold release orders"),
        [_words("wro", "wros")],
        [_words("tariff", "tariffs")],
    ],
    "export_control": [
        _phrase("entity list"),
        [_words("export", "exports"), _words("licence", "license", "licences", "licenses", "controls")],
        [_words("dual"), {"TEXT": "-", "OP": "?"}, _words("use")],
        [_words("technology", "technologies"), _GAP, _words("export", "exports", "controls", "catalogue")],
    ],
    "sanction": [
        [_words("designate", "designates", "designated", "designating", "designation", "designations")],
        _phrase("asset freeze"),
        [_words("sdn")],
        [_words("sanctions", "sanctioned"), _words("regime", "list", "package")],
        [_words("blocked", "blocking"), _words("persons", "property")],
    ],
    "sanction_waiver": [
        _phrase("general license"),
        [_words("wind"), {"TEXT": "-", "OP": "?"}, _words("down")],
        [_words("authorization", "authorizations", "authorisation", "authorized", "authorizes")],
        [_LICENCE, _GAP, _words("terminated", "terminates", "revoked", "revokes", "expire", "expires")],
        [_words("terminate", "terminates", "terminated", "revoke", "revokes", "revoked"), _GAP, _LICENCE],
    ],
    "travel_advisory": [
        [_words("travel"), _words("alert", "alerts", "advice", "warning", "warnings")],
        [_words("travellers", "travelers", "nationals", "citizens")],
    ],
    "working_group": [
        [_words("ministerial", "workshop", "forum", "dialogue", "roundtable", "network")],
        [_words("committee", "council", "group"), _words("on", "for")],
    ],
}


#: A compiled step: a set of words, a gap of up to n tokens that are not punctuation, or an
#: optional token.
_Step = tuple[str, Any]


def _step(token: dict[str, Any]) -> _Step:
    if "OP" in token and "TEXT" in token:
        return ("optional", token["TEXT"])
    if "OP" in token:
        return ("gap", int(token["OP"].strip("{}").split(",")[1]))
    lower = token["LOWER"]
    return ("words", frozenset(lower["IN"]) if isinstance(lower, dict) else frozenset([lower]))


@lru_cache(maxsize=1)
def _compiled() -> dict[str, list[tuple[str, tuple[_Step, ...]]]]:
    """The patterns by the words that can open them (every pattern opens with a set of words)."""
    out: dict[str, list[tuple[str, tuple[_Step, ...]]]] = {}
    for kind, patterns in HINT_PATTERNS.items():
        for pattern in patterns:
            steps = tuple(_step(t) for t in pattern)
            for word in steps[0][1]:
                out.setdefault(word, []).append((kind, steps[1:]))
    return out


def _matches(steps: tuple[_Step, ...], words: list[str], punct: list[bool], at: int) -> bool:
    if not steps:
        return True
    (op, arg), rest = steps[0], steps[1:]
    if op == "gap":
        for n in range(arg + 1):
            if n and (at + n > len(words) or punct[at + n - 1]):
                return False
            if _matches(rest, words, punct, at + n):
                return True
        return False
    if op == "optional":
        return (at < len(words) and words[at] == arg and _matches(rest, words, punct, at + 1)) or _matches(
            rest, words, punct, at
        )
    return at < len(words) and words[at] in arg and _matches(rest, words, punct, at + 1)


def read_hints(doc: Any, sents: list[Any]) -> list[list[str]]:
    """The event types hinted at by each sentence of ``doc``, by the sentence a match opens in.

    The patterns are few and each opens with a set of words, so a scan of the lower-cased
    tokens looking them up is much faster than a spaCy Matcher over the document.
    """
    out: list[list[str]] = [[] for _ in sents]
    if not sents:
        return out
    compiled = _compiled()
    words = [t.lower_ for t in doc]
    punct = [t.is_punct for t in doc]
    index = 0
    for i, word in enumerate(words):
        opening = compiled.get(word)
        if not opening:
            continue
        while index + 1 < len(sents) and sents[index + 1].start <= i:
            index += 1
        for kind, rest in opening:
            if kind not in out[index] and _matches(rest, words, punct, i + 1):
                out[index].append(kind)
    return out
