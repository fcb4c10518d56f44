"""Schemathesis against the app's own OpenAPI spec: no operation answers with a 5xx.

The app runs in-process over Schemathesis' ASGI transport, which runs the app's lifespan (so the
real :class:`~critmin.web.jobs.JobManager` with its spawned worker runs fuzzed job submissions).
It serves a *copy* of the bundled store in a temporary folder, so fuzzed imports and saved
scenarios never touch the shared store, with small :class:`~critmin.web.config.Limits` so that
fuzzed jobs stay cheap. Every request carries the write token, so the endpoints that write are
fuzzed past the token check too. Only the ``not_a_server_error`` check runs: the point is "never a
500", not conformance of every 4xx body to the spec. Every operation is fuzzed (nothing excluded);
examples per operation are few and the generation is derandomised, so a run is reproducible.
Set ``CRITMIN_FUZZ_COVERAGE=1`` for the deeper run with Schemathesis' coverage phase.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

import critmin
from critmin.web.app import create_app
from critmin.web.config import Limits, WebConfig
from critmin.web.security import ensure_token

SMALL = Limits(max_rows=500, max_draws=2_000, max_jobs=4, kept_jobs=20, max_upload_bytes=200_000)
"""Bounds that keep fuzzed job submissions and uploads cheap."""
EXAMPLES = 20
"""Generated cases per operation (Hypothesis ``max_examples``)."""
COVERAGE = os.environ.get("CRITMIN_FUZZ_COVERAGE") == "1"
"""Also run Schemathesis' coverage phase (every boundary and invalid value the spec defines: about
130 more cases per operation, about 2 minutes on 2 cores); off by default to keep the suite fast."""


FOLDER = Path(tempfile.mkdtemp(prefix="critmin-fuzz-"))
"""Where the copy of the store and the token live (filled by :func:`fuzz_server`)."""
atexit.register(shutil.rmtree, FOLDER, ignore_errors=True)
APP = create_app(
    WebConfig(db_path=FOLDER / "critmin.duckdb", token_file=FOLDER / "web-token.sha256", limits=SMALL)
)
# The spec is read from the app object (no request, so no lifespan at collection time); the cases
# are then sent to ``APP`` over the ASGI transport, which starts the lifespan (the job workers).
schema = schemathesis.openapi.from_dict(
    APP.openapi(),
    config=schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": COVERAGE}}}),
)
schema.app = APP


@pytest.fixture(scope="module")
def fuzz_server(bundled: critmin.Critmin) -> Iterator[tuple[Path, str]]:
    """A copy of the bundled store and a fresh write token for ``APP``: ``(store path, token)``."""
    store = FOLDER / "critmin.duckdb"
    shutil.copyfile(bundled.path, store)
    token = ensure_token(FOLDER / "web-token.sha256", renew=True)
    assert token is not None
    yield store, token
    shutil.rmtree(FOLDER, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_with_a_server_error(
    case: schemathesis.Case, fuzz_server: tuple[Path, str]
) -> None:
    _, token = fuzz_server
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error])


def test_the_fuzzed_store_is_a_copy(bundled: critmin.Critmin, fuzz_server: tuple[Path, str]) -> None:
    store, _ = fuzz_server
    assert store != bundled.path and store.parent != bundled.path.parent
