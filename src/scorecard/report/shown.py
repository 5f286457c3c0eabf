"""Data values made safe to show in a terminal or a message.

A cell, a header or an id is whatever the source system (or an attacker)
put there: a line break that starts a forged ``error:`` line, an ESC
sequence that recolours or clears the terminal, a bidirectional override
that reorders what is read, or a 200 MB value. Before any of it is put into
a message it goes through :func:`shown`; everything printed goes through
:func:`visible` once more, so a path that forgot cannot forge a line.

Rich markup and emoji codes are not handled here: the code that prints
turns them off for data (see ``terminal.print_issues``).
"""

from __future__ import annotations

import re

import polars as pl
from rich.text import Text

# Longest value shown whole; a longer one is cut and its length given.
LIMIT = 80

# C0 and C1 controls and DEL, the Unicode line and paragraph separators, and
# the bidirectional formatting characters (reordering text on screen).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control character written out (ESC as ``\\x1b``, a line break as ``\\n``)."""
    return _UNSAFE.sub(_escape, text)


def cut(text: str, limit: int = LIMIT) -> str:
    """At most ``limit`` characters of ``text``, then how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…({len(text)} characters)"


def shown(value: object, limit: int = LIMIT) -> str:
    """Any data value as it may appear in a message: cut to ``limit`` characters, controls escaped."""
    text = "" if value is None else str(value)
    return visible(cut(text, limit))


def as_text(value: object, limit: int | None = None) -> Text:
    """A data value for a rich table cell or line: printed as written, never as markup or an
    emoji code, with control characters written out (and cut to ``limit`` when given)."""
    text = "" if value is None else str(value)
    return Text(visible(text if limit is None else cut(text, limit)))


def shown_expr(expr: pl.Expr, limit: int = LIMIT) -> pl.Expr:
    """:func:`shown` as a polars expression, for messages built from many rows at once.

    The cut is done by polars first, so a 200 MB cell never becomes a Python
    string; the (few) kept values are then escaped one by one.
    """
    text = expr.cast(pl.String)
    length = text.str.len_chars()
    kept = (
        pl.when(length > limit).then(pl.format("{}…({} characters)", text.str.slice(0, limit), length)).otherwise(text)
    )
    return kept.map_elements(visible, return_dtype=pl.String, skip_nulls=True)
