"""The PDF impact report: read back, its figures are the published ones and nothing smaller."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader

from inclusion.extensions import db
from inclusion.outcomes import dashboard, report
from inclusion.outcomes.disclosure import method_note
from inclusion.outcomes.models import FactKind
from inclusion.outcomes.targets import create_target
from tests.outcomes.factories import facts

MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|"
          "December")


def _seed(partner, other_partner):
    facts(123, FactKind.RESIDENT_REGISTERED, date(2025, 5, 1), partner)
    facts(3, FactKind.RESIDENT_REGISTERED, date(2025, 7, 1), partner, local_authority="E08000027",
          imd_decile=4, age_band="16-24", gender="man", ethnic_group="asian", disability="yes")
    facts(6, FactKind.DEVICE_LENT, date(2025, 8, 1), partner, local_authority="E08000030")
    facts(1, FactKind.VOUCHER_ISSUED, date(2025, 9, 1), partner, imd_decile=7)
    facts(58, FactKind.COHORT_COMPLETION, date(2025, 10, 1), other_partner)
    create_target(measure="retraining_completions", area="REGION",
                  period_start=date(2025, 4, 1), period_end=date(2026, 3, 31), value=3000)
    db.session.commit()


def _pdf_text(body: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def _bare_small_numbers(text: str) -> list[str]:
    """Numbers 1 to 7 standing alone, once the report's fixed wording is taken out."""
    text = " ".join(text.split()).replace(method_note(), " ")
    for pattern in (r"Page \d+ of \d+", rf"\d{{1,2}} ({MONTHS}) \d{{4}}", r"Decile \d+",
                    r"at \d\d:\d\d", r"decile 1\b",
                    r"decile 10\b"):
        text = re.sub(pattern, " ", text)
    return re.findall(r"(?<![\w.,/%-])[1-7](?![\w.,/%:-])", text)


@pytest.fixture
def lead_report(app, partner, other_partner):
    _seed(partner, other_partner)
    with app.test_request_context():
        selection = dashboard.parse_selection({"period": "fy-2025"}, today=date(2026, 1, 15))
        built = report.build_report(selection, today=date(2026, 1, 15), partner_name=None)
        return report.render_pdf(built)


def test_report_has_headline_figures_targets_and_page_numbers(lead_report):
    text, pages = _pdf_text(lead_report)
    assert pages >= 5
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert "1 April 2025 to 31 March 2026" in text
    assert "125" in text  # 126 residents supported, rounded
    assert "3,000" in text  # the retraining target
    assert "Behind" in text
    assert "How the figures are protected" in text and "Generated on" in text


def test_report_shows_no_count_between_1_and_7(lead_report):
    text, _ = _pdf_text(lead_report)
    assert _bare_small_numbers(text) == []
    assert "*" in text  # the small counts are there, suppressed


def test_report_is_a_tagged_a4_pdf(lead_report):
    reader = PdfReader(io.BytesIO(lead_report))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    assert "/StructTreeRoot" in reader.trailer["/Root"]


def test_partner_report_covers_that_partner_only(app, client, login_as, partner,
                                                  other_partner):
    _seed(partner, other_partner)
    login_as("staff", partner)
    response = client.get(f"/outcomes/report.pdf?period=fy-2025&partner={other_partner.id}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text, _ = _pdf_text(response.data)
    assert partner.name in text
    assert other_partner.name not in text
    assert "60" not in re.findall(r"\b\d+\b", text)  # the other partner's 58 completions


def test_fetcher_refuses_files_and_the_network(app):
    fetcher = report.StaticOnlyFetcher(app.static_folder)
    for url in ("file:///etc/passwd", "https://example.org/x.css", "http://127.0.0.1/",
                "app-static:/../../../etc/passwd", "app-static:/../inclusion/config.py"):
        with pytest.raises(report.RefusedFetch):
            fetcher.fetch(url)
    assert fetcher.fetch("app-static:/favicon.svg").status == 200


def test_report_command_writes_a_pdf_and_rejects_bad_input(app, partner, other_partner,
                                                          tmp_path):
    _seed(partner, other_partner)
    runner = app.test_cli_runner()
    out = tmp_path / "report.pdf"
    result = runner.invoke(args=["outcomes", "report", "--from", "2025-04-01", "--to",
                                 "2026-03-31", "--authority", "E08000025", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text, _ = _pdf_text(out.read_bytes())
    assert "Birmingham" in text
    mine = tmp_path / "partner.pdf"
    result = runner.invoke(args=["outcomes", "report", "--from", "2025-04-01", "--to",
                                 "2026-03-31", "--partner", str(other_partner.id), "--out",
                                 str(mine)])
    assert result.exit_code == 0, result.output
    text, _ = _pdf_text(mine.read_bytes())
    assert f"The work of {other_partner.name}" in text
    assert "125" not in text  # the first partner's residents are not in it
    bad = runner.invoke(args=["outcomes", "report", "--partner", "99999",
                              "--out", str(tmp_path / "x.pdf")])
    assert bad.exit_code == 2 and "--partner" in bad.output
    bad = runner.invoke(args=["outcomes", "report", "--from", "2025-13-01", "--to",
                              "2026-03-31", "--out", str(tmp_path / "x.pdf")])
    assert bad.exit_code == 2 and "--from" in bad.output
    bad = runner.invoke(args=["outcomes", "report", "--authority", "E0800002X",
                              "--out", str(tmp_path / "x.pdf")])
    assert bad.exit_code == 2 and "--authority" in bad.output
    assert not (tmp_path / "x.pdf").exists()
