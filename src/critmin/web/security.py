"""The write token: generated on first run, shown once, stored only as a SHA-256 hash.

Endpoints that change anything (imports, saved scenarios, events) depend on :func:`require_token`:
the client sends ``Authorization: Bearer <token>``. Reads need no token; the server binds to
127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from critmin.errors import CritminError

TOKEN_BYTES = 32
bearer = HTTPBearer(auto_error=False, description="The write token printed once by `critmin serve`.")


class TokenError(CritminError):
    """No token, or a wrong one, on an endpoint that writes."""


def digest(token: str) -> str:
    """SHA-256 hex digest of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def ensure_token(token_file: Path, *, renew: bool = False) -> str | None:
    """Create the token file if it is missing (or ``renew``); return the new token, else ``None``.

    The token itself is returned once, to be shown to the operator; only its hash is written, to a
    file readable by its owner alone.
    """
    if token_file.exists() and not renew:
        return None
    token = secrets.token_urlsafe(TOKEN_BYTES)
    token_file.parent.mkdir(parents=True, exist_ok=True)
    temporary = token_file.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(digest(token) + "\n")
    os.replace(temporary, token_file)
    return token


def stored_digest(token_file: Path) -> str:
    """The hash in the token file ("" when there is none: then every write is refused)."""
    try:
        return token_file.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def check(token_file: Path, credentials: HTTPAuthorizationCredentials | None) -> None:
    """Raise :class:`TokenError` unless the bearer token matches the stored hash."""
    expected = stored_digest(token_file)
    if credentials is None or not credentials.credentials:
        raise TokenError("this endpoint writes: send the token as 'Authorization: Bearer <token>'")
    if not expected or not hmac.compare_digest(digest(credentials.credentials), expected):
        raise TokenError("wrong token (run `critmin serve --new-token` to make a new one)")


async def require_token(request: Request) -> None:
    """FastAPI dependency for endpoints that write."""
    credentials = await bearer(request)
    check(request.app.state.config.token_file, credentials)
