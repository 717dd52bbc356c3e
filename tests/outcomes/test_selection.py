"""Filters from the URL: periods, areas and partners, checked with plain messages."""

from __future__ import annotations

from datetime import date

from inclusion.outcomes.dashboard import parse_selection

TODAY = date(2026, 1, 15)


def _range(args, **kw):
    selection = parse_selection(args, today=TODAY, **kw)
    assert selection.errors == []
    return selection.filters.start, selection.filters.end


def test_periods_cover_months_quarters_financial_years_and_custom_ranges(app):
    assert _range({}) == (date(2025, 4, 1), date(2026, 3, 31))  # this financial year
    assert _range({"period": "fy-2024"}) == (date(2024, 4, 1), date(2025, 3, 31))
    assert _range({"period": "q-2025-1"}) == (date(2025, 4, 1), date(2025, 6, 30))
    assert _range({"period": "q-2025-4"}) == (date(2026, 1, 1), date(2026, 3, 31))
    assert _range({"period": "m-2024-02"}) == (date(2024, 2, 1), date(2024, 2, 29))
    assert _range({"period": "custom", "from": "2025-04-15", "to": "2025-05-02"}) == (
        date(2025, 4, 15), date(2025, 5, 2))


def test_partner_users_always_get_their_own_partner(app, partner, other_partner):
    selection = parse_selection({"partner": str(other_partner.id)}, today=TODAY,
                                own_partner_id=partner.id)
    assert selection.errors == [] and selection.filters.partner_id == partner.id


def test_bad_values_are_reported_not_used(app):
    selection = parse_selection({"period": "q-2025-5", "authority": "'; drop table",
                                 "rows": "name"}, today=TODAY)
    fields = [field for field, _ in selection.errors]
    assert fields == ["period", "authority", "rows"]
    assert selection.filters.authority is None
    only_start = parse_selection({"from": "2025-01-01"}, today=TODAY)
    assert only_start.errors == [("to", "Enter the end date of the custom range, like "
                                        "2026-03-31")]
    too_long = parse_selection({"from": "2000-01-01", "to": "2025-01-01"}, today=TODAY)
    assert too_long.errors == [("to", "Choose a range of 10 years or less")]
