"""Open data: disclosure-controlled CSVs with a valid Frictionless data package."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date

from frictionless import Package

from inclusion import csvsafe
from inclusion.extensions import db
from inclusion.outcomes import dashboard, opendata
from inclusion.outcomes.models import FactKind
from tests.outcomes.factories import facts


def _seed(partner, other_partner):
    facts(12, FactKind.RESIDENT_REGISTERED, date(2025, 5, 1), partner)
    facts(3, FactKind.VOUCHER_ISSUED, date(2025, 6, 1), partner, imd_decile=None)
    facts(30, FactKind.REFERRAL_MADE, date(2025, 7, 1), other_partner, gender=None)
    db.session.commit()


def test_csv_cells_that_look_like_formulas_are_neutralised():
    assert csvsafe.neutralise("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    for start in ("+", "-", "@", "\t", "\r"):
        assert csvsafe.neutralise(start + "1").startswith("'")
    assert csvsafe.neutralise("Birmingham") == "Birmingham"
    assert csvsafe.neutralise(None) == ""
    out = io.StringIO()
    csvsafe.write_rows(out, ["a"], [["=1+1"], ["ok"]])
    assert out.getvalue() == "a\n'=1+1\nok\n"


def test_export_is_a_valid_data_package_with_published_counts_only(app, partner, other_partner,
                                                                   tmp_path):
    _seed(partner, other_partner)
    selection = dashboard.parse_selection({"period": "fy-2025"}, today=date(2026, 1, 1))
    written = opendata.write_directory(selection, tmp_path)
    assert (tmp_path / "datapackage.json") in written
    report = Package(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    package = json.loads((tmp_path / "datapackage.json").read_text())
    assert "Counts of 1 to 7" in package["method"]
    assert {r["path"] for r in package["resources"]} >= {"headline.csv", "by_authority.csv",
                                                         "by_imd.csv", "by_gender.csv"}
    counts = []
    for path in tmp_path.glob("*.csv"):
        counts += [row["count"] for row in csv.DictReader(io.StringIO(path.read_text()))]
    assert counts and all(c == "*" or (int(c) == 0 or int(c) >= 10) for c in counts)
    headline = {r["measure"]: r["count"] for r in csv.DictReader(
        io.StringIO((tmp_path / "headline.csv").read_text()))}
    assert headline["residents_supported"] == "10"
    assert headline["vouchers_issued"] == "*"
    assert headline["referrals_made"] == "30"


def test_export_command_and_zip_download(app, client, login_as, partner, other_partner,
                                         tmp_path):
    _seed(partner, other_partner)
    result = app.test_cli_runner().invoke(args=["outcomes", "export", "--from", "2025-04-01",
                                                "--to", "2026-03-31", "--out",
                                                str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert Package(str(tmp_path / "out" / "datapackage.json")).validate().valid
    bad = app.test_cli_runner().invoke(args=["outcomes", "export", "--to", "nonsense",
                                             "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "--to" in bad.output
    assert not (tmp_path / "bad").exists()

    login_as("staff", partner)
    response = client.get("/outcomes/open-data.zip?period=fy-2025")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    headline = archive.read("headline.csv").decode()
    assert "referrals_made,Referrals made,all,All,0" in headline  # the other partner's 30
    assert other_partner.name not in archive.read("by_partner.csv").decode()
