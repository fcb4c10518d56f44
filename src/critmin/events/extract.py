"""Propose events from plain-text news and government briefings, offline.

Pipeline: ``spacy.blank("en")`` (no model files) with a sentencizer that also breaks at line ends,
an EntityRuler whose patterns are the gazetteers of :mod:`critmin.events.gazetteer` (countries,
demonyms, capitals and ministries as ISO3; commodities as catalog ids), token rules that cue event
types, and date phrases found by regular expressions and parsed with :mod:`dateparser` against the
publication date (``RELATIVE_BASE``). Proposals are for review before they enter the register.

Rules in short
--------------
- A sentence with a *strong* cue (e.g. "export controls", "ban on ... exports", "sanctions waiver",
  "Joint Working Group", "advisory ... avoid visiting", "elections", "signed", "MoU") proposes an
  event; export restrictions need a commodity in the sentence, otherwise the sentence can only
  add dates, targets and evidence to an event of the same type already proposed.
- Actor: a government body or capital in the sentence ("MOFCOM", "MEA"), else the first country;
  if none, the nearest earlier sentence's first country. Targets: "exports to X", "X-bound",
  "visiting X"; for sanctions, waivers and advisories every other country in the evidence; for
  cooperative events (agreement, working group, investment) the other parties ("both countries"
  refers back to the last sentence naming two or more countries).
- Dates: after "from", "starting", "effective", "since" -> valid_from; after "until", "till",
  "expires" -> valid_to; else the first date of the evidence not right after a reporting verb
  ("said on Monday") is a weaker valid_from. Dates without a year take the publication year,
  rolled forward (start and end dates) or back (others) when far from it; "early 2026" reads
  2026-01-01 with a note.
- Events of the same type and actor (cooperative: the same parties) within one text merge.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from critmin.events.datecues import weekday_ahead
from critmin.events.gazetteer import CRITICAL_MINERALS, commodity_entries, country_entries

COOPERATIVE = frozenset({"agreement", "working_group", "investment"})
RESTRICTIVE = frozenset({"export_control", "export_ban", "import_restriction"})
_ONE_ISSUER = frozenset({"sanction", "sanction_waiver", "travel_advisory"})

_MONTHS = (
    r"Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|"
    r"Aug(?:ust|\.)?|Sept?(?:ember|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?"
)
_YEARISH = r"(?:,?\s*(?:\d{4}|this year|last year|next year))?"
_DATE_RE = re.compile(
    rf"\b(?:(?P<dm>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{_MONTHS}){_YEARISH}"
    rf"|(?P<m2>{_MONTHS})\s+(?P<md>\d{{1,2}})(?:st|nd|rd|th)?\b{_YEARISH}"
    rf"|(?P<m3>{_MONTHS})\s+(?P<my>\d{{4}})"
    r"|(?P<part>early|mid|late|end of|end-|the end of|beginning of)[\s-]*(?P<py>20\d\d|19\d\d)"
    r"|(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|today|yesterday))\b",
    re.IGNORECASE,
)
_FROM_CUES = frozenset(
    {"from", "starting", "start", "effective", "since", "beginning", "begin", "begins", "as", "dates"}
)
_FROM_PHRASES = ("take effect", "takes effect", "took effect", "come into force", "enter into force")
_TO_CUES = frozenset({"until", "till", "through", "expires", "expire", "expiring", "ends", "end"})
_REPORTING = frozenset(
    {"said", "says", "told", "announced", "reported", "seen", "stated", "confirmed", "added", "published"}
)
_AUX = frozenset({"was", "were", "is", "are", "be", "been", "had", "has", "have", "will", "that", "would"})
_DATELINE_AFTER = re.compile(r"^\s*\((?:[A-Z][A-Za-z]*\s?){1,3}\)")
_DATELINE_BEFORE = re.compile(r"^[\sA-Z\[\]()a-z]*?[A-Z]{2,}[^a-z]*,\s*$|^[A-Z][a-z]+ \[[A-Z][a-z]+\],\s*$")
_CONTINUATION = re.compile(r"^(?:He|She|They|It|This|The spokesperson|The minister)\b")
_BOTH = re.compile(r"\b(?:both countries|both sides|the two countries|two countries|both nations)\b", re.I)
_FUTURE = re.compile(r"\b(?:will|shall|to be|set to|plans? to|planned|decided to|is to|are to|would)\b", re.I)
_PROPOSED = re.compile(r"\b(?:considering (?:a|an|whether|to)|weighing|proposed|draft|mulls)\b", re.I)
_LIFTED = re.compile(r"\b(?:lifted|lifts|lift the|scrapped|revoked|ended)\b", re.I)
_SUSPENDED_STATUS = re.compile(r"\b(?:suspended the (?:controls|ban)|paused)\b", re.I)
_LIFTING_BAN = re.compile(r"\b(?:lift|lifts|lifted|lifting|end|ends|ended|ending)\b[^.]{0,40}\bban\b", re.I)
_IMMEDIATE = re.compile(r"\b(?:with immediate effect|effective immediately|immediately)\b", re.I)
#: "U.S.-Canada": split a country pair whose first name ends in a dot (same length, same offsets).
_DOTTED_PAIR = re.compile(r"(?<=\.)-(?=[A-Z])")


@dataclass
class ProposedEvent:
    """An event proposed from text, for review before it enters the register.

    Attributes
    ----------
    type : str
        One of :data:`EVENT_TYPES`.
    actor : str
        ISO3 (or bloc code) of who acts; empty when the text does not say.
    targets : tuple of str
        ISO3 codes acted on (other parties for cooperative events); empty = all / not stated.
    commodities : tuple of str
        Catalog commodity ids; :data:`~critmin.events.gazetteer.CRITICAL_MINERALS` marks
        "critical minerals" in general.
    valid_from, valid_to : datetime.date or None
        Start and end of validity, absolute.
    status : str
        announced, in_force, suspended, expired, lifted or proposed.
    title : str
        A short generated title.
    evidence : str
        The sentence(s) of the source that state it.
    confidence : float
        0-1, higher when actor, commodity and dates were read from the evidence itself.
    published : datetime.date or None
        Publication date of the source (the base for relative dates).
    source : str or None
        Publisher or file name given by the caller.
    notes : str
        How dates were read, fallbacks taken.
    """

    type: str
    actor: str
    targets: tuple[str, ...] = ()
    commodities: tuple[str, ...] = ()
    valid_from: date | None = None
    valid_to: date | None = None
    status: str = "announced"
    title: str = ""
    evidence: str = ""
    confidence: float = 0.5
    published: date | None = None
    source: str | None = None
    notes: str = ""

    @property
    def event_id(self) -> str:
        """Stable slug: actor, commodities (or type) and year, e.g. ``chn-gallium-germanium-2023``."""
        year = self.valid_from or self.published
        parts = [self.actor.lower() or "unk"]
        comms = [c for c in self.commodities if c != CRITICAL_MINERALS]
        parts.extend(c.replace("_", "-") for c in comms[:3]) if comms else parts.append(
            self.type.replace("_", "-")
        )
        if year is not None:
            parts.append(str(year.year))
        return "-".join(parts)

    def to_row(self) -> dict[str, Any]:
        """The event as a row of the shared event contract (lists comma-joined)."""
        return {
            "event_id": self.event_id,
            "type": self.type,
            "actor": self.actor,
            "targets": ",".join(self.targets),
            "commodities": ",".join(c for c in self.commodities if c != CRITICAL_MINERALS),
            "hs_codes": "",
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "status": self.status,
            "fraction": None,
            "title": self.title,
            "evidence": self.evidence,
            "publisher": self.source or "",
            "url": "",
            "published": self.published,
            "notes": self.notes,
        }


@dataclass
class _Draft:
    type: str
    actor: str
    parties: list[str]
    targets: list[str]
    commodities: list[str]
    sentences: list[str]
    dates: dict[str, tuple[int, date]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    actor_explicit: bool = True
    flags: set[str] = field(default_factory=set)
    sent_ids: list[int] = field(default_factory=list)


# --- pipeline -------------------------------------------------------------------------------


def _tok(words: str) -> list[dict[str, Any]]:
    return [{"LOWER": w} for w in words.lower().split()]


_ANY3 = {"OP": "{0,3}", "IS_PUNCT": False}
_EXPORT_WORDS = ["export", "exports", "exporting", "shipments", "shipment", "outflows"]
_BAN_WORDS = [
    "ban", "bans", "banned", "banning", "halt", "halts", "halted", "halting", "stop",
    "stops", "stopped", "suspend", "suspends", "suspended", "suspending", "suspension",
    "embargo", "prohibit", "prohibits", "prohibited", "block", "blocks", "blocked",
]  # fmt: skip
_CONTROL_WORDS = ["restriction", "restrictions", "controls", "control", "curbs", "curb", "limits"]


def _cue_patterns() -> dict[str, list[list[dict[str, Any]]]]:
    return {
        "export_ban": [
            [{"LOWER": {"IN": _BAN_WORDS}}, _ANY3, {"LOWER": {"IN": _EXPORT_WORDS}}],
            [
                {"LOWER": {"IN": ["export", "exports"]}},
                {"LOWER": {"IN": ["ban", "bans", "embargo", "halt", "suspension"]}},
            ],
            [
                {"LOWER": {"IN": _EXPORT_WORDS}},
                {"LOWER": {"IN": ["were", "was", "are", "is", "been", "be"]}},
                {"LOWER": {"IN": ["suspended", "halted", "banned", "stopped", "blocked"]}},
            ],
        ],
        "export_control": [
            [
                {"LOWER": {"IN": ["export", "exports"]}},
                {
                    "LOWER": {
                        "IN": [
                            *_CONTROL_WORDS,
                            "licence",
                            "licences",
                            "license",
                            "licenses",
                            "licensing",
                            "permit",
                            "permits",
                            "quota",
                            "quotas",
                        ]
                    }
                },
            ],
            [
                {"LOWER": {"IN": _CONTROL_WORDS}},
                {"LOWER": {"IN": ["on", "to"]}},
                {"OP": "{0,2}", "IS_PUNCT": False},
                {"LOWER": {"IN": ["export", "exports"]}},
            ],
            [
                {
                    "LOWER": {
                        "IN": [
                            "restrict",
                            "restricts",
                            "restricted",
                            "restricting",
                            "limit",
                            "limits",
                            "limited",
                            "control",
                            "controls",
                            "curb",
                            "curbs",
                            "tighten",
                            "tightens",
                        ]
                    }
                },
                {"OP": "{0,2}", "IS_PUNCT": False},
                {"LOWER": {"IN": ["export", "exports"]}},
            ],
            [
                {"LOWER": {"IN": ["licence", "license"]}},
                {"LOWER": "for"},
                {"LOWER": {"IN": ["shipment", "shipments", "export", "exports"]}},
            ],
            [
                {"LOWER": {"IN": ["exporters", "exporter"]}},
                {"OP": "{0,8}"},
                {
                    "LOWER": {
                        "IN": ["permit", "permits", "licence", "licences", "license", "licenses", "approval"]
                    }
                },
            ],
        ],
        "import_restriction": [
            [
                {"LOWER": {"IN": ["tariff", "tariffs"]}},
                {"LOWER": {"IN": ["rate", "rates", "increase", "increases", "hike", "hikes"]}},
            ],
            [
                {
                    "LOWER": {
                        "IN": [
                            *("impose", "imposes", "imposed", "raise", "raises", "raised"),
                            *("increase", "increased", "increasing", "higher"),
                        ]
                    }
                },
                {"OP": "{0,4}"},
                {"LOWER": {"IN": ["tariff", "tariffs"]}},
            ],
            [
                {"LOWER": {"IN": ["import", "imports"]}},
                {
                    "LOWER": {
                        "IN": [
                            *("ban", "bans", "restrictions", "controls", "quota", "quotas", "curbs"),
                            *("tariff", "tariffs", "duty", "duties"),
                        ]
                    }
                },
            ],
            [{"LOWER": {"IN": ["tariff", "tariffs"]}}, {"LOWER": {"IN": ["on", "of", "against"]}}],
            [{"LOWER": {"IN": ["increases", "increase", "hikes"]}}, {"LOWER": "in"}, {"LOWER": "tariffs"}],
            [
                {"LIKE_NUM": True},
                {"TEXT": {"IN": ["%", "-per-cent", "percent", "per"]}},
                {"OP": "{0,2}"},
                {"LOWER": {"IN": ["tariff", "tariffs"]}},
            ],
            [{"LOWER": {"IN": ["ban", "bans", "banned", "banning"]}}, {"LOWER": "on"}, {"ENT_TYPE": "NORP"}],
            [
                {"LOWER": {"IN": [*_BAN_WORDS, "restrict", "restricts", "restricted"]}},
                _ANY3,
                {"LOWER": {"IN": ["import", "imports"]}},
            ],
        ],
        "sanction_waiver": [
            [
                {"LOWER": {"IN": ["exempted", "exempts", "exempt", "exemption", "exception"]}},
                {"OP": "{0,4}"},
                {"LOWER": {"IN": ["sanction", "sanctions"]}},
            ],
            [
                {"LOWER": {"IN": ["sanction", "sanctions"]}},
                {"LOWER": {"IN": ["waiver", "waivers", "exemption", "exemptions"]}},
            ],
            [
                {"LOWER": {"IN": ["waiver", "waivers"]}},
                {"LOWER": "from"},
                {"OP": "?"},
                {"LOWER": {"IN": ["sanction", "sanctions"]}},
            ],
        ],
        # relief from sanctions: a waiver, but unlike the cues above it does not rule out that the
        # same sentence also states a sanction ("granted exemptions ... as it reimposed sanctions")
        "sanction_relief": [
            [{"LOWER": "general"}, {"LOWER": {"IN": ["license", "licenses", "licence", "licences"]}}],
            [{"LOWER": {"IN": ["sanction", "sanctions"]}}, {"LOWER": "relief"}],
            [
                {"LOWER": {"IN": ["ease", "eases", "eased", "easing", "suspend", "suspends", "suspended"]}},
                {"OP": "{0,5}", "IS_PUNCT": False},
                {"LOWER": {"IN": ["sanction", "sanctions"]}},
            ],
            [
                {"LOWER": {"IN": ["granted", "grants", "grant", "issued", "extends", "extended"]}},
                {"OP": "{0,3}", "IS_PUNCT": False},
                {"LOWER": {"IN": ["waiver", "waivers", "exemption", "exemptions"]}},
            ],
        ],
        "sanction": [
            [
                {"LOWER": {"IN": ["sanctions", "sanctioned", "sanctioning"]}},
                {"LOWER": {"IN": ["on", "against"]}},
            ],
            [{"LOWER": {"IN": ["imposed", "imposes", "impose", "new"]}}, {"LOWER": "sanctions"}],
            [
                {"LOWER": {"IN": ["treasury", "ofac"]}},
                {"IS_PUNCT": True, "OP": "?"},
                {"LOWER": {"IN": ["sanctions", "sanctioned", "designates", "designated"]}},
            ],
            [
                {"LOWER": {"IN": ["lift", "lifts", "lifted", "lifting", "ends", "ended", "terminates"]}},
                {"OP": "{0,4}", "IS_PUNCT": False},
                {"LOWER": "sanctions"},
            ],
            [{"LOWER": {"IN": ["delists", "delisted", "delisting", "delist"]}}],
        ],
        "working_group": [
            _tok("joint working group"),
            _tok("working group"),
            _tok("joint committee"),
            _tok("task force"),
            [{"LOWER": {"IN": ["taskforce", "taskforces"]}}],
            _tok("working groups"),
            _tok("response group"),
            [{"TEXT": "Dialogue"}],
            [
                {
                    "LOWER": {
                        "IN": ["launch", "launched", "launches", "launching", "establish", "established"]
                    }
                },
                {"OP": "{0,3}", "IS_PUNCT": False},
                {"LOWER": "dialogue"},
            ],
        ],
        "investment": [
            _tok("investment partnership"),
            [{"LOWER": {"IN": ["invest", "invests", "invested", "investing"]}}, {"LOWER": "in"}],
            [{"LOWER": {"IN": ["to", "will"]}}, {"LOWER": "invest"}],
            [{"LOWER": {"IN": ["investment", "investments"]}}, {"LOWER": {"IN": ["in", "towards", "into"]}}],
            [{"LOWER": {"IN": ["acquisition", "acquire", "acquired", "acquires", "acquiring"]}}],
            [{"LOWER": {"IN": ["stake", "stakes"]}}, {"LOWER": "in"}],
            _tok("equity stake"),
            _tok("equity investment"),
            _tok("equity finance"),
        ],
        "agreement": [
            [{"LOWER": {"IN": ["signed", "signs", "sign", "inked"]}}],
            [{"LOWER": {"IN": ["agreement", "agreements", "pact", "mou", "memorandum", "accord"]}}],
            [{"LOWER": {"IN": ["agreed", "agree", "agrees"]}}],
            [{"TEXT": {"IN": ["Partnership", "Framework"]}}],
            _tok("critical minerals partnership"),
            _tok("new partnership"),
            [
                {"LOWER": {"IN": ["launch", "launched", "launches", "launching"]}},
                {"OP": "{0,6}"},
                {"LOWER": "initiative"},
            ],
        ],
        "export_quota": [[{"LOWER": {"IN": ["quota", "quotas"]}}]],
        "disruption_verb": [
            [{"LOWER": {"IN": ["disrupt", "disrupts", "disrupted", "disrupting", "throttle", "throttled"]}}]
        ],
        "stockpile": [
            [
                {"LOWER": {"IN": ["strategic", "national", "government", "state", "emergency"]}},
                {"LOWER": {"IN": ["stockpile", "stockpiles", "reserve", "reserves"]}},
            ],
            [{"LOWER": "stockpiling"}, {"LOWER": {"IN": ["programme", "program", "plan"]}}],
            [
                {"LOWER": {"IN": ["national", "strategic", "defense", "defence"]}},
                {"OP": "{0,3}", "IS_PUNCT": False},
                {"LOWER": {"IN": ["stockpile", "stockpiles"]}},
            ],
            [
                {"LOWER": {"IN": ["expand", "expands", "build", "builds", "replenish", "add", "adds"]}},
                {"OP": "{0,4}", "IS_PUNCT": False},
                {"LOWER": {"IN": ["stockpile", "stockpiles", "reserves"]}},
            ],
            [{"LOWER": {"IN": ["to", "will", "joint"]}}, {"LOWER": {"IN": ["stockpile", "stockpiling"]}}],
        ],
        "supply_disruption": [
            _tok("force majeure"),
            [
                {"LOWER": {"IN": ["halted", "suspended", "halts", "suspends", "stopped"]}},
                _ANY3,
                {"LOWER": {"IN": ["production", "output", "operations", "mining"]}},
            ],
            [{"LOWER": {"IN": ["flooding", "landslide", "collapse", "strike", "blockade"]}}, {"LOWER": "at"}],
        ],
        "travel_advisory": [
            [{"LOWER": {"IN": ["advisory", "advisories", "advised", "advises", "advices"]}}],
            [{"LOWER": {"IN": ["advise", "advice", "warns", "warned"]}}, {"LOWER": "against"}],
            _tok("travel advice"),
            _tok("travel warning"),
            _tok("avoid travel"),
            _tok("avoid visiting"),
            _tok("avoid all travel"),
            _tok("do not travel"),
            _tok("reconsider travel"),
            _tok("reconsider your need to travel"),
        ],
        "election": [
            [{"LOWER": {"IN": ["election", "elections", "polls", "referendum", "vote"]}}],
        ],
    }


#: Cues that only add to an event already proposed (never propose one).
_WEAK_CUES: dict[str, list[list[dict[str, Any]]]] = {
    "export_control": [[{"LOWER": {"IN": ["restrictions", "controls", "curbs", "measures"]}}]],
    "export_ban": [[{"LOWER": {"IN": ["ban", "suspension", "halt", "embargo"]}}]],
}


@lru_cache(maxsize=1)
def _pipeline() -> Any:
    import spacy
    from spacy.language import Language
    from spacy.matcher import Matcher

    if "critmin_line_breaks" not in Language.factories:

        @Language.component("critmin_line_breaks")
        def _line_breaks(doc: Any) -> Any:
            for tok in doc[1:]:
                prev = doc[tok.i - 1]
                if "\n" in prev.whitespace_ or "\n" in prev.text:
                    tok.is_sent_start = True
            return doc

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("critmin_line_breaks")
    ruler: Any = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    patterns: list[dict[str, Any]] = []
    for e in country_entries():
        label = {"country": "GPE", "actor": "ORG", "demonym": "NORP", "place": "LOC"}[e.kind]
        if (e.phrase.isupper() and len(e.phrase) <= 6) or e.kind == "demonym":
            # acronyms and demonyms: exact case ("US" not "us", "Indian" not "indian")
            patterns.append(
                {"label": label, "pattern": [{"TEXT": t.text} for t in nlp.make_doc(e.phrase)], "id": e.code}
            )
        else:
            patterns.append({"label": label, "pattern": e.phrase, "id": e.code})
    for e in commodity_entries():
        if e.phrase.isupper() or (len(e.phrase) > 1 and e.phrase[:-1].isupper()):
            patterns.append(
                {
                    "label": "COMMODITY",
                    "pattern": [{"TEXT": t.text} for t in nlp.make_doc(e.phrase)],
                    "id": e.code,
                }
            )
        else:
            patterns.append({"label": "COMMODITY", "pattern": e.phrase, "id": e.code})
    ruler.add_patterns(patterns)
    strong = Matcher(nlp.vocab)
    for kind, pats in _cue_patterns().items():
        strong.add(kind, pats)
    weak = Matcher(nlp.vocab)
    for kind, pats in _WEAK_CUES.items():
        weak.add(kind, pats)
    return nlp, strong, weak


# --- dates ----------------------------------------------------------------------------------


def _parse_date(
    m: re.Match[str], published: date | None, future: bool, ahead: bool = False
) -> tuple[date | None, str]:
    """Resolve one date phrase; returns (date or None, note). ``ahead``: a weekday is the coming one."""
    text = m.group(0)
    if m.group("part"):
        year = int(m.group("py"))
        part = m.group("part").lower()
        month = {"early": 1, "beginning of": 1, "mid": 7, "late": 10}.get(part, 12)
        day = 1 if month != 12 else 31
        return date(year, month, day), f"'{text}' read as {date(year, month, day).isoformat()}"
    base = datetime(published.year, published.month, published.day) if published else None
    if m.group("wd"):
        if published is None:
            return None, f"'{text}' not resolved: no publication date"
        word = m.group("wd").lower()
        if word == "today":
            return published, ""
        if word == "yesterday":
            return published - timedelta(days=1), ""
        target = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"].index(word)
        if ahead:
            return published + timedelta(days=(target - published.weekday()) % 7), ""
        return published - timedelta(days=(published.weekday() - target) % 7), ""
    s = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text, flags=re.I)
    s = re.sub(r"\bSept\b\.?", "Sep", s, flags=re.I).replace(".", " ")
    has_year = bool(re.search(r"\d{4}", s)) or bool(re.search(r"(this|last|next) year", s, re.I))
    if published is not None:
        s = re.sub(r"this year", str(published.year), s, flags=re.I)
        s = re.sub(r"last year", str(published.year - 1), s, flags=re.I)
        s = re.sub(r"next year", str(published.year + 1), s, flags=re.I)
    elif not has_year or re.search(r"(this|last|next) year", s, re.I):
        return None, f"'{text}' not resolved: no publication date"
    if not has_year:
        s = f"{s} {published.year}"  # type: ignore[union-attr]
    parsed = _plain_date(s)
    if parsed is None:
        parsed = _dateparser(s, future, base)
    if parsed is None:
        return None, f"'{text}' not parsed"
    d = parsed.date()
    if not has_year and published is not None:
        if future and d < published - timedelta(days=90):
            d = d.replace(year=d.year + 1)
        elif not future and d > published + timedelta(days=30):
            d = d.replace(year=d.year - 1)
    note = f"'{text}' read as {d.isoformat()}" if m.group("m3") else ""
    return d, note


_PLAIN_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y", "%B %Y", "%b %Y")


def _plain_date(s: str) -> datetime | None:
    """A day-month-year or month-year phrase (the usual case) read without dateparser, which is slow."""
    clean = " ".join(s.replace(",", " ").replace(" of ", " ").split())
    for fmt in _PLAIN_FORMATS:
        try:
            return datetime.strptime(clean, fmt)
        except ValueError:
            continue
    return None


def _dateparser(s: str, future: bool, base: datetime | None) -> datetime | None:
    import dateparser

    settings: dict[str, Any] = {
        "PREFER_DATES_FROM": "future" if future else "past",
        "PREFER_DAY_OF_MONTH": "first",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    if base is not None:
        settings["RELATIVE_BASE"] = base
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed: datetime | None = dateparser.parse(s, languages=["en"], settings=settings)
    return parsed


def _reported(before: str, last2: list[str]) -> bool:
    """Tell whether a date follows a reporting verb rather than an action.

    "said on Monday" and "said at a conference on Wednesday" are reported; "said the shipments
    were suspended on Tuesday" is not.
    """
    if last2 and (last2[-1] == "," or last2 == [",", "on"]):
        return False  # "said, on 28 October last year, the Treasury had issued"
    words = re.findall(r"[a-z']+", before.lower())
    for k in range(len(words) - 1, max(-1, len(words) - 12), -1):
        if words[k] in _REPORTING:
            return not any(w in _AUX for w in words[k + 1 :])
    return False


class DateReading(NamedTuple):
    """One date phrase of a sentence as read.

    ``role`` is valid_from / valid_to (after a start or end cue), other, reported (right after a
    reporting verb: "said on Monday"), dateline ("KINSHASA, Feb. 24 (Xinhua)") or unresolved
    (``value`` is then ``date.min``); ``before`` the word before the phrase; ``kind`` what the
    phrase names: weekday (or today / yesterday), day, month (no day) or part ("early 2026").
    """

    role: str
    strength: int
    value: date
    note: str
    before: str
    kind: str


#: Roles the rules leave to the models: when a thing was said, or where a dispatch was filed.
_NOT_FOR_RULES = frozenset({"reported", "dateline"})


def _phrase_kind(m: re.Match[str]) -> str:
    if m.group("wd"):
        return "weekday"
    if m.group("part"):
        return "part"
    return "month" if m.group("m3") else "day"


def read_dates(sent: Any, published: date | None) -> list[DateReading]:
    """Every date phrase of a sentence with its role (see :class:`DateReading`).

    A weekday ending a measure ("suspended until Thursday") or in a future clause ("will hold
    talks on Monday", :func:`~critmin.events.datecues.weekday_ahead`) is the coming one; other
    weekdays are the last one on or before the publication date.
    """
    out: list[DateReading] = []
    text = sent.text
    for m in _DATE_RE.finditer(text):
        before = text[: m.start()].lower()
        words = re.findall(r"[a-z']+", before)[-6:]
        last2 = re.findall(r"[a-z']+|[,;:]", before)[-2:]
        role, strength = "other", 1
        if any(w in _TO_CUES for w in words[-3:]):
            role, strength = "valid_to", 2
        elif any(w in _FROM_CUES for w in words) or any(p in " ".join(words) for p in _FROM_PHRASES):
            role, strength = "valid_from", 2
        elif _reported(before, last2):
            role, strength = "reported", 0  # "said on Monday": when it was said, not when it applies
        if _DATELINE_AFTER.match(text[m.end() :]) or _DATELINE_BEFORE.match(before):
            role, strength = "dateline", 0  # "KINSHASA, Feb. 24 (Xinhua)": where it was filed
        ahead = role == "valid_to" or (bool(m.group("wd")) and weekday_ahead(before))
        d, note = _parse_date(m, published, role in ("valid_from", "valid_to"), ahead=ahead)
        prev = words[-1] if words else "<start>"
        if d is not None and prev == "next" and d == published:
            d += timedelta(days=7)  # "next Monday" said on a Monday
        if d is None:
            if note and role not in _NOT_FOR_RULES:
                out.append(DateReading("unresolved", 0, date.min, note, prev, _phrase_kind(m)))
            continue
        out.append(DateReading(role, strength, d, note, prev, _phrase_kind(m)))
    return out


def _rule_dates(readings: list[DateReading]) -> list[tuple[str, int, date, str]]:
    """The dates the rules use, as (role, strength, date, note): not those said or filed on."""
    return [(r.role, r.strength, r.value, r.note) for r in readings if r.role not in _NOT_FOR_RULES]


# --- extraction -----------------------------------------------------------------------------


def _check(text: object, published: object, source: object) -> date | None:
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    if published is not None and not isinstance(published, date):
        raise TypeError(f"published must be a datetime.date or None, got {type(published).__name__}")
    if source is not None and not isinstance(source, str):
        raise TypeError(f"source must be str or None, got {type(source).__name__}")
    if isinstance(published, datetime):
        return published.date()
    return published


def _ents(sent: Any, label: str | tuple[str, ...]) -> list[Any]:
    labels = (label,) if isinstance(label, str) else label
    cache = sent.doc.user_data.setdefault("critmin_sentence_ents", {})
    key = (sent.start, sent.end)
    if key not in cache:
        cache[key] = list(sent.ents)  # Span.ents rescans the document on every call
    return [e for e in cache[key] if e.label_ in labels]


def _unique(codes: list[str]) -> list[str]:
    return list(dict.fromkeys(c for c in codes if c))


def _words_before(sent: Any, start: int) -> tuple[str, str]:
    """The two words before a token, skipping "the" ("to the United States")."""
    words = [t.lower_ for t in sent.doc[max(0, start - 3) : start]]
    if words and words[-1] == "the":
        words.pop()
    words = ["", "", *words]
    return words[-1], words[-2]


def _import_targets(sent: Any) -> list[str]:
    """Origins named by an import measure: "of Russian origin", "Russian-origin", "imports from X"."""
    out: list[str] = []
    for e in _ents(sent, ("GPE", "NORP")):
        prev, _ = _words_before(sent, e.start)
        nxt = sent.doc[e.end : e.end + 2].text.lower().replace(" ", "")
        if prev == "from" or nxt.startswith(("origin", "-origin")):
            out.append(e.ent_id_)
    return out


def _export_targets(sent: Any) -> list[str]:
    out: list[str] = []
    for e in _ents(sent, ("GPE", "NORP")):
        prev, prev2 = _words_before(sent, e.start)
        nxt = sent.doc[e.end : e.end + 2].text.lower().replace(" ", "")
        if (prev in ("to", "against") and prev2 not in ("according", "due", "prior")) or nxt.startswith(
            "-bound"
        ):
            out.append(e.ent_id_)
    return out


def _sanction_targets(sent: Any) -> list[str]:
    """Countries a sanction is "on" or "against" (within three words), else "in" (two words)."""
    on: list[str] = []
    inside: list[str] = []
    for e in _ents(sent, ("GPE", "NORP", "LOC")):
        window = [t.lower_ for t in sent.doc[max(sent.start, e.start - 3) : e.start]]
        if "on" in window or "against" in window:
            on.append(e.ent_id_)
        elif "in" in window[-2:]:
            inside.append(e.ent_id_)
    return on or inside


def _advisory_targets(sent: Any) -> list[str]:
    out: list[str] = []
    for e in _ents(sent, ("GPE", "LOC")):
        window = [t.lower_ for t in sent.doc[max(sent.start, e.start - 3) : e.start]]
        if any(w in ("visiting", "visit", "travel", "travelling", "traveling", "to", "in") for w in window):
            out.append(e.ent_id_)
    return out


def _actor(sent: Any, exclude: list[str]) -> str:
    for e in _ents(sent, "ORG"):
        if e.ent_id_ not in exclude:
            return str(e.ent_id_)
    for e in _ents(sent, ("GPE", "NORP")):
        if e.ent_id_ not in exclude:
            return str(e.ent_id_)
    return ""


def _election_actor(sent: Any) -> str:
    cue = {"election", "elections", "polls", "referendum", "vote"}
    for e in _ents(sent, ("GPE", "NORP")):
        nxt = sent.doc[e.end].lower_ if e.end < len(sent.doc) else ""
        prev = [t.lower_ for t in sent.doc[max(sent.start, e.start - 2) : e.start]]
        if nxt in cue or nxt == "'s" or ("in" in prev and any(t.lower_ in cue for t in sent)):
            return str(e.ent_id_)
    places = _ents(sent, "GPE")
    return str(places[0].ent_id_) if places else ""


def _title(d: _Draft) -> str:
    words = d.type.replace("_", " ")
    comms = [c.replace("_", " ") for c in d.commodities if c != CRITICAL_MINERALS]
    who = "-".join(d.parties) if d.type in COOPERATIVE and d.parties else d.actor or "?"
    tail = f": {', '.join(comms)}" if comms else ""
    to = f" on {', '.join(d.targets)}" if d.targets and d.type not in COOPERATIVE else ""
    return f"{who} {words}{to}{tail}"


def extract_rules(
    text: str, *, published: date | None = None, source: str | None = None
) -> list[ProposedEvent]:
    """Propose events by the hand-written rules alone (the extractor before issue 16).

    :func:`extract` uses these rules' drafts, cues and dates as features of its trained models;
    this function is kept for comparison (``benchmarks/bench_extract.py``) and for the rules' tests.

    Parameters
    ----------
    text : str
        Plain text; line ends count as sentence ends.
    published : datetime.date, optional
        Publication date: the base for relative dates ("on Monday", "26th April this year").
        Without it, dates lacking a year are left unresolved (and said so in ``notes``).
    source : str, optional
        Publisher or file name, copied to each proposal.

    Returns
    -------
    list of ProposedEvent
        In order of first mention; same type and actor (cooperative: same parties) merged.

    Raises
    ------
    TypeError
        If ``text`` is not a str, ``published`` not a date, or ``source`` not a str.
    """
    pub = _check(text, published, source)
    if not text.strip():
        return []
    a = analyse(text, pub)
    return [_finish(d, pub, source) for d in a.drafts]


@dataclass
class Analysis:
    """A text as the rules read it: the spaCy doc, its sentences, cues, dates and the rules' drafts.

    ``cues[i]`` are the event types cued by sentence ``i`` (strong cues, after the rules'
    suppressions); ``date_readings[i]`` all its date phrases (:class:`DateReading`, with those
    said or filed on); ``dates[i]`` those the rules use; each draft's ``sent_ids`` are the
    sentences it absorbed.
    """

    text: str
    doc: Any
    sents: list[Any]
    cues: list[list[str]]
    drafts: list[_Draft]
    published: date | None
    date_readings: list[list[DateReading]]

    @property
    def dates(self) -> list[list[tuple[str, int, date, str]]]:
        """Per sentence, the dates the rules use as (role, strength, date, note)."""
        return [_rule_dates(readings) for readings in self.date_readings]


def analyse(text: str, pub: date | None) -> Analysis:
    """Run the pipeline and the rules over a text (see :class:`Analysis`)."""
    nlp, strong, weak = _pipeline()
    doc = nlp(_DOTTED_PAIR.sub(" ", text))
    sents = list(doc.sents)
    all_cues: list[list[str]] = []
    all_readings: list[list[DateReading]] = []
    drafts: list[_Draft] = []
    last_parties: list[str] = []
    last_country = ""

    def find(kind: str, actor: str, parties: list[str]) -> _Draft | None:
        for d in reversed(drafts):
            if d.type != kind:
                continue
            if kind in COOPERATIVE:
                if not parties or set(parties) <= set(d.parties) or set(d.parties) <= set(parties):
                    return d
            elif not actor or d.actor == actor:
                return d
            elif kind in _ONE_ISSUER and actor in d.targets:
                return d  # the same measure, its actor misread as one of its targets
            elif not d.actor:
                d.actor, d.parties = actor, [actor]
                return d
        return None

    for i, sent in enumerate(sents):
        said = text[sent.start_char : sent.end_char].strip()
        sent_countries = _unique([e.ent_id_ for e in _ents(sent, ("GPE", "ORG", "NORP"))])
        comms = _unique([e.ent_id_ for e in _ents(sent, "COMMODITY")])
        raw = _unique([nlp.vocab.strings[m[0]] for m in strong(sent.as_doc())])
        kinds = _cue_kinds(raw, comms)
        weak_kinds = _unique([nlp.vocab.strings[m[0]] for m in weak(sent.as_doc())])
        # suppressions: the specific cue wins over the generic one
        if "working_group" in kinds or ("investment" in kinds and "partnership" in sent.text.lower()):
            kinds = [k for k in kinds if k != "agreement"]
        if any(k in RESTRICTIVE for k in kinds):
            kinds = [k for k in kinds if k != "agreement"]
        if "sanction_waiver" in raw:
            kinds = [k for k in kinds if k != "sanction"]
        lifting = bool(_LIFTING_BAN.search(sent.text))
        if "export_ban" in kinds and "export_control" in kinds and not lifting:
            kinds = [k for k in kinds if k != "export_control"]
        if "travel_advisory" in kinds and not re.search(r"travel|visit|avoid|leave|return", sent.text, re.I):
            kinds = [k for k in kinds if k != "travel_advisory"]
        low = sent.text.lower()
        negated = re.search(r"\b(?:not|nor|no)\b[^.]{0,25}\b(?:ban|embargo)\b", low)
        if negated:
            kinds = [k for k in kinds if k != "export_ban"]
        all_readings.append(read_dates(sent, pub))
        dates = _rule_dates(all_readings[-1])
        all_cues.append(list(kinds))
        is_cont = bool(_CONTINUATION.match(sent.text.strip())) and bool(drafts)
        handled = False
        for kind in kinds:
            draft: _Draft | None
            if kind in COOPERATIVE:
                parties = sent_countries
                if _BOTH.search(sent.text) and len(parties) < 2:
                    parties = _unique(last_parties + parties)
                draft = find(kind, "", parties)
                if draft is None:
                    if len(parties) < 2:
                        continue
                    draft = _Draft(kind, parties[0], list(parties), list(parties[1:]), [], [])
                    drafts.append(draft)
                else:
                    draft.parties = _unique(draft.parties + parties)
                    draft.targets = [p for p in draft.parties if p != draft.actor]
            else:
                targets: list[str] = []
                if kind == "import_restriction":
                    targets = _import_targets(sent)
                elif kind in RESTRICTIVE:
                    targets = _export_targets(sent)
                elif kind == "travel_advisory":
                    targets = _advisory_targets(sent)
                elif kind == "sanction":
                    targets = _sanction_targets(sent)
                actor = _election_actor(sent) if kind == "election" else _actor(sent, targets)
                explicit = bool(actor)
                if not actor:
                    actor = last_country
                if kind == "sanction" and not targets:
                    targets = [c for c in _ents_codes(sent) if c != actor]
                elif kind in ("sanction_waiver", "travel_advisory"):
                    targets = _unique(targets + [c for c in _ents_codes(sent) if c != actor])
                draft = find(kind, actor, [])
                if draft is None:
                    if kind in RESTRICTIVE and not [c for c in comms if c != CRITICAL_MINERALS]:
                        continue
                    draft = _Draft(kind, actor, [actor], [], [], [], actor_explicit=explicit)
                    drafts.append(draft)
                draft.targets = _unique(draft.targets + [t for t in targets if t != draft.actor])
            handled = True
            _absorb(draft, said, comms, _dates_for(kind, dates, low, lifting, pub), low)
            draft.sent_ids.append(i)
        if not handled:
            for kind in weak_kinds + [k for k in kinds if k in RESTRICTIVE]:
                draft = find(kind, "", [])
                if draft is not None:
                    _absorb(draft, said, [], dates, low, fill_only=True)
                    draft.sent_ids.append(i)
                    handled = True
                    break
        previous = text[sents[i - 1].start_char : sents[i - 1].end_char].strip() if i else ""
        if not handled and is_cont and drafts and drafts[-1].sentences[-1] == previous:
            d = drafts[-1]
            if d.type in ("sanction", "sanction_waiver", "travel_advisory"):
                d.targets = _unique(d.targets + [c for c in _ents_codes(sent) if c != d.actor])
                d.sentences.append(said)
                d.sent_ids.append(i)
        if len(sent_countries) >= 2:
            last_parties = sent_countries
        places = _unique([e.ent_id_ for e in _ents(sent, "ORG") + _ents(sent, "GPE")])
        places = places or _unique([e.ent_id_ for e in _ents(sent, "NORP")])
        if places:
            last_country = places[0]
    return Analysis(text, doc, sents, all_cues, drafts, pub, all_readings)


def _cue_kinds(kinds: list[str], comms: list[str]) -> list[str]:
    """Map auxiliary cues to event types.

    A quota restricts exports; "disrupt" needs a commodity; relief from sanctions is a waiver.
    """
    out = [k for k in kinds if k not in ("export_quota", "disruption_verb", "sanction_relief")]
    if "sanction_relief" in kinds and "sanction_waiver" not in out:
        out.append("sanction_waiver")
    if "export_quota" in kinds and not {"import_restriction", "export_control"} & set(out):
        out.append("export_control")
    named = [c for c in comms if c != CRITICAL_MINERALS]
    if "disruption_verb" in kinds and named and "supply_disruption" not in out:
        out.append("supply_disruption")
    return out


def _dates_for(
    kind: str, dates: list[tuple[str, int, date, str]], low: str, lifting: bool, published: date | None
) -> list[tuple[str, int, date, str]]:
    """A sentence's dates as they apply to one event type.

    The date of a ban being lifted ends the ban; a restriction "with immediate effect" starts on
    the publication date when the sentence gives no start.
    """
    if kind == "export_ban" and lifting:
        return [("valid_to" if r in ("valid_from", "other") else r, s, d, n) for r, s, d, n in dates]
    starts = any(r == "valid_from" for r, *_ in dates)
    if kind in RESTRICTIVE and published and _IMMEDIATE.search(low) and not starts:
        note = "'with immediate effect' read as the publication date"
        return [*dates, ("valid_from", 2, published, note)]
    return dates


def _ents_codes(sent: Any) -> list[str]:
    return _unique([e.ent_id_ for e in _ents(sent, ("GPE", "ORG", "NORP", "LOC"))])


def _absorb(
    d: _Draft,
    sentence: str,
    comms: list[str],
    dates: list[tuple[str, int, date, str]],
    low: str,
    *,
    fill_only: bool = False,
) -> None:
    if sentence not in d.sentences:
        d.sentences.append(sentence)
    d.commodities = _unique(d.commodities + comms)
    for role, strength, value, note in dates:
        if role == "unresolved":
            d.notes.append(note)
            continue
        key = "valid_to" if role == "valid_to" else "valid_from"
        current = d.dates.get(key)
        if fill_only and current is not None and strength <= current[0]:
            continue
        if current is None or strength > current[0]:
            d.dates[key] = (strength, value)
            if note:
                d.notes.append(note)
    if _PROPOSED.search(low):
        d.flags.add("proposed")
    if _LIFTED.search(low):
        d.flags.add("lifted")
    if _SUSPENDED_STATUS.search(low):
        d.flags.add("suspended")
    if _FUTURE.search(low):
        d.flags.add("future")


def _finish(d: _Draft, published: date | None, source: str | None) -> ProposedEvent:
    vf = d.dates.get("valid_from", (0, None))[1]
    vt = d.dates.get("valid_to", (0, None))[1]
    if "lifted" in d.flags:
        status = "lifted"
    elif "suspended" in d.flags:
        status = "suspended"
    elif published is not None and vt is not None and vt < published:
        status = "expired"
    elif published is not None and vf is not None and vf > published:
        status = "announced"
    elif "proposed" in d.flags and vf is None:
        status = "proposed"
    elif (d.type in COOPERATIVE or d.type == "election") and "future" in d.flags:
        status = "announced"
    else:
        status = "in_force"
    conf = 0.45 + 0.15 * d.actor_explicit + 0.15 * bool(d.commodities) + 0.15 * bool(vf or vt)
    conf += 0.05 * (len(d.sentences) > 1)
    return ProposedEvent(
        type=d.type,
        actor=d.actor,
        targets=tuple(t for t in d.targets if t != d.actor),
        commodities=tuple(d.commodities),
        valid_from=vf,
        valid_to=vt,
        status=status,
        title=_title(d),
        evidence=" ".join(d.sentences),
        confidence=round(min(conf, 0.95), 2),
        published=published,
        source=source,
        notes="; ".join(
            _unique(d.notes + ([] if d.actor_explicit else ["actor taken from an earlier sentence"]))
        ),
    )


def extract(text: str, *, published: date | None = None, source: str | None = None) -> list[ProposedEvent]:
    """Propose events stated in a news article or government briefing.

    The rules above read the text (entities, cues, dates, their own drafts); trained models
    (:mod:`critmin.events.model`, shipped in the package, nothing downloaded) decide the event
    types, actors, targets, commodities and which dates are the validity dates.

    Parameters
    ----------
    text : str
        Plain text; line ends count as sentence ends.
    published : datetime.date, optional
        Publication date: the base for relative dates ("on Monday", "26th April this year").
        Without it, dates lacking a year are left unresolved (and said so in ``notes``).
    source : str, optional
        Publisher or file name, copied to each proposal.

    Returns
    -------
    list of ProposedEvent
        In order of first mention, at most one per type.

    Raises
    ------
    TypeError
        If ``text`` is not a str, ``published`` not a date, or ``source`` not a str.
    """
    from critmin.events import model

    return model.extract(text, published=published, source=source)
