"""CSV cells made safe to open in a spreadsheet: every export writes through this module.

A cell starting with = + - @ (or a tab or carriage return) can be run as a formula by
spreadsheet software; such cells get a leading apostrophe so they are read as text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    """One cell as text, prefixed with ' when a spreadsheet would treat it as a formula."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(DANGEROUS_STARTS):
        return "'" + text
    return text


def write_rows(stream: TextIO, header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> None:
    """Write a header and rows as CSV, every cell neutralised."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
