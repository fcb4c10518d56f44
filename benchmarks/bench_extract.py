"""Benchmark event extraction: precision and recall per field on the labelled corpus, and throughput.

Quality. The corpus (``critmin/data/reference/extraction_corpus.json``, real articles labelled by hand)
ships without its texts; they are read from ``--texts`` (default ``$CRITMIN_HOME/articles``, where
``critmin events corpus restore`` writes them). Articles can also be restored here, offline,
from saved copies of their pages given with ``--saved`` (default: the shared seed folder,
``$CRITMIN_RAW_DATA/seed`` or ``../shared/data/seed``, which holds the MEA briefing). Precision
and recall per field (:mod:`critmin.events.evaluate`) are printed for all articles, those the
rules were tuned on, and the held-out ones (labelled before the extractor ever ran on them and
never looked at while changing the rules).

Speed. :func:`critmin.events.extract.extract` over every available text, repeated for at least
``--seconds``, after one warm-up call that builds the pipeline. Three baselines in the same process
on the same texts: spaCy's blank English tokenizer alone, critmin's pipeline without the
event rules (tokenizer, sentencizer, the catalog entity ruler), and the rules alone
(:func:`~critmin.events.extract.extract_rules`, the extractor before issue 16's models). The ratios
say what the entity gazetteers, the event rules and the models cost on top of tokenising. No assertions.

Usage::

    .venv/bin/python benchmarks/bench_extract.py [--texts DIR] [--saved DIR ...] [--verbose]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from critmin.events.corpus import files_in, load_manifest, load_texts, restore_all
from critmin.events.evaluate import by_type, groups, report, run
from critmin.events.extract import _pipeline, extract, extract_rules
from critmin.settings import home

ROOT = Path(__file__).resolve().parents[1]


def default_saved() -> list[Path]:
    """The shared seed folder, if present."""
    raw = os.environ.get("CRITMIN_RAW_DATA")
    seed = Path(raw) / "seed" if raw else ROOT.parent / "shared" / "data" / "seed"
    return [seed] if seed.is_dir() else []


def texts_at_hand(folder: Path, saved: list[Path]) -> dict[str, str]:
    """Restored texts in ``folder``, plus any article restored offline from the saved pages."""
    articles = load_manifest()
    texts = load_texts(articles, folder)
    missing = [a for a in articles if a.id not in texts]
    for r in restore_all(missing, files_in(saved), None):
        if r.text is not None:
            texts[r.article.id] = r.text
    return texts


def rate(fn: Callable[[str], object], texts: list[str], seconds: float) -> tuple[float, int]:
    """Texts per second of ``fn`` over ``texts``, repeated for at least ``seconds``."""
    done, start = 0, time.perf_counter()
    while True:
        for text in texts:
            fn(text)
        done += len(texts)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed, done


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its tables."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--texts", type=Path, default=home() / "articles", help="restored texts")
    parser.add_argument("--saved", type=Path, action="append", help="saved pages (files or folders)")
    parser.add_argument("--seconds", type=float, default=3.0, help="minimum time per speed run")
    parser.add_argument("--verbose", action="store_true", help="each article's events")
    args = parser.parse_args(argv)

    articles = load_manifest()
    texts = texts_at_hand(args.texts, args.saved if args.saved is not None else default_saved())
    print(f"labelled articles: {len(articles)}; texts at hand: {len(texts)} (from {args.texts}", end="")
    print(" and saved pages)" if texts else ")")
    if len(texts) < len(articles):
        print("  the rest: `critmin events corpus restore` (fetches the URLs) or --saved DIR")
    if not texts:
        return 0

    extract("China restricts exports of gallium from 1 August.")
    extract_rules("China restricts exports of gallium from 1 August.")
    results = run(articles, texts)
    if args.verbose:
        for r in results:
            print(r.article.id)
            for label in r.got:
                print("   got ", label)
            for label in r.want:
                print("   want", label)
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 120):
        members = groups(results)
        for group, frame in report(results).items():
            chosen = members[group]
            labels = sum(len(r.want) for r in chosen)
            print(f"\n{group}: {len(chosen)} articles, {labels} labelled events")
            print(frame.to_string(index=False) if chosen else "  (none)")
            if chosen:
                print(f"\n{group}, per type (_p precision, _r recall):")
                print(by_type(chosen).to_string(index=False))

    import spacy

    blank = spacy.blank("en")
    nlp, _, _ = _pipeline()
    bodies = [texts[a.id] for a in articles if a.id in texts]
    published = {texts[a.id]: a.published for a in articles if a.id in texts}
    words = sum(len(t.split()) for t in bodies) / len(bodies)
    print(
        f"\nspeed over {len(bodies)} texts ({words:.0f} words on average), at least {args.seconds:g} s each:"
    )
    rows = []
    for name, fn in (
        ("tokenizer only (baseline)", blank),
        ("pipeline without event rules", nlp),
        ("rules alone (extract_rules)", lambda t: extract_rules(t, published=published[t])),
        ("extract (rules + models)", lambda t: extract(t, published=published[t])),
    ):
        per_s, n = rate(fn, bodies, args.seconds)
        rows.append((name, per_s, n))
    base = rows[0][1]
    for name, per_s, n in rows:
        speed = f"{per_s:9.1f} texts/s {per_s * words:11.0f} words/s"
        print(f"  {name:<30} {speed}  ({n} runs)  ratio {per_s / base:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
