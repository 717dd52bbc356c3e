"""Message wording: purposes and their placeholders, templates per language, length and cost."""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, current_app
from sqlalchemy import select

from inclusion.exceptions import ValidationError
from inclusion.extensions import db
from inclusion.sms.models import SmsTemplate

FALLBACK_LANGUAGE = "en"

# The GSM 03.38 basic character set, and the extension set whose characters cost two septets.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Purpose:
    """A kind of message a package sends, the placeholders it fills, and its English wording."""

    name: str
    placeholders: frozenset[str]
    default_body: str
    description: str = ""
    # The text carries a secret (a voucher code): exports about the resident leave it out.
    secret: bool = False


@dataclass(frozen=True)
class Length:
    characters: int
    encoding: str  # "GSM-7" or "UCS-2"
    segments: int


def measure(body: str) -> Length:
    """Characters, encoding and the number of SMS segments the text will be billed as."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in body):
        septets = sum(2 if ch in GSM7_EXTENSION else 1 for ch in body)
        segments = 1 if septets <= 160 else math.ceil(septets / 153)
        return Length(len(body), "GSM-7", segments if body else 0)
    units = len(body.encode("utf-16-le")) // 2
    segments = 1 if units <= 70 else math.ceil(units / 67)
    return Length(len(body), "UCS-2", segments)


def register_purpose(bp: Blueprint, purpose: Purpose) -> None:
    """Called by a domain package: declare a kind of message it sends."""

    def _record(state: Any) -> None:
        purposes_of(state.app)[purpose.name] = purpose

    bp.record_once(_record)


def purposes_of(app: Flask) -> dict[str, Purpose]:
    return app.extensions.setdefault("inclusion.sms.purposes", {})


def purposes() -> dict[str, Purpose]:
    return purposes_of(current_app)


def placeholders_in(body: str) -> set[str]:
    """The {placeholder} names a template uses; raises ValidationError if braces are broken."""
    try:
        parsed = list(string.Formatter().parse(body))
    except ValueError as exc:
        raise ValidationError(
            "Placeholders must look like {code}: check every { has a matching }", field="body"
        ) from exc
    names: set[str] = set()
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name or not name.isidentifier() or spec or conversion:
            raise ValidationError(
                "Placeholders must be a name in braces, like {code}", field="body"
            )
        names.add(name)
    return names


def check_template(purpose_name: str, body: str) -> None:
    """Refuse a template that uses a placeholder its purpose does not fill."""
    purpose = purposes().get(purpose_name)
    if purpose is None:
        raise ValidationError("Choose what the message is for", field="purpose")
    if not body.strip():
        raise ValidationError("Enter the message", field="body")
    unknown = placeholders_in(body) - purpose.placeholders
    if unknown:
        allowed = ", ".join("{" + p + "}" for p in sorted(purpose.placeholders)) or "none"
        raise ValidationError(
            f"Unknown placeholder {', '.join('{' + u + '}' for u in sorted(unknown))}. "
            f"This message can use: {allowed}",
            field="body",
        )


def template_body(purpose: str, language: str) -> tuple[str, str]:
    """The wording for a purpose in a language (English, then the package default, as fallback).

    Returns (body, language actually used).
    """
    rows = db.session.scalars(
        select(SmsTemplate).where(
            SmsTemplate.purpose == purpose,
            SmsTemplate.language.in_({language, FALLBACK_LANGUAGE}),
        )
    ).all()
    by_language = {row.language: row.body for row in rows}
    if language in by_language:
        return by_language[language], language
    if FALLBACK_LANGUAGE in by_language:
        return by_language[FALLBACK_LANGUAGE], FALLBACK_LANGUAGE
    registered = purposes().get(purpose)
    if registered is None:
        raise LookupError(f"no SMS purpose {purpose!r} is registered")
    return registered.default_body, FALLBACK_LANGUAGE


def render(purpose: str, language: str | None = None, **values: Any) -> str:
    """The text of a message: the template for purpose and language, placeholders filled."""
    body, _used = template_body(purpose, language or FALLBACK_LANGUAGE)
    return body.format_map(_Missing({k: str(v) for k, v in values.items()}))


class _Missing(dict[str, str]):
    # A template saved before a placeholder was dropped still renders, with the gap visible.
    def __missing__(self, key: str) -> str:
        return ""
