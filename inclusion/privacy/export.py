"""Subject access files: a readable PDF and a machine-readable JSON document."""

from __future__ import annotations

import json
from typing import Any

from flask import render_template
from weasyprint import HTML
from weasyprint.urls import URLFetcher


class RefusingURLFetcher(URLFetcher):
    """Fetch nothing but inline data: no local files, no external hosts.

    The PDF is built from our own template with its styles inline, so any other URL in it could
    only be an attempt to read the server's files or reach the network.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols=["data"], allow_redirects=False)

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
        if not url.lower().startswith("data:"):
            raise ValueError("only inline data: URLs may be fetched for a subject access PDF")
        return super().fetch(url, headers)


def render_pdf(*, export: dict[str, Any], context: dict[str, Any]) -> bytes:
    """The export as a PDF, from templates/privacy/subject_access_pdf.html."""
    html = render_template("privacy/subject_access_pdf.html", export=export, **context)
    document = HTML(string=html, base_url=None, url_fetcher=RefusingURLFetcher())
    pdf = document.write_pdf()
    assert pdf is not None
    return bytes(pdf)


def render_json(*, export: dict[str, Any], context: dict[str, Any]) -> bytes:
    """The export as indented UTF-8 JSON, with the request's dates alongside."""
    document = {**context, **export}
    return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode("utf-8")
