"""Date phrases and cues the date models read beyond the rules' dates (issue 16).

The rules of :mod:`critmin.events.extract` read full dates, days with a month, months with a
year and weekdays. Two readings the labelling convention counts as dates are added here for the
models of :mod:`critmin.events.model` to choose among:

- a month named alone ("In February, the country imposed ..."): the 1st of that month, the year
  from the publication date: the latest such month on or before it, or for an end ("until
  March") or a future sentence ("will take effect in March") the next one;
- whether a weekday is the coming one: in a future sentence ("will hold talks on Monday",
  "due to take effect on Monday", "next Monday") the weekday is counted forward from the
  publication date, in a past one backward (:func:`weekday_ahead`).

It also holds the word lists of the date features: the act verbs that date an event ("signed on",
"imposed on") and the words that place a date in the background ("the original order of").
"""

from __future__ import annotations

import re
from datetime import date
from typing import NamedTuple

_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTH_OF = {m.lower(): i + 1 for i, m in enumerate(_MONTH_NAMES)}
_MONTH_OF.update({m[:3].lower(): i + 1 for i, m in enumerate(_MONTH_NAMES)})
_MONTH_OF["sept"] = 9

#: A capitalised month after a preposition, with neither a day nor a year after it ("in
#: February", "since last October", "until March"); "May" only after a preposition.
MONTH_ALONE = re.compile(
    r"\b(?P<cue>in|In|since|Since|from|From|until|Until|till|through|by|By|during|During|of|early|"
    r"late|mid|end of|last|next|this)[\s-]+(?:(?P<rel>last|next|this)\s+)?"
    r"(?P<m>January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
    r"(?![\w.]*\s*,?\s*(?:\d|this year|last year|next year))(?!\w)"
)

_END_CUES = frozenset({"until", "till", "through", "by"})

#: A future sentence before a date: the weekday or month it names is the coming one.
FUTURE_BEFORE = re.compile(
    r"\b(?:will|shall|(?:is|are|was|were) to|(?:is|are) (?:due|set|scheduled|expected|going) to|"
    r"due to (?:take|come|enter|start|begin|hold|meet)|scheduled (?:to|for))\b",
    re.IGNORECASE,
)

#: A sentence about the future or plans (a feature of the end-date model: broader than
#: :data:`FUTURE_BEFORE`, it also takes "plans to", "would be" and "next").
FUTURE_OR_PLANNED = re.compile(
    r"\b(?:will|shall|would be|is to|are to|due to|set to|scheduled|expected to|plans? to|"
    r"going to|is planned|are planned|next)\b",
    re.IGNORECASE,
)

#: Verbs dating the act itself ("signed on 13 December", "imposed on Monday").
ACT_VERBS = frozenset(
    {
        *("signed", "imposed", "designated", "approved", "adopted", "issued", "announced"),
        *("established", "launched", "declared", "held", "met", "agreed", "concluded"),
        *("finalized", "finalised", "banned", "suspended", "halted", "began", "started"),
        *("struck", "introduced", "unveiled", "enacted", "published", "imposing", "signing"),
        *("approving", "issuing", "announcing", "designating"),
    }
)


#: Words placing a date in the background: an earlier order, measure or meeting recalled.
BACKGROUND = re.compile(
    r"\b(?:original(?:ly)?|previous(?:ly)?|earlier|first|former|prior|replaces|since|"
    r"follow(?:s|ed|ing)|after|before|last year|ago)\b",
    re.IGNORECASE,
)


#: A sentence about a body or measure starting ("inaugural meeting", "established").
STARTING = re.compile(
    r"\b(?:inaugural|first meeting|launch(?:ed|es)?|establish(?:ed|es|ment)|set up|created|formed)\b",
    re.IGNORECASE,
)

#: A sentence about a body meeting again or a measure renewed ("the second meeting").
AGAIN = re.compile(
    r"\b(?:second|third|fourth|fifth|latest|another|again|follow-up|renewed|extended|extends)\b",
    re.IGNORECASE,
)


class MonthAlone(NamedTuple):
    """A month named without day or year, read as the 1st of it."""

    value: date
    cue: str
    end: bool
    text: str


def _year_for(month: int, published: date, forward: bool) -> int:
    if forward:
        return published.year if month >= published.month else published.year + 1
    return published.year if month <= published.month else published.year - 1


def months_alone(sentence: str, published: date | None) -> list[MonthAlone]:
    """Months named alone in a sentence, resolved against the publication date.

    Nothing without a publication date (the year would be a guess).
    """
    if published is None:
        return []
    out: list[MonthAlone] = []
    for hit in MONTH_ALONE.finditer(sentence):
        cue = hit.group("cue").lower()
        rel = (hit.group("rel") or (cue if cue in ("last", "next", "this") else "")).lower()
        month = _MONTH_OF[hit.group("m").rstrip(".").lower()]
        end = cue in _END_CUES
        forward = end or rel == "next" or weekday_ahead(sentence[: hit.start()])
        if rel == "last":
            forward = False
        year = _year_for(month, published, forward)
        if rel == "next" and year == published.year and month == published.month:
            year += 1
        if rel == "last" and month == published.month:
            year -= 1
        out.append(MonthAlone(date(year, month, 1), cue, end, hit.group(0)))
    return out


def weekday_ahead(before: str) -> bool:
    """Whether a date after ``before`` (the sentence up to it) is the coming one.

    "next" right before it, or a future verb in its clause: one in an earlier clause ("will
    visit; the ban was imposed on Monday") does not make it ahead. "Published plans to ban ...
    on Friday" is not future: plans are dated when published.
    """
    if re.search(r"\bnext\s*$", before, re.IGNORECASE):
        return True
    clause = re.split(r"[;:]|,\s*(?:but|while|after|as|and)\b", before)[-1]
    return bool(FUTURE_BEFORE.search(clause))
