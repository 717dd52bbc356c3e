"""Resident rules: registration, duplicates, search, edits, consents, assessments."""

from __future__ import annotations

from sqlalchemy import or_
from sqlalchemy.sql import Select

from inclusion.forms import normalise_postcode
from inclusion.residents.models import Resident
from inclusion.tenancy import scoped


def search_query(text: str) -> Select[tuple[Resident]]:
    """The acting partner's residents matching a name, phone or postcode."""
    query = scoped(Resident)
    digits = "".join(ch for ch in text if ch.isdigit())
    postcode = normalise_postcode(text)
    conditions = [Resident.name_search.contains(text.lower(), autoescape=True)]
    if len(digits) >= 6:
        tail = digits[1:] if digits.startswith("0") else digits
        conditions.append(Resident.phone.endswith(tail[-10:], autoescape=True))
    if postcode:
        conditions.append(Resident.postcode == postcode)
    elif 2 <= len(text) <= 4 and text[0].isalpha():
        conditions.append(Resident.postcode.startswith(text.upper().strip() + " ", autoescape=True))
    return query.where(or_(*conditions)).order_by(Resident.name_search, Resident.id)
