"""The PDF impact report: the dashboard's published figures, laid out for print by WeasyPrint.

WeasyPrint gets a URL fetcher that refuses everything except the app's own static files, so
a report can never reach the network or the rest of the file system.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask import current_app, render_template
from weasyprint.urls import URLFetcher, URLFetcherResponse

from inclusion.outcomes import charts, query
from inclusion.outcomes.dashboard import (
    TREND_MEASURES,
    Selection,
    TargetPanel,
    period_label,
    target_panels,
)
from inclusion.outcomes.disclosure import Table, method_note
from inclusion.outcomes.measures import MEASURE_BY_KEY, MEASURES, Measure

STATIC_SCHEME = "app-static:"
# The breakdown tables in print carry the measures the roadmap reports on (all of them would
# not fit a landscape page); the headline table and the open data carry every measure.
REPORT_BREAKDOWN = ("residents_supported", "non_users_supported", "moved_out_of_non_use",
                    "moved_to_engaged", "devices_provided", "vouchers_issued", "social_tariff",
                    "referrals_made", "retraining_starts", "retraining_completions",
                    "job_outcomes")


class RefusedFetch(ValueError):
    """WeasyPrint asked for something outside the app's static files."""


class StaticOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves only `app-static:` URLs from the static folder."""

    def __init__(self, static_folder: str) -> None:
        super().__init__(allowed_protocols=())
        self.root = Path(static_folder).resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        if not url.startswith(STATIC_SCHEME):
            self.refused.append(url)
            raise RefusedFetch(f"refused to fetch {url[:80]}")
        relative = url[len(STATIC_SCHEME):].lstrip("/")
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            self.refused.append(url)
            raise RefusedFetch(f"refused to fetch {url[:80]}")
        mime, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(url, body=path.read_bytes(),
                                  headers={"Content-Type": mime or "application/octet-stream"})


@dataclass(frozen=True)
class Report:
    selection: Selection
    title: str
    area: str
    period: str
    partner_name: str | None
    generated: datetime
    headline: Table
    targets: list[TargetPanel]
    trend: Table
    trend_chart: charts.Chart
    by_authority: Table
    authority_chart: charts.Chart
    by_imd: Table
    imd_chart: charts.Chart
    equality: list[Table]
    measures: tuple[Measure, ...]
    method: str


def _chart_for(table: Table, measure_key: str, title: str) -> charts.Chart:
    items = list(zip([r.label for r in table.rows], table.column(measure_key), strict=True))
    return charts.bar_chart(title, items)


def build_report(selection: Selection, *, today: date, partner_name: str | None) -> Report:
    """Every figure in the report, published, from the same query layer as the dashboard."""
    f = selection.filters
    trend_measures = tuple(MEASURE_BY_KEY[k] for k in TREND_MEASURES)
    breakdown = tuple(MEASURE_BY_KEY[k] for k in REPORT_BREAKDOWN)
    # Three scans of the period, each grouped by two dimensions, serve every table.
    main = query.Counts(f, ("authority", "imd"))
    people = query.Counts(f, ("age", "gender"), breakdown)
    groups = query.Counts(f, ("ethnicity", "disability"), breakdown)
    trend = main.by("month", trend_measures, caption="Month by month")
    by_authority = main.by("authority", breakdown, caption="Measures by local authority")
    by_imd = main.by("imd", breakdown, caption="Measures by deprivation decile (IMD 2019)")
    equality = [people.by("age", breakdown), people.by("gender", breakdown),
                groups.by("ethnicity", breakdown), groups.by("disability", breakdown)]
    return Report(
        selection=selection,
        title="Digital inclusion impact report",
        area=selection.area_name,
        period=period_label(f),
        partner_name=partner_name,
        generated=datetime.now().astimezone(),
        headline=main.headline_table(),
        targets=target_panels(selection, today=today, shared=main),
        trend=trend,
        trend_chart=charts.line_chart(
            "Month by month", [r.label for r in trend.rows],
            [(m.label, trend.column(m.key)) for m in trend_measures]),
        by_authority=by_authority,
        authority_chart=_chart_for(by_authority, "residents_supported",
                                   "Residents supported by local authority"),
        by_imd=by_imd,
        imd_chart=_chart_for(by_imd, "residents_supported",
                             "Residents supported by deprivation decile"),
        equality=equality,
        measures=MEASURES,
        method=method_note(),
    )


def render_pdf(report: Report) -> bytes:
    """The report as an A4, tagged PDF."""
    from weasyprint import CSS, HTML

    html = render_template("outcomes/report.html", report=report)
    css_path = Path(current_app.template_folder or "") / "outcomes" / "report.css"
    fetcher = StaticOnlyFetcher(current_app.static_folder or "")
    document = HTML(string=html, base_url=STATIC_SCHEME + "/", url_fetcher=fetcher)
    return document.write_pdf(
        stylesheets=[CSS(string=css_path.read_text(), url_fetcher=fetcher)],
        pdf_tags=True,
        custom_metadata=True,
    )
