"""The labelled corpus of real articles that measures event extraction, kept without their texts.

Articles belong to their publishers, so critmin ships no article text. The manifest
(``data/reference/extraction_corpus.json``) holds, for each article, its URL, publisher, date,
terms of use, the events a reader labelled in it and, for each excerpt paragraph, fingerprints
only: the SHA-256 of its first words (to find it in a page), its length in words, and the SHA-256
of all its words (to check it). :func:`restore` rebuilds the labelled text from a copy of the page,
fetched from its URL or saved by the user, and refuses a page whose wording has changed.

Words are compared after :func:`normal_words`: Unicode NFKC, typographic quotes and dashes as
ASCII, soft hyphens and zero-width characters removed, lower case, and tokens without a letter or
digit (bullets, lone dashes) dropped, so markup and layout do not matter but wording does.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

from critmin.errors import CritminError
from critmin.events.contract import EVENT_TYPES

HEAD_WORDS = 8
MANIFEST = "extraction_corpus.json"
LABEL_FIELDS = ("type", "actor", "targets", "commodities", "valid_from", "valid_to")

_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00ad": None,
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\ufeff": None,
    }
)


class CorpusError(CritminError):
    """A manifest entry is malformed, or an article cannot be restored."""


def _words(text: str) -> list[str]:
    """Tokens of a text after NFKC and typographic clean-up, with their case, bullets dropped."""
    clean = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    return [w for w in clean.split() if any(c.isalnum() for c in w)]


def normal_words(text: str) -> list[str]:
    """The words a fingerprint is computed on (see the module docstring)."""
    return [w.lower() for w in _words(text)]


def _digest(words: Iterable[str]) -> str:
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Paragraph:
    """Fingerprints of one excerpt paragraph: head hash, length in words, full hash."""

    head: str
    words: int
    sha256: str

    @classmethod
    def of(cls, text: str) -> Paragraph:
        """Fingerprint a paragraph of text."""
        words = normal_words(text)
        if not words:
            raise CorpusError("an empty paragraph has no fingerprint")
        return cls(_digest(words[:HEAD_WORDS]), len(words), _digest(words))


@dataclass(frozen=True)
class Article:
    """One labelled article of the corpus."""

    id: str
    url: str | None
    publisher: str
    published: date
    title: str
    terms: str
    heldout: bool
    events: tuple[dict[str, Any], ...]
    paragraphs: tuple[Paragraph, ...]
    where: str = ""
    notes: str = ""

    def to_json(self) -> dict[str, Any]:
        """The manifest entry."""
        entry: dict[str, Any] = {
            "id": self.id,
            "url": self.url,
            "publisher": self.publisher,
            "published": self.published.isoformat(),
            "title": self.title,
            "terms": self.terms,
            "heldout": self.heldout,
            "events": list(self.events),
            "paragraphs": [{"head": p.head, "words": p.words, "sha256": p.sha256} for p in self.paragraphs],
        }
        if self.where:
            entry["where"] = self.where
        if self.notes:
            entry["notes"] = self.notes
        return entry


def _need(entry: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in entry:
        raise CorpusError(f"{where}: field {key!r} is missing")
    value = entry[key]
    if not isinstance(value, kind):
        raise CorpusError(f"{where}: field {key!r} must be {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


def _day(value: object, where: str, key: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CorpusError(f"{where}: field {key!r} is not a date (YYYY-MM-DD): {value!r}") from None


def _event(raw: object, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise CorpusError(f"{where}: an event must be an object, got {raw!r}")
    unknown = set(raw) - set(LABEL_FIELDS)
    if unknown:
        raise CorpusError(f"{where}: unknown field(s) {sorted(unknown)}; fields are {list(LABEL_FIELDS)}")
    if _need(raw, "type", str, where) not in EVENT_TYPES:
        raise CorpusError(f"{where}: field 'type' {raw['type']!r} is not one of {sorted(EVENT_TYPES)}")
    actor = _need(raw, "actor", str, where)
    if not (len(actor) == 3 and actor.isupper()):
        raise CorpusError(f"{where}: field 'actor' must be an ISO3 or bloc code, got {actor!r}")
    for key in ("targets", "commodities"):
        values = _need(raw, key, list, where)
        if not all(isinstance(v, str) and v for v in values):
            raise CorpusError(f"{where}: field {key!r} must be a list of codes, got {values!r}")
    dates = {k: _day(raw.get(k), where, k) for k in ("valid_from", "valid_to")}
    return {
        "type": raw["type"],
        "actor": actor,
        "targets": list(raw["targets"]),
        "commodities": list(raw["commodities"]),
        **{k: (d.isoformat() if d else None) for k, d in dates.items()},
    }


def parse_article(entry: object, where: str, *, fingerprinted: bool = True) -> Article:
    """One manifest entry as an :class:`Article`; errors name the entry and the field.

    With ``fingerprinted=False`` (a draft entry) the ``paragraphs`` field is not read.
    """
    if not isinstance(entry, dict):
        raise CorpusError(f"{where}: an article must be an object")
    ident = _need(entry, "id", str, where)
    where = f"{where} ({ident})"
    url = entry.get("url")
    if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        raise CorpusError(f"{where}: field 'url' must be an http(s) URL or null, got {url!r}")
    if url is None and not entry.get("where"):
        raise CorpusError(f"{where}: an article without a URL needs field 'where' saying where it is")
    published = _day(_need(entry, "published", str, where), where, "published")
    events = _need(entry, "events", list, where)
    paragraphs = _need(entry, "paragraphs", list, where) if fingerprinted else []
    if fingerprinted and not paragraphs:
        raise CorpusError(f"{where}: field 'paragraphs' is empty")
    prints = []
    for i, p in enumerate(paragraphs):
        spot = f"{where} paragraph {i + 1}"
        if not isinstance(p, dict):
            raise CorpusError(f"{spot}: must be an object")
        words = _need(p, "words", int, spot)
        if words < 1:
            raise CorpusError(f"{spot}: field 'words' must be positive")
        prints.append(Paragraph(_need(p, "head", str, spot), words, _need(p, "sha256", str, spot)))
    return Article(
        id=ident,
        url=url,
        publisher=_need(entry, "publisher", str, where),
        published=published or date.min,
        title=_need(entry, "title", str, where),
        terms=_need(entry, "terms", str, where),
        heldout=bool(_need(entry, "heldout", bool, where)),
        events=tuple(_event(e, f"{where} event {j + 1}") for j, e in enumerate(events)),
        paragraphs=tuple(prints),
        where=str(entry.get("where", "")),
        notes=str(entry.get("notes", "")),
    )


def load_manifest(path: Path | None = None, *, fingerprinted: bool = True) -> list[Article]:
    """The articles of a manifest (default: the bundled one), checked field by field.

    With ``fingerprinted=False`` the file is a draft: entries without ``paragraphs``.

    Raises
    ------
    CorpusError
        Naming the file, the entry and the field at fault; duplicate ids are refused.
    """
    if path is None:
        source = resources.files("critmin.data.reference").joinpath(MANIFEST)
        name, text = MANIFEST, source.read_text(encoding="utf-8")
    else:
        try:
            name, text = str(path), path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CorpusError(f"{path}: cannot read: {error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CorpusError(f"{name}: line {error.lineno}: not JSON: {error.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("articles"), list):
        raise CorpusError(f"{name}: expected an object with a list 'articles'")
    articles = [
        parse_article(e, f"{name} article {i + 1}", fingerprinted=fingerprinted)
        for i, e in enumerate(data["articles"])
    ]
    seen: set[str] = set()
    for a in articles:
        if a.id in seen:
            raise CorpusError(f"{name}: article id {a.id!r} appears twice")
        seen.add(a.id)
    return articles


def write_manifest(articles: Iterable[Article], path: Path, about: str) -> None:
    """Write a manifest (the format :func:`load_manifest` reads)."""
    data = {"about": about, "head_words": HEAD_WORDS, "articles": [a.to_json() for a in articles]}
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


class _TextOfHtml(HTMLParser):
    _BLOCK = frozenset(
        {
            *("p", "div", "br", "li", "ul", "ol", "pre", "dd", "dt", "blockquote", "figcaption"),
            *("h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "table"),
            *("section", "article", "header", "footer"),
        }
    )
    _SKIP = frozenset({"script", "style", "noscript", "template", "svg"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def page_text(content: str) -> str:
    """The text of a page: HTML without markup, scripts and styles; plain text as it is."""
    if "<" not in content[:2000] or not any(t in content.lower() for t in ("<html", "<p", "<div", "<body")):
        return content
    parser = _TextOfHtml()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts)


@dataclass
class Restored:
    """The outcome of restoring one article from a page."""

    article: Article
    text: str | None = None
    found: int = 0
    origin: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every paragraph was found with its exact wording."""
        return self.text is not None


class Page:
    """A copy of a page, its words indexed by the hash of each run of head words (built once)."""

    def __init__(self, content: str, origin: str = "") -> None:
        self.origin = origin
        self.shown = _words(page_text(content))
        self.keys = [w.lower() for w in self.shown]
        self._starts: dict[int, dict[str, list[int]]] = {}

    def starts(self, size: int) -> dict[str, list[int]]:
        """Positions of every run of ``size`` words, by the hash of the run."""
        if size not in self._starts:
            index: dict[str, list[int]] = {}
            for i in range(len(self.keys) - size + 1):
                index.setdefault(_digest(self.keys[i : i + size]), []).append(i)
            self._starts[size] = index
        return self._starts[size]


def restore(article: Article, content: str | Page, origin: str = "") -> Restored:
    """Rebuild an article's labelled excerpt from a copy of its page (HTML or text).

    Each paragraph is the run of ``words`` page words whose first :data:`HEAD_WORDS` words and
    whole run match the fingerprints. The excerpt keeps the page's own wording and case, one
    paragraph per line. If any paragraph is missing or reworded, no text is returned.
    """
    page = content if isinstance(content, Page) else Page(content, origin)
    lines: list[str] = []
    problems: list[str] = []
    for n, para in enumerate(article.paragraphs, start=1):
        hits = page.starts(min(HEAD_WORDS, para.words)).get(para.head, [])
        match = next((i for i in hits if _digest(page.keys[i : i + para.words]) == para.sha256), None)
        if match is None:
            problems.append(f"paragraph {n}: " + ("its wording differs" if hits else "not found in the page"))
            continue
        lines.append(" ".join(page.shown[match : match + para.words]))
    found = len(article.paragraphs) - len(problems)
    text = "\n".join(lines) + "\n" if not problems else None
    return Restored(article, text, found, origin or page.origin, problems)


def fingerprint_folder(drafts: Iterable[Article], folder: Path) -> list[Article]:
    """Fingerprint draft articles from their texts, ``folder/<id>.txt`` (one paragraph a line)."""
    done = []
    for article in drafts:
        path = folder / f"{article.id}.txt"
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CorpusError(f"{path}: cannot read the text of article {article.id}: {error}") from None
        done.append(fingerprint(article, text))
    return done


def fingerprint(article: Article, text: str) -> Article:
    """The article with the paragraphs of ``text`` (one per non-empty line) as its fingerprints."""
    paragraphs = tuple(Paragraph.of(line) for line in text.splitlines() if normal_words(line))
    if not paragraphs:
        raise CorpusError(f"article {article.id}: the text has no words")
    return replace(article, paragraphs=paragraphs)


Fetcher = Callable[[str], str]


def files_in(paths: Iterable[Path]) -> list[Path]:
    """The files given, and every file under the folders given (sorted), for :func:`restore_all`.

    Raises
    ------
    CorpusError
        If a path does not exist.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise CorpusError(f"{path}: no such file or folder")
    return files


def restore_all(
    articles: Iterable[Article],
    saved: Iterable[Path] = (),
    fetch: Fetcher | None = None,
) -> list[Restored]:
    """Restore articles from saved pages (any file, matched by fingerprints), then by URL.

    Parameters
    ----------
    articles
        Manifest entries.
    saved
        Files holding copies of pages (HTML or text), in any order and under any name.
    fetch
        Reads a URL into text (e.g. :func:`fetch_url`); ``None`` stays offline.
    """
    pages: list[Page] = []
    for path in saved:
        try:
            pages.append(Page(path.read_text(encoding="utf-8", errors="replace"), str(path)))
        except OSError as error:
            raise CorpusError(f"{path}: cannot read: {error}") from None
    results = []
    for article in articles:
        best = Restored(article, problems=["no saved copy matched"])
        for page in pages:
            attempt = restore(article, page)
            if attempt.ok or attempt.found > best.found:
                best = attempt
            if attempt.ok:
                break
        if not best.ok and fetch is not None and article.url:
            try:
                best = restore(article, fetch(article.url), article.url)
            except CorpusError as error:
                best = Restored(article, origin=article.url, problems=[str(error)])
        results.append(best)
    return results


def fetch_url(url: str, timeout: float = 30.0, max_bytes: int = 5_000_000) -> str:
    """Download a page as text (charset from the response, else UTF-8).

    Raises
    ------
    CorpusError
        On any network or HTTP failure, or a page larger than ``max_bytes``.
    """
    from urllib.error import URLError
    from urllib.request import Request, urlopen

    from critmin import __version__

    request = Request(url, headers={"User-Agent": f"critmin/{__version__} (extraction corpus)"})
    try:
        with urlopen(request, timeout=timeout) as response:
            body = response.read(max_bytes + 1)
            charset = response.headers.get_content_charset() or "utf-8"
    except (URLError, OSError, ValueError) as error:
        raise CorpusError(f"{url}: cannot fetch: {error}") from None
    if len(body) > max_bytes:
        raise CorpusError(f"{url}: page larger than {max_bytes} bytes")
    return body.decode(charset, errors="replace")


def save_texts(results: Iterable[Restored], folder: Path) -> list[Path]:
    """Write each restored excerpt to ``folder/<id>.txt``; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for r in results:
        if r.text is not None:
            path = folder / f"{r.article.id}.txt"
            path.write_text(r.text, encoding="utf-8")
            written.append(path)
    return written


def load_texts(articles: Iterable[Article], folder: Path) -> dict[str, str]:
    """Excerpts already restored in ``folder`` whose fingerprints still check, by article id."""
    texts = {}
    for article in articles:
        path = folder / f"{article.id}.txt"
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if restore(article, text).ok:
                texts[article.id] = text
    return texts
