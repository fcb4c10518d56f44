"""The pages' own error: bad input, shown as an HTML error page with its status."""

from __future__ import annotations

from critmin.errors import CritminError


class PageError(CritminError):
    """A page cannot be shown: bad input (``status`` 4xx) with a message for the reader."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
