"""PDFs: asset label sheets with QR codes, and agreements in large print (WeasyPrint)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import segno
from flask import render_template
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from devices.models import Agreement, Device

MAX_LABELS = 1000


class RefusedFetch(ValueError):
    """WeasyPrint asked for a resource the PDF must not load."""


class SafeURLFetcher(URLFetcher):  # type: ignore[misc]
    """Loads only inline data: URIs; never a local file (file://) or another host."""

    def __init__(self) -> None:
        super().__init__(timeout=5, allowed_protocols={"data"}, allow_redirects=False)

    def fetch(self, url: str, headers: Any = None) -> Any:
        if not url.startswith("data:"):
            raise RefusedFetch(f"refused to fetch {url[:40]}")
        return super().fetch(url, headers)


def qr_data_uri(text: str) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=4, border=2)


def _render(html: str) -> bytes:
    return HTML(string=html, url_fetcher=SafeURLFetcher(), base_url=None).write_pdf()


def labels_pdf(devices: Sequence[Device], *, title: str) -> bytes:
    """A sheet of asset labels: the tag in large text and as a QR code, with kind and model."""
    labels = [
        {"tag": d.asset_tag, "kind": d.kind.value, "model": f"{d.make} {d.model}",
         "qr": qr_data_uri(d.asset_tag)}
        for d in devices[:MAX_LABELS]
    ]
    return _render(render_template("devices/pdf_labels.html", labels=labels, title=title))


def agreement_pdf(agreement: Agreement, *, partner_name: str) -> bytes:
    """An agreement in large print, with spaces to sign, for the resident to read and keep."""
    paragraphs = [p.strip() for p in agreement.body.split("\n\n") if p.strip()]
    return _render(render_template("devices/pdf_agreement.html", agreement=agreement,
                                   paragraphs=paragraphs, partner_name=partner_name))
