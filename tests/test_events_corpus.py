"""The labelled article corpus (issue 7 point 4): manifest, restoring texts, scoring.

The bundled manifest carries fingerprints, not texts; the one article whose text is among the shared
source files (the MEA briefing in ../shared/data/seed) is restored from it here, from an HTML
rendering of it, and over HTTP from a local server, and scored.
"""

from __future__ import annotations

import csv
import html
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from critmin.cli.events import app
from critmin.events.contract import EVENT_TYPES
from critmin.events.corpus import (
    HEAD_WORDS,
    Article,
    CorpusError,
    Paragraph,
    fetch_url,
    fingerprint,
    load_manifest,
    load_texts,
    normal_words,
    restore,
    restore_all,
    save_texts,
)
from critmin.events.evaluate import match, report, run, score

SEED_ID = "mea_briefing_2026-01-17"


def _reference(name: str) -> list[dict[str, str]]:
    text = resources.files("critmin.data.reference").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    return load_manifest()


@pytest.fixture(scope="module")
def seed_text(raw_data: Path) -> str:
    return (raw_data / "seed" / f"{SEED_ID}.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed(articles: list[Article]) -> Article:
    return next(a for a in articles if a.id == SEED_ID)


def _html(text: str) -> str:
    """The text as a web page: navigation, a script, entities and inline markup inside paragraphs."""
    paragraphs = []
    for line in text.splitlines():
        if not line.strip():
            continue
        words = html.escape(line).split(" ")
        words[1] = f"<b>{words[1]}</b>"
        paragraphs.append("<p>" + " ".join(words).replace("\u2013", "&ndash;") + "</p>")
    return (
        "<!doctype html><html><head><title>t</title><style>p{color:red}</style>"
        "<script>var x = 'Joint Working Group';</script></head><body><nav><ul><li>Home</li>"
        "<li>World</li></ul></nav><article>" + "\n".join(paragraphs) + "</article></body></html>"
    )


def test_bundled_corpus_has_twenty_real_sourced_articles(articles: list[Article]) -> None:
    assert len(articles) >= 21
    with_url = [a for a in articles if a.url]
    assert len(with_url) >= 20
    assert all(a.url or a.where for a in articles)
    assert all(a.publisher and a.terms and a.title and a.published.year >= 2009 for a in articles)
    assert len({a.url for a in with_url}) == len(with_url)
    assert sum(a.heldout for a in articles) >= 6
    assert all(a.events for a in articles)
    assert len({e["type"] for a in articles for e in a.events}) >= 6


def test_labels_use_catalog_codes(articles: list[Article]) -> None:
    places = {r["code"] for r in _reference("places.csv")} | {"EUU"}
    commodities = {r["commodity"] for r in _reference("commodities.csv")}
    for a in articles:
        for e in a.events:
            assert e["type"] in EVENT_TYPES, a.id
            assert {e["actor"], *e["targets"]} <= places, a.id
            assert set(e["commodities"]) <= commodities, a.id
            if e["valid_from"] and e["valid_to"]:
                assert e["valid_from"] <= e["valid_to"], a.id


def test_the_manifest_holds_no_article_text(seed_text: str) -> None:
    raw = resources.files("critmin.data.reference").joinpath("extraction_corpus.json").read_text("utf-8")
    manifest = " ".join(raw.lower().split())
    words = normal_words(seed_text)
    runs = {" ".join(words[i : i + 10]) for i in range(len(words) - 9)}
    assert not [r for r in runs if r in manifest]
    assert "evidence" not in json.loads(raw)["articles"][0]


def test_the_seed_briefing_is_restored_from_the_shared_file(seed: Article, raw_data: Path) -> None:
    (result,) = restore_all([seed], [raw_data / "seed" / f"{SEED_ID}.txt"])
    assert result.ok and result.found == len(seed.paragraphs) == 12
    assert result.text is not None
    source = (raw_data / "seed" / f"{SEED_ID}.txt").read_text(encoding="utf-8")
    restored = [normal_words(line) for line in result.text.splitlines()]
    assert restored == [normal_words(line) for line in source.splitlines() if normal_words(line)]


def test_restoring_ignores_markup_scripts_and_entities(seed: Article, seed_text: str) -> None:
    plain = restore(seed, seed_text)
    from_html = restore(seed, _html(seed_text))
    assert plain.ok and from_html.ok
    assert from_html.text == plain.text
    assert "Joint Working Group on Critical Minerals" in str(from_html.text)


def test_a_reworded_page_is_refused_and_nothing_is_written(
    seed: Article, seed_text: str, tmp_path: Path
) -> None:
    changed = seed_text.replace("valid till 26th April", "valid till 26th May")
    result = restore(seed, changed)
    assert not result.ok and result.text is None
    assert result.found == len(seed.paragraphs) - 1
    assert result.problems == ["paragraph 11: its wording differs"]
    assert save_texts([result], tmp_path) == []
    missing = restore(seed, "An unrelated page about the weather in Delhi today.")
    assert missing.found == 0 and "not found in the page" in missing.problems[0]


def test_restored_texts_are_reused_only_while_their_fingerprints_check(
    seed: Article, seed_text: str, tmp_path: Path
) -> None:
    save_texts([restore(seed, seed_text)], tmp_path)
    assert set(load_texts([seed], tmp_path)) == {SEED_ID}
    path = tmp_path / f"{SEED_ID}.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("Myanmar", "Burma"), encoding="utf-8")
    assert load_texts([seed], tmp_path) == {}


@pytest.fixture
def page_server(seed_text: str) -> Iterator[str]:
    body = _html(seed_text).encode("utf-8")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/briefing":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_articles_are_fetched_from_their_url(seed: Article, page_server: str) -> None:
    online = replace(seed, url=f"{page_server}/briefing")
    gone = replace(seed, id="gone", url=f"{page_server}/moved")
    ok, failed = restore_all([online, gone], [], fetch_url)
    assert ok.ok and ok.origin == online.url
    assert not failed.ok and "cannot fetch" in failed.problems[0] and "404" in failed.problems[0]
    offline = restore_all([online], [], None)[0]
    assert not offline.ok and offline.problems == ["no saved copy matched"]


def test_fingerprints_follow_the_normalisation() -> None:
    a = Paragraph.of("China\u2019s \u201cexport controls\u201d \u2013 from 1 August \u2022 2023.")
    b = Paragraph.of('china\'s "export   controls" - from 1 august 2023.')
    assert a == b and a.words == 7
    assert Paragraph.of("one two three").head == Paragraph.of("one two three").sha256
    assert HEAD_WORDS == 8
    with pytest.raises(CorpusError, match="empty paragraph"):
        Paragraph.of(" \u2022 - ")


def _write(tmp_path: Path, articles: object) -> Path:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"articles": articles}), encoding="utf-8")
    return path


def _entry() -> dict[str, object]:
    return {
        "id": "x",
        "url": "https://example.org/a",
        "publisher": "P",
        "published": "2024-01-02",
        "title": "T",
        "terms": "\u00a9 P",
        "heldout": False,
        "events": [
            {
                "type": "export_ban",
                "actor": "IDN",
                "targets": [],
                "commodities": ["nickel"],
                "valid_from": "2020-01-01",
                "valid_to": None,
            }
        ],
        "paragraphs": [{"head": "h", "words": 3, "sha256": "s"}],
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"publisher": None}, r"article 1 \(x\): field 'publisher' must be str"),
        ({"url": "ftp://example.org"}, r"field 'url' must be an http\(s\) URL"),
        ({"url": None}, r"needs field 'where'"),
        ({"published": "2024-13-01"}, r"field 'published' is not a date"),
        ({"paragraphs": []}, r"field 'paragraphs' is empty"),
        ({"events": [{"type": "embargo"}]}, r"event 1: field 'type' 'embargo' is not one of"),
        ({"events": [{**_entry()["events"][0], "actor": "Indonesia"}]}, r"'actor' must be an ISO3"),  # type: ignore[index]
        ({"events": [{**_entry()["events"][0], "source": "x"}]}, r"unknown field\(s\) \['source'\]"),  # type: ignore[index]
    ],
)
def test_a_malformed_entry_is_refused_naming_it_and_the_field(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    path = _write(tmp_path, [{**_entry(), **change}])
    with pytest.raises(CorpusError, match=message) as caught:
        load_manifest(path)
    assert str(path) in str(caught.value)


def test_duplicate_ids_and_broken_json_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="'x' appears twice"):
        load_manifest(_write(tmp_path, [_entry(), _entry()]))
    broken = tmp_path / "broken.json"
    broken.write_text('{"articles": [\n{"id": }\n]}', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"broken.json: line 2: not JSON"):
        load_manifest(broken)


def _label(kind: str, actor: str, targets: list[str], commodities: list[str], start: str | None) -> dict:
    return {
        "type": kind,
        "actor": actor,
        "targets": targets,
        "commodities": commodities,
        "valid_from": start,
        "valid_to": None,
    }


def test_scores_count_matches_elements_and_dates() -> None:
    want = [
        _label("export_control", "CHN", [], ["gallium", "germanium"], "2023-08-01"),
        _label("agreement", "AUS", ["IND"], [], None),
    ]
    got = [
        _label("export_control", "CHN", ["USA"], ["gallium"], "2023-07-03"),
        _label("agreement", "IND", ["AUS", "JPN"], [], None),
        _label("export_ban", "IDN", [], ["nickel"], "2020-01-01"),
    ]
    assert match(got, want) == [(0, 0), (1, 1)]
    counts = score([(got, want)])
    assert (counts["type"].correct, counts["type"].predicted, counts["type"].labelled) == (2, 3, 2)
    assert (counts["commodities"].correct, counts["commodities"].predicted) == (1, 2)
    assert counts["commodities"].labelled == 2
    assert (counts["targets"].correct, counts["targets"].predicted, counts["targets"].labelled) == (2, 4, 2)
    assert (counts["valid_from"].correct, counts["valid_from"].predicted) == (0, 2)
    assert counts["valid_to"].precision is None and counts["valid_to"].recall is None
    assert match([_label("export_control", "IDN", [], [], None)], want) == []


def test_the_seed_briefing_scores_perfectly(seed: Article, seed_text: str) -> None:
    results = run([seed], {SEED_ID: seed_text})
    tables = report(results)
    overall = tables["all"].set_index("field").loc["overall"]
    assert overall["precision"] == overall["recall"] == 1.0
    assert overall["labelled"] == 4 + 4 + 5 + 1 + 2 + 1
    assert tables["heldout"]["predicted"].sum() == 0
    wrong = replace(seed, events=(*seed.events[:-1], {**seed.events[-1], "actor": "THA"}))
    worse = report(run([wrong], {SEED_ID: seed_text}))["all"].set_index("field")
    assert worse.loc["actor", "recall"] == 0.75


def test_cli_restores_from_saved_pages_and_scores(raw_data: Path, tmp_path: Path) -> None:
    texts = tmp_path / "texts"
    runner = CliRunner()
    result = runner.invoke(
        app, ["corpus", "restore", "--saved", str(raw_data / "seed"), "--offline", "--to", str(texts)]
    )
    assert result.exit_code == 0, result.output
    assert "Articles restored: 1 of" in result.output
    assert [p.name for p in texts.iterdir()] == [f"{SEED_ID}.txt"]
    result = runner.invoke(app, ["corpus", "score", "--texts", str(texts), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    overall = next(r for r in rows if r["field"] == "overall" and r["articles"] == "all")
    assert (overall["precision"], overall["recall"], overall["n_articles"]) == (1.0, 1.0, 1)


def test_cli_score_without_texts_says_how_to_get_them(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["corpus", "score", "--texts", str(tmp_path)])
    assert result.exit_code == 1
    assert "critmin events corpus restore" in result.output


def test_cli_fingerprints_a_draft(seed: Article, seed_text: str, tmp_path: Path) -> None:
    draft = seed.to_json()
    del draft["paragraphs"]
    (tmp_path / "draft.json").write_text(json.dumps({"articles": [draft]}), encoding="utf-8")
    (tmp_path / f"{SEED_ID}.txt").write_text(seed_text, encoding="utf-8")
    out = tmp_path / "manifest.json"
    result = CliRunner().invoke(
        app, ["corpus", "fingerprint", str(tmp_path / "draft.json"), str(tmp_path), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert load_manifest(out) == [seed]
    assert fingerprint(seed, seed_text) == seed
    assert seed.published == date(2026, 1, 17)


def test_cli_restore_names_a_missing_saved_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = CliRunner().invoke(app, ["corpus", "restore", "--saved", str(missing), "--offline"])
    assert result.exit_code == 1
    assert f"{missing}: no such file or folder" in " ".join(result.output.split())
