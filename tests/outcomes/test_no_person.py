"""A coalition lead can reach no page with a person on it."""

from __future__ import annotations

from datetime import date

from inclusion.extensions import db
from inclusion.outcomes import record_fact
from inclusion.outcomes.models import FactKind
from tests import factories


def test_a_lead_reaches_no_page_that_shows_a_person(app, client, login_as, partner):
    residents = [factories.make_resident(partner, name=f"Zebedee Quixote{n}",
                                         phone=f"+4477009001{n:02d}", postcode="B99 9ZZ")
                 for n in range(10)]
    for resident in residents:
        record_fact(FactKind.RESIDENT_REGISTERED, resident=resident, partner_id=partner.id,
                    occurred_on=date(2025, 5, 1))
    db.session.commit()
    login_as("lead")
    visited = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        values = {}
        for arg in rule.arguments:
            # An `any(...)` converter takes one of its words; ids get a resident's id.
            words = getattr(rule._converters.get(arg), "items", None)
            values[arg] = sorted(words)[0] if words else residents[0].id
        url = rule.build(values, append_unknown=False)[1]
        extra = ["", "?rows=partner", "?rows=month&cols=authority", "?period=fy-2025"] if (
            rule.endpoint == "outcomes.dashboard_page") else [""]
        for query in extra:
            response = client.get(url + query)
            visited += 1
            body = response.get_data()
            for resident in residents:
                assert resident.name.encode() not in body, url
                assert resident.phone.encode() not in body, url
                assert resident.fact_key.encode() not in body, url
            assert b"B99 9ZZ" not in body, url
    assert visited > 10
