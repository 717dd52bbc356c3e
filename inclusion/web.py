"""Templates: GOV.UK Frontend macros, shared filters and the navigation."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, request, url_for
from flask_login import current_user
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from inclusion import __version__
from inclusion.forms import display_phone, error_summary
from inclusion.reference import AUTHORITY_NAMES, LANGUAGE_NAMES

LONDON = ZoneInfo("Europe/London")


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    return f"{value.day} {value:%B %Y}"


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def navigation() -> list[dict[str, Any]]:
    """The links a user sees across the top, by what they may do."""
    if not current_user.is_authenticated:
        return []
    items: list[tuple[str, str]] = [("Home", "main.home")]
    if g.get("partner") is not None:
        items += [
            ("Residents", "residents.search"),
            ("Devices", "devices.index"),
            ("Vouchers", "vouchers.index"),
            ("Learners", "learners.index"),
            ("Outcomes", "outcomes.dashboard_page"),
        ]
        if current_user.role_at(g.partner.id) is not None and current_user.role_at(
            g.partner.id
        ).value == "partner admin":
            items.append(("Team", "partners.team"))
            items.append(("Audit log", "audit.log"))
    if g.get("partner") is None and (
        current_user.is_coalition_lead or current_user.is_system_admin
    ):
        items += [
            ("Outcomes", "outcomes.dashboard_page"),
            ("Targets", "outcomes.list_targets"),
            ("Retraining fund", "learners.fund"),
        ]
    if current_user.is_system_admin:
        items += [
            ("Partners", "partners.list_partners"),
            ("Users", "partners.list_users"),
            ("Voucher schemes", "vouchers.schemes"),
            ("Message log", "sms.message_log"),
            ("Retention", "privacy.retention_periods"),
        ]
        if ("Audit log", "audit.log") not in items:
            items.append(("Audit log", "audit.log"))
    current = request.endpoint or ""
    return [
        {
            "text": text,
            "href": url_for(endpoint),
            "active": current.split(".")[0] == endpoint.split(".")[0]
            and (endpoint != "main.home" or current == "main.home")
            and (not endpoint.startswith("outcomes.")
                 or ("target" in current) == (endpoint == "outcomes.list_targets")),
        }
        for text, endpoint in items
    ]


def init_app(app: Flask) -> None:
    from inclusion import PROJECT_ROOT

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(PROJECT_ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["phone"] = display_phone
    app.jinja_env.filters["authority"] = lambda code: AUTHORITY_NAMES.get(code or "", code or "")
    app.jinja_env.filters["language"] = lambda code: LANGUAGE_NAMES.get(code or "", code or "")
    app.jinja_env.globals["error_summary"] = error_summary
    app.jinja_env.globals["app_version"] = __version__

    @app.context_processor
    def _layout() -> dict[str, Any]:
        return {
            "service_name": current_app.config["SERVICE_NAME"],
            "navigation": navigation(),
        }
