"""Open data: the disclosure-controlled tables as CSV, described by a Frictionless data package.

Counts come from the query layer as published values ('*' for a suppressed count, which the
package declares as a missing value); every cell is written through `inclusion.csvsafe`.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from inclusion import csvsafe
from inclusion.outcomes import query
from inclusion.outcomes.dashboard import Selection, period_label
from inclusion.outcomes.disclosure import SUPPRESSED, Table, method_note
from inclusion.outcomes.measures import MEASURES

EXPORT_DIMENSIONS = ("month", "quarter", "year", "authority", "partner", "imd", "age", "gender",
                     "ethnicity", "disability")
TIME_DIMENSIONS = ("month", "quarter", "year")
EXPORT_PAIRS = (("authority", "partner"), ("imd", "age"), ("gender", "ethnicity"),
                ("disability",))
LICENCE = {"name": "OGL-UK-3.0", "title": "Open Government Licence v3.0",
           "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"}


def _cell(value: int | None) -> str:
    return SUPPRESSED if value is None else str(value)


def _long_rows(table: Table) -> list[list[str]]:
    rows = []
    for index, column in enumerate(table.columns):
        for row in table.rows:
            rows.append([column.key, column.label, row.key, row.label,
                         _cell(row.cells[index].value)])
        if table.totals is not None:
            rows.append([column.key, column.label, "total", "Total",
                         _cell(table.totals.cells[index].value)])
    return rows


def _schema(dimension_label: str) -> dict[str, object]:
    return {
        "fields": [
            {"name": "measure", "type": "string", "description": "Measure identifier",
             "constraints": {"required": True, "enum": [m.key for m in MEASURES]}},
            {"name": "measure_label", "type": "string", "description": "Measure name"},
            {"name": "category", "type": "string",
             "description": f"{dimension_label}: code ('total' for all categories together)"},
            {"name": "category_label", "type": "string",
             "description": f"{dimension_label}: name"},
            {"name": "count", "type": "integer", "constraints": {"minimum": 0},
             "description": "Disclosure-controlled count ('*' = 1 to the threshold, hidden)"},
        ],
        "missingValues": ["", SUPPRESSED],
        "primaryKey": ["measure", "category"],
    }


def build_files(selection: Selection) -> dict[str, bytes]:
    """File name -> content for every CSV and the datapackage.json."""
    f = selection.filters
    files: dict[str, bytes] = {}
    resources = []
    # Four scans of the period, each grouped by up to two dimensions, serve every table.
    rounds = [query.Counts(f, pair) for pair in EXPORT_PAIRS]
    source = {dim: rounds[0] for dim in TIME_DIMENSIONS}
    for counts in rounds:
        source.update({dim: counts for dim in counts.dims})
    tables = [("headline", "All", rounds[0].headline_table())]
    tables += [(f"by_{dim}", query.DIMENSION_BY_KEY[dim].label, source[dim].by(dim))
               for dim in EXPORT_DIMENSIONS]
    for name, label, table in tables:
        buffer = io.StringIO()
        if name == "headline":
            rows = [[row.key, row.label, "all", "All", _cell(row.cells[0].value)]
                    for row in table.rows]
        else:
            rows = _long_rows(table)
        csvsafe.write_rows(buffer, ["measure", "measure_label", "category", "category_label",
                                    "count"], rows)
        files[f"{name}.csv"] = buffer.getvalue().encode("utf-8")
        resources.append({
            "name": name.replace("_", "-"),
            "path": f"{name}.csv",
            "title": table.caption if name != "headline" else "Headline figures",
            "description": f"{table.caption}. {method_note()}",
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "profile": "tabular-data-resource",
            "schema": _schema(label),
        })
    package = {
        "profile": "tabular-data-package",
        "name": "digital-inclusion-outcomes",
        "title": "Digital inclusion outcomes, " + period_label(f),
        "description": (
            f"Anonymised counts of digital inclusion support for {selection.area_name}, "
            f"{period_label(f)}. Counted from outcome facts that hold no personal data. "
            f"Disclosure control: {method_note()}"
        ),
        "created": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "licenses": [LICENCE],
        "units": "Counts of people, devices, vouchers or referrals, as each measure says.",
        "measures": [{"name": m.key, "title": m.label, "description": m.definition,
                      "unit": m.unit} for m in MEASURES],
        "method": method_note(),
        "period": {"start": f.start.isoformat(), "end": f.end.isoformat()},
        "resources": resources,
    }
    files["datapackage.json"] = json.dumps(package, indent=2).encode("utf-8")
    return files


def write_directory(selection: Selection, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in build_files(selection).items():
        path = out / name
        path.write_bytes(content)
        written.append(path)
    return written


def zip_bytes(selection: Selection) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in build_files(selection).items():
            archive.writestr(name, content)
    return buffer.getvalue()
