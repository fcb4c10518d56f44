"""Number formats shared by the charts, the brief's tables and the dashboard."""

from __future__ import annotations

import math


def significant(value: float) -> str:
    """At least three significant figures, thousands separators, no exponent, no trailing zeros."""
    if value == 0:
        return "0"
    digits = math.floor(math.log10(abs(value)))
    decimals = min(max(0, 2 - digits), 12)
    out = f"{round(value, decimals):,.{decimals}f}"
    if decimals:
        out = out.rstrip("0").rstrip(".")
    return "0" if out == "-0" else out


def format_value(value: float | None, unit: str = "") -> str:
    """A number formatted for a label, with its unit.

    Parameters
    ----------
    value
        The number (``None`` is missing).
    unit
        ``"share"``: ``value`` is a fraction in [0, 1] shown as a percent (0.125 -> ``"12.5%"``);
        ``"%"``: ``value`` is already a percent (12.5 -> ``"12.5%"``); ``"t"``: tonnes (1234 ->
        ``"1,234 t"``); ``""``: the bare number (0.37249 -> ``"0.372"``); anything else is appended
        after a space. Numbers keep at least three significant figures, all integer digits, and
        thousands separators.

    Returns
    -------
    str
        The label; ``"n/a"`` for a missing, NaN or infinite value.
    """
    if value is None:
        return "n/a"
    value = float(value)
    if not math.isfinite(value):
        return "n/a"
    if unit == "share":
        return f"{significant(100 * value)}%"
    if unit == "%":
        return f"{significant(value)}%"
    return f"{significant(value)} {unit}" if unit else significant(value)


def axis_format(unit: str) -> str | None:
    """The d3 format of an axis in ``unit``: percent for shares, else Vega's default (``None``)."""
    return ".0%" if unit == "share" else None
