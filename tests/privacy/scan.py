"""A database-wide scan for a person's details, for erasure tests in any package.

    from tests.privacy.scan import needles_for, scan_database
    needles = needles_for(resident)          # before erasing
    ...erase...
    assert scan_database(needles) == []

Every String, Text (and Enum) and JSON column of every table in the models' metadata is read
and searched, case-insensitively, for each needle; phone numbers are also searched in their
national and digits-only forms, postcodes with and without the space.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, String, select

from inclusion.extensions import db


@dataclass(frozen=True)
class Hit:
    table: str
    column: str
    key: str
    needle: str

    def __str__(self) -> str:
        return f"{self.table}.{self.column} (row {self.key}) holds {self.needle!r}"


def needles_for(person: Any) -> list[str]:
    """The strings that would identify a person: name, phone forms, email, postcode forms."""
    out: list[str] = []
    name = getattr(person, "name", None)
    if name:
        out.append(name)
    phone = getattr(person, "phone", None)
    if phone:
        out.append(phone)
        digits = "".join(ch for ch in phone if ch.isdigit())
        if digits.startswith("44"):
            national = digits[2:]
            out += [national, "0" + national, f"0{national[:4]} {national[4:]}"]
        else:
            out.append(digits)
    email = getattr(person, "email", None)
    if email:
        out.append(email)
    postcode = getattr(person, "postcode", None)
    if postcode:
        out += [postcode, postcode.replace(" ", "")]
    return list(dict.fromkeys(n for n in out if n))


def text_columns() -> dict[str, list[str]]:
    """Table name -> names of its text-like columns (String, Text, Enum, JSON)."""
    out: dict[str, list[str]] = {}
    for table in db.metadata.sorted_tables:
        names = [c.name for c in table.columns if isinstance(c.type, String | JSON)]
        if names:
            out[table.name] = names
    return out


def scan_database(needles: Iterable[str]) -> list[Hit]:
    """Every place in the database where one of the needles appears."""
    wanted = [n.lower() for n in needles if n]
    if not wanted:
        raise ValueError("nothing to look for")
    hits: list[Hit] = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | JSON)]
        if not columns:
            continue
        key_columns = list(table.primary_key.columns)
        rows = db.session.execute(select(*key_columns, *columns)).all()
        for row in rows:
            key = ",".join(str(v) for v in row[: len(key_columns)])
            for column, value in zip(columns, row[len(key_columns):], strict=True):
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                lowered = text.lower()
                for needle in wanted:
                    if needle in lowered:
                        hits.append(Hit(table.name, column.name, key, needle))
    return hits
