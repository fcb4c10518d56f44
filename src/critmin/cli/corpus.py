"""``critmin events corpus ...``: the labelled articles that measure event extraction.

critmin ships the articles' fingerprints and labels, not their texts (see
:mod:`critmin.events.corpus`): ``restore`` rebuilds the texts from saved pages or their URLs,
``score`` prints precision and recall per field on the texts at hand, ``train`` fits the
extractor's models on the tuning split, ``cv`` cross-validates them on it, ``fingerprint`` turns
a draft manifest and its texts into a manifest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from critmin.cli.context import run_guarded
from critmin.cli.output import Format, console, show
from critmin.errors import CritminError
from critmin.settings import home

app = typer.Typer(
    help="The labelled articles that measure extraction: restore their texts, score the extractor.",
    no_args_is_help=True,
)

ManifestOption = Annotated[
    Path | None, typer.Option("--manifest", help="Manifest JSON; default: the bundled corpus.")
]


def default_texts() -> Path:
    """Folder of restored article texts, ``$CRITMIN_HOME/articles``."""
    return home() / "articles"


@app.command()
def restore(
    saved: Annotated[
        list[Path] | None,
        typer.Option("--saved", help="Saved pages (HTML or text), files or folders; matched by fingerprint."),
    ] = None,
    offline: Annotated[bool, typer.Option(help="Do not fetch the articles' URLs.")] = False,
    to: Annotated[
        Path | None, typer.Option(help="Folder for the texts; default $CRITMIN_HOME/articles.")
    ] = None,
    manifest: ManifestOption = None,
) -> None:
    """Rebuild the labelled texts from saved copies of the pages, then from their URLs."""
    from critmin.events.corpus import fetch_url, files_in, load_manifest, restore_all, save_texts

    def job() -> None:
        import pandas as pd

        articles = load_manifest(manifest)
        results = restore_all(articles, files_in(saved or []), None if offline else fetch_url)
        folder = to or default_texts()
        written = save_texts(results, folder)
        frame = pd.DataFrame(
            [
                {
                    "article": r.article.id,
                    "restored": "yes" if r.ok else "no",
                    "paragraphs": f"{r.found}/{len(r.article.paragraphs)}",
                    "from": r.origin,
                    "problem": "; ".join(r.problems),
                }
                for r in results
            ]
        )
        show(frame, Format.table, title=f"Articles restored: {len(written)} of {len(results)} into {folder}")

    run_guarded(job)


@app.command()
def score(
    texts: Annotated[
        Path | None, typer.Option(help="Folder of restored texts; default $CRITMIN_HOME/articles.")
    ] = None,
    manifest: ManifestOption = None,
    verbose: Annotated[
        bool, typer.Option(help="Print each article's extracted and labelled events.")
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table, csv or json.")] = Format.table,
) -> None:
    """Precision and recall per field of the extractor on the articles whose texts are at hand."""
    from critmin.events.corpus import load_manifest, load_texts
    from critmin.events.evaluate import groups, report, run

    def job() -> None:
        import pandas as pd

        articles = load_manifest(manifest)
        found = load_texts(articles, texts or default_texts())
        if not found:
            raise CritminError(
                f"no restored article texts in {texts or default_texts()}: run `critmin events corpus "
                "restore`"
            )
        results = run(articles, found)
        if verbose:
            for r in results:
                console.print(r.article.id, style="bold", highlight=False)
                for label in r.got:
                    console.print(f"   got  {label}", markup=False, highlight=False)
                for label in r.want:
                    console.print(f"   want {label}", markup=False, highlight=False)
        members = groups(results)
        frames = []
        for group, frame in report(results).items():
            n = len(members[group])
            if fmt is Format.table:
                show(frame, fmt, title=f"{group}: {n} articles", percent=("precision", "recall"))
            frames.append(frame.assign(articles=group, n_articles=n))
        if fmt is not Format.table:
            show(pd.concat(frames, ignore_index=True), fmt)
        else:
            console.print(f"{len(found)} of {len(articles)} articles scored.", highlight=False)

    run_guarded(job)


@app.command()
def train(
    texts: Annotated[
        Path | None, typer.Option(help="Folder of restored texts; default $CRITMIN_HOME/articles.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Where to write the models; default: the package's shipped file.")
    ] = None,
    manifest: ManifestOption = None,
) -> None:
    """Train the extractor's models on the tuning split (held-out articles are never read)."""
    from critmin.events.corpus import load_manifest
    from critmin.events.model import model_path, save, train_corpus

    def job() -> None:
        articles = load_manifest(manifest)
        models, examples, unavailable = train_corpus(articles, texts or default_texts())
        if not examples:
            raise CritminError(
                f"no restored tuning texts in {texts or default_texts()}: run `critmin events corpus restore`"
            )
        path = out or model_path()
        save(models, examples, unavailable, path)
        console.print(
            f"trained on {len(examples)} tuning articles ({len(unavailable)} without a text at hand); "
            f"wrote {path}",
            highlight=False,
        )

    run_guarded(job)


@app.command()
def cv(
    texts: Annotated[
        Path | None, typer.Option(help="Folder of restored texts; default $CRITMIN_HOME/articles.")
    ] = None,
    folds: Annotated[int, typer.Option(min=2, help="Number of folds.")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the fold assignment.")] = 0,
    manifest: ManifestOption = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table, csv or json.")] = Format.table,
) -> None:
    """Cross-validate the models on the tuning split (held-out articles are never read)."""
    from critmin.events.corpus import load_manifest
    from critmin.events.crossval import cross_validate, pooled, read_tuning

    def job() -> None:
        examples = read_tuning(load_manifest(manifest), texts or default_texts())
        if len(examples) < folds:
            raise CritminError(
                f"{len(examples)} restored tuning texts in {texts or default_texts()}, fewer than "
                f"{folds} folds: run `critmin events corpus restore`"
            )
        report = pooled(cross_validate(examples, folds, seed))
        title = f"{folds}-fold cross-validation (seed {seed}) on {len(examples)} tuning articles"
        show(report.fields, fmt, title=title, percent=("precision", "recall"))
        show(
            report.types,
            fmt,
            title="per type",
            percent=tuple(str(c) for c in report.types.columns if str(c).endswith(("_p", "_r"))),
        )

    run_guarded(job)


@app.command()
def fingerprint(
    draft: Annotated[Path, typer.Argument(help="Draft manifest: articles with labels, no paragraphs.")],
    texts: Annotated[Path, typer.Argument(help="Folder holding each article's excerpt as <id>.txt.")],
    out: Annotated[Path, typer.Option(help="Manifest to write.")],
    about: Annotated[str, typer.Option(help="Description kept in the manifest.")] = "",
) -> None:
    """Write a manifest: the draft's articles with the fingerprints of their excerpt paragraphs."""
    from critmin.events.corpus import fingerprint_folder, load_manifest, write_manifest

    def job() -> None:
        articles = fingerprint_folder(load_manifest(draft, fingerprinted=False), texts)
        write_manifest(articles, out, about)
        console.print(f"{out}: {len(articles)} articles fingerprinted.", highlight=False)

    run_guarded(job)
