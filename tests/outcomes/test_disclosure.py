"""Disclosure control: one rule for every published count, and hidden cells stay hidden."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date

import pytest

from inclusion.extensions import db
from inclusion.outcomes import query
from inclusion.outcomes.disclosure import (
    Heading,
    Published,
    Table,
    build_table,
    method_note,
    publish,
    publish_rate,
)
from inclusion.outcomes.models import FactKind
from tests.outcomes.factories import facts


@pytest.mark.parametrize(("count", "shown"), [
    (0, "0"), (1, "*"), (3, "*"), (7, "*"), (8, "10"), (12, "10"), (13, "15"), (1234, "1,235"),
])
def test_counts_are_suppressed_or_rounded(app, count, shown):
    assert publish(count).text == shown


def test_suppressed_counts_carry_no_number(app):
    for count in range(1, 8):
        assert publish(count).value is None


def test_threshold_and_base_are_settings(make_app):
    app = make_app(SUPPRESSION_THRESHOLD=10, ROUNDING_BASE=10)
    with app.app_context():
        assert publish(10).text == "*"
        assert publish(11).text == "10"
        assert publish(15).text == "20"
        assert "1 to 10" in method_note() and "nearest 10" in method_note()


def test_totals_are_rounded_from_unrounded_sums(app):
    rows = [Heading(k, k) for k in ("a", "b", "c")]
    table = build_table(caption="t", row_heading="r", rows=rows, columns=[Heading("x", "x")],
                        counts={("a", "x"): 3, ("b", "x"): 3, ("c", "x"): 3})
    assert [r.cells[0].text for r in table.rows] == ["*", "*", "*"]
    assert table.totals.cells[0].text == "10"  # 9, rounded; not a sum of the shown cells
    table = build_table(caption="t", row_heading="r", rows=rows, columns=[Heading("x", "x")],
                        counts={("a", "x"): 12, ("b", "x"): 12, ("c", "x"): 12})
    assert [r.cells[0].text for r in table.rows] == ["10", "10", "10"]
    assert table.totals.cells[0].text == "35"  # 36 rounded, not 30


def test_rates_use_published_numbers_and_hide_when_either_is_suppressed(app):
    assert publish_rate(publish(48), publish(103)).text == "48%"  # 50 of 105
    assert publish_rate(publish(3), publish(100)).text == "–"
    assert publish_rate(publish(100), publish(5)).text == "–"
    assert publish_rate(publish(0), publish(0)).text == "–"
    assert publish_rate(publish(0), publish(50)).text == "0%"


def _all_values(obj):
    if isinstance(obj, Published):
        yield obj
        return
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            yield from _all_values(getattr(obj, f.name))
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            yield from _all_values(item)
    elif isinstance(obj, int) and not isinstance(obj, bool):
        raise AssertionError(f"a raw number {obj} escaped the query layer")


def test_query_layer_hands_out_published_cells_only(app, partner):
    facts(9, FactKind.DEVICE_LENT, date(2025, 5, 1), partner)
    db.session.commit()
    fy = query.Filters(date(2025, 4, 1), date(2026, 3, 31))
    tables: list[Table] = [query.headline_table(fy), query.measures_by(fy, "authority"),
                           query.cross_table(fy, "devices_lent", "authority", "month")]
    for table in tables:
        cells = list(_all_values(table))
        assert cells and all(isinstance(c, Published) for c in cells)
    assert all(isinstance(v, Published) for v in query.headline(fy).values())


def test_hidden_cells_cannot_be_recovered_from_rows_columns_totals_or_periods(app, partner):
    """An attacker sees every table we publish over overlapping periods and solves for the
    hidden cell: more than one value must remain possible."""
    birmingham, coventry = "E08000025", "E08000026"
    true = {("B", 4): 3, ("B", 5): 10, ("C", 4): 20, ("C", 5): 12}
    codes = {"B": birmingham, "C": coventry}
    for (area, month), n in true.items():
        facts(n, FactKind.DEVICE_LENT, date(2025, month, 10), partner,
              local_authority=codes[area])
    db.session.commit()

    def published_tables():
        out = {}
        both = query.Filters(date(2025, 4, 1), date(2025, 5, 31))
        out["cross"] = query.cross_table(both, "devices_lent", "authority", "month")
        for label, start, end in (("april", date(2025, 4, 1), date(2025, 4, 30)),
                                  ("may", date(2025, 5, 1), date(2025, 5, 31)),
                                  ("shifted", date(2025, 4, 5), date(2025, 6, 30)),
                                  ("year", date(2025, 4, 1), date(2026, 3, 31))):
            out[label] = query.measures_by(query.Filters(start, end), "authority")
        for area in ("B", "C"):
            out[f"only-{area}"] = query.measures_by(
                query.Filters(date(2025, 4, 1), date(2025, 5, 31), authority=codes[area]),
                "quarter")
        return out

    seen = published_tables()
    cross = seen["cross"]
    assert cross.row(birmingham).cells[0].text == "*"

    def constraints(v):
        """(published text, the raw sum it was made from) for every number the attacker saw."""
        b4, b5, c4, c5 = v
        yield cross.row(birmingham).cells[0].text, b4
        yield cross.row(birmingham).cells[1].text, b5
        yield cross.row(coventry).cells[0].text, c4
        yield cross.row(coventry).cells[1].text, c5
        yield cross.row(birmingham).total.text, b4 + b5
        yield cross.row(coventry).total.text, c4 + c5
        yield cross.totals.cells[0].text, b4 + c4
        yield cross.totals.cells[1].text, b5 + c5
        yield cross.totals.total.text, b4 + b5 + c4 + c5
        for label, (b, c) in {"april": (b4, c4), "may": (b5, c5), "shifted": (b4 + b5, c4 + c5),
                              "year": (b4 + b5, c4 + c5)}.items():
            column = seen[label].column("devices_lent")
            rows = [r.key for r in seen[label].rows]
            yield column[rows.index(birmingham)].text, b
            yield column[rows.index(coventry)].text, c
            yield seen[label].totals.cells[
                [c_.key for c_ in seen[label].columns].index("devices_lent")].text, b + c
        for area, total in (("B", b4 + b5), ("C", c4 + c5)):
            table = seen[f"only-{area}"]
            index = [c_.key for c_ in table.columns].index("devices_lent")
            yield table.totals.cells[index].text, total

    possible_b4 = set()
    for values in itertools.product(range(0, 40), repeat=4):
        if values[0] > 7 or abs(values[1] - 10) > 2 or abs(values[2] - 20) > 2 or abs(
                values[3] - 10) > 2:
            continue  # outside what the single cells already allow; speeds the search
        if all(publish(raw).text == text for text, raw in constraints(values)):
            possible_b4.add(values[0])
    assert true[("B", 4)] in possible_b4
    assert len(possible_b4) > 1, "the hidden cell could be worked out exactly"
