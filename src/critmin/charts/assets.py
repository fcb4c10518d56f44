"""The JavaScript the dashboard charts run on: Vega, Vega-Lite and Vega-Embed in one file, no CDN.

:func:`vega_bundle` asks vl-convert (a pinned PyPI package that carries those libraries) to bundle
them once, then keeps the file in memory and under the user cache directory, keyed by the versions,
so only the first call on a machine pays the bundling (about 2 s). The bundle's Vega-Embed carries
Vega's CSP-safe expression interpreter: embedding with ``ast: true`` (as ``static/charts.js`` does)
runs the charts without ``eval`` or ``Function``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from functools import cache
from importlib.metadata import version
from pathlib import Path

import platformdirs
import vl_convert

from critmin.charts.svg import VL_VERSION

SNIPPET = "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"
_lock = threading.Lock()


def bundle_key() -> str:
    """The versions that determine the bundle: vl-convert, Vega, Vega-Lite, Vega-Embed."""
    return (
        f"vl-convert-{version('vl-convert-python')}_vega-{vl_convert.get_vega_version()}"
        f"_vega-lite-{VL_VERSION}_vega-embed-{vl_convert.get_vega_embed_version()}"
    )


def cache_file(directory: Path | None = None) -> Path:
    """Where the bundle of these versions is kept on disk."""
    root = directory or Path(platformdirs.user_cache_dir("critmin")) / "vega"
    return root / f"vega-bundle_{bundle_key()}.js"


@cache
def vega_bundle() -> bytes:
    """The bundle as UTF-8 bytes: from memory, else the disk cache, else built and cached."""
    with _lock:
        return load_or_build(cache_file())


def load_or_build(path: Path) -> bytes:
    """The bundle cached at ``path``, built and written there (atomically) when missing."""
    if path.is_file():
        return path.read_bytes()
    data = build().encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except OSError:
        pass
    return data


def build() -> str:
    """Bundle Vega, Vega-Lite and Vega-Embed with vl-convert (they become ``window`` globals)."""
    return str(vl_convert.javascript_bundle(SNIPPET, vl_version=VL_VERSION))


def etag() -> str:
    """A strong validator for the bundle (its SHA-256, shortened)."""
    return hashlib.sha256(vega_bundle()).hexdigest()[:32]
