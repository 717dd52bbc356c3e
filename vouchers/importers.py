"""CSV imports for vouchers: code batches from providers, and providers' redemption reports.

Both validate every row before changing anything (all or nothing), and report problems by
line number. Codes never appear in log lines or error messages beyond a masked tail.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import String, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY

from inclusion.extensions import db
from vouchers.models import VoucherCode, mask

MAX_ROWS = 250_000
MAX_ERRORS_SHOWN = 50
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{3,63}$")
# No 0/O, 1/I/L: codes are read out over the phone and typed from a text message.
UNAMBIGUOUS = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PREFIX_RE = re.compile(r"^[A-Z0-9-]{0,10}$")


@dataclass
class ImportProblems(Exception):
    """The file was refused; nothing was saved."""

    errors: list[str] = field(default_factory=list)
    total: int = 0

    def __str__(self) -> str:
        return f"{self.total} problem(s)"

    @property
    def shown(self) -> list[str]:
        return self.errors[:MAX_ERRORS_SHOWN]


class _Collector:
    def __init__(self) -> None:
        self.found: list[tuple[int, str]] = []
        self.total = 0

    def add(self, line: int | None, message: str) -> None:
        self.total += 1
        if len(self.found) < MAX_ERRORS_SHOWN * 4:
            self.found.append((line or 0, f"Line {line}: {message}" if line else message))

    def raise_if_any(self) -> None:
        if self.total:
            ordered = [text for _line, text in sorted(self.found, key=lambda f: f[0])]
            raise ImportProblems(ordered[:MAX_ERRORS_SHOWN], self.total)


def _rows(data: bytes, required: Iterable[str]) -> tuple[list[tuple[int, dict[str, str]]],
                                                          _Collector]:
    problems = _Collector()
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.add(None, "The file must be a CSV saved as UTF-8")
        problems.raise_if_any()
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error:
        header = []
    missing = [name for name in required if name not in header]
    if missing:
        problems.add(1, f"The first line must name the columns; missing: {', '.join(missing)}")
        problems.raise_if_any()
    width = len(header)
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for row in reader:
            line = reader.line_num
            if len(rows) >= MAX_ROWS:
                problems.add(None, f"The file has more than {MAX_ROWS:,} rows; split it")
                problems.raise_if_any()
            if not any(value.strip() for value in row):
                continue  # blank line
            if len(row) > width:
                problems.add(line, "has more values than there are columns")
                continue
            # A short row leaves its last columns out (read as empty).
            values = dict(zip(header, (value.strip() for value in row), strict=False))
            rows.append((line, values))
    except csv.Error as exc:
        problems.add(None, f"The file is not valid CSV ({exc})")
    if not rows and not problems.total:
        problems.add(None, "The file has no rows")
    return rows, problems


def existing_codes(codes: Iterable[str]) -> set[str]:
    """Which of these codes are already stored (checked in chunks)."""
    wanted = list(codes)
    found: set[str] = set()
    postgres = db.session.get_bind().dialect.name == "postgresql"
    # PostgreSQL takes a chunk as one array parameter; SQLite as a list of parameters.
    size = 50_000 if postgres else 500
    for start in range(0, len(wanted), size):
        chunk = wanted[start:start + size]
        if postgres:
            condition = VoucherCode.code == any_(bindparam("codes", chunk, type_=ARRAY(String)))
        else:
            condition = VoucherCode.code.in_(chunk)
        found.update(db.session.scalars(select(VoucherCode.code).where(condition)))
    return found


def parse_codes(data: bytes) -> list[str]:
    """The codes of a provider's CSV (a `code` column), or ImportProblems naming every bad line."""
    rows, problems = _rows(data, ["code"])
    seen: dict[str, int] = {}
    codes: list[str] = []
    for line, values in rows:
        code = values.get("code", "")
        if not code:
            problems.add(line, "the code is empty")
        elif not CODE_RE.match(code):
            problems.add(line, "a code must be 4 to 64 letters, digits or hyphens")
        elif code in seen:
            problems.add(line, f"code {mask(code)} is repeated (first on line {seen[code]})")
        else:
            seen[code] = line
            codes.append(code)
    if not problems.total:
        for code in sorted(existing_codes(codes), key=lambda c: seen[c]):
            problems.add(seen[code], f"code {mask(code)} is already in stock")
    problems.raise_if_any()
    return codes


def generate_codes(*, count: int, length: int, prefix: str) -> list[str]:
    """Cryptographically random codes from an unambiguous alphabet, none already stored."""
    codes: set[str] = set()
    while len(codes) < count:
        needed = count - len(codes)
        fresh = {prefix + "".join(secrets.choice(UNAMBIGUOUS) for _ in range(length))
                 for _ in range(needed)}
        fresh -= codes
        fresh -= existing_codes(fresh)
        codes |= fresh
    return sorted(codes)


@dataclass(frozen=True)
class Redemption:
    line: int
    code: str
    redeemed_on: date


def _parse_when(value: str) -> date | None:
    for parse in (date.fromisoformat, lambda v: datetime.fromisoformat(v).date(),
                  lambda v: datetime.strptime(v, "%d/%m/%Y").date()):
        try:
            return parse(value)  # type: ignore[no-any-return]
        except ValueError:
            continue
    return None


def parse_redemptions(data: bytes, *, today: date) -> tuple[list[Redemption], _Collector]:
    """Rows of a redemption report (`code`, `redeemed_at`) checked for form, and the problems
    found so far (the caller adds its own, then raises)."""
    rows, problems = _rows(data, ["code", "redeemed_at"])
    seen: dict[str, int] = {}
    out: list[Redemption] = []
    for line, values in rows:
        code = values.get("code", "")
        when = _parse_when(values.get("redeemed_at", ""))
        if not code:
            problems.add(line, "the code is empty")
            continue
        if code in seen:
            problems.add(line, f"code {mask(code)} is repeated (first on line {seen[code]})")
            continue
        seen[code] = line
        if when is None:
            problems.add(line, "redeemed_at must be a date like 2026-05-31")
        elif when > today:
            problems.add(line, "redeemed_at is in the future")
        else:
            out.append(Redemption(line, code, when))
    return out, problems
