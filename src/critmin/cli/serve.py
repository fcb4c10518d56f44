"""``critmin serve``: the REST API and the dashboard, on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from critmin.cli.context import run_guarded

LOOPBACK = "127.0.0.1"


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to bind; anything but loopback opens the server to others.")
    ] = LOOPBACK,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Worker processes for jobs.")] = 1,
    new_token: Annotated[
        bool, typer.Option("--new-token", help="Replace the write token (shown once).")
    ] = False,
    token_file: Annotated[
        Path | None,
        typer.Option(help="Where the token's hash is kept (default $CRITMIN_HOME/web-token.sha256)."),
    ] = None,
    readers: Annotated[
        int, typer.Option(min=1, max=64, help="Read-only store connections kept open for requests.")
    ] = 8,
    baseline: Annotated[
        bool,
        typer.Option(
            "--baseline",
            hidden=True,
            help="Serve as before reads were made fast (a connection per request, pages computed on "
            "demand, no response cache): the benchmarks' baseline.",
        ),
    ] = False,
) -> None:
    """Serve the REST API (OpenAPI at /docs) and the web dashboard."""
    import uvicorn

    from critmin.settings import home
    from critmin.web.app import create_app
    from critmin.web.config import WebConfig
    from critmin.web.security import ensure_token

    def job() -> None:
        db = ctx.obj.open()
        tokens = token_file or home() / "web-token.sha256"
        config = (
            WebConfig.baseline(db.path, tokens, workers=workers)
            if baseline
            else WebConfig(db_path=db.path, token_file=tokens, workers=workers, readers=readers)
        )
        token = ensure_token(config.token_file, renew=new_token)
        if token is not None:
            typer.echo(f"write token (shown once; only its hash is kept in {config.token_file}):\n  {token}")
        if not is_loopback(host):
            typer.echo(f"warning: binding {host}: other machines can reach this server", err=True)
        typer.echo(f"critmin on http://{host}:{port}/  (API docs: /docs; store {db.path})")
        loop, http = ("asyncio", "h11") if baseline else ("auto", "auto")  # auto: uvloop and httptools
        uvicorn.run(
            create_app(config), host=host, port=port, log_level="info", access_log=False, loop=loop, http=http
        )

    run_guarded(job)
