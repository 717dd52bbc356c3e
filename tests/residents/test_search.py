"""Finding residents by name, phone or postcode, only within the acting partner."""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from inclusion.extensions import db
from tests import factories, paging

RESULT_LINK = re.compile(r'href="/residents/\d+"')


@pytest.fixture
def people(partner, other_partner):
    ours = {
        "amina": factories.make_resident(partner, name="Amina Begum Khan", phone="+447700900111",
                                         postcode="B11 1AA"),
        "piotr": factories.make_resident(partner, name="Piotr Nowak", phone="+447700900222",
                                         postcode="WV10 7WJ"),
        "noel": factories.make_resident(partner, name="Noel O'Brien", phone=None,
                                        postcode=None),
    }
    theirs = factories.make_resident(other_partner, name="Amina Khan", phone="+447700900222",
                                     postcode="B11 1AA")
    db.session.commit()
    return ours, theirs


def _results(client, q):
    return client.get("/residents/", query_string={"q": q}).get_data(as_text=True)


@pytest.mark.parametrize("q", ["amina", "AMINA KHAN", "khan amina", "07700 900111",
                               "+44 7700 900111", "7700900111", "b111aa", "B11 1AA", "B11"])
def test_search_finds_own_resident_by_name_phone_or_postcode(client, login_as, partner, people,
                                                             q):
    login_as("staff", partner)
    ours, theirs = people
    page = _results(client, q)
    assert f'href="/residents/{ours["amina"].id}"' in page
    assert f'href="/residents/{theirs.id}"' not in page
    assert f'href="/residents/{ours["piotr"].id}"' not in page


def test_search_by_phone_never_shows_another_partners_resident(client, login_as, partner,
                                                               people):
    login_as("staff", partner)
    ours, theirs = people
    page = _results(client, "07700 900222")
    assert "1 resident found" in page
    assert f'href="/residents/{ours["piotr"].id}"' in page
    assert f'href="/residents/{theirs.id}"' not in page


def test_search_treats_wildcards_and_quotes_as_text(client, login_as, partner, people):
    login_as("staff", partner)
    ours, _ = people
    assert "0 residents found" in _results(client, "%")
    assert "0 residents found" in _results(client, "_")
    assert f'href="/residents/{ours["noel"].id}"' in _results(client, "o'brien")


def test_search_results_are_paginated(client, login_as, partner):
    login_as("staff", partner)
    for n in range(30):
        factories.make_resident(partner, name=f"Pat Example {n:02d}")
    db.session.commit()
    first = _results(client, "pat example")
    assert "30 residents found" in first
    assert len(RESULT_LINK.findall(first)) == 25
    assert "Page 1 of 2" in first
    second = client.get(paging.links(first)["next"])
    page = second.get_data(as_text=True)
    assert len(RESULT_LINK.findall(page)) == 5
    assert "Pat Example 29" in page and "Page 2 of 2" in page
    assert "next" not in paging.links(page)


def test_search_page_links_to_registration(client, login_as, partner):
    login_as("staff", partner)
    page = client.get("/residents/").get_data(as_text=True)
    assert 'href="/residents/new"' in page


def test_page_links_carry_no_residents_name(client, login_as, partner):
    login_as("staff", partner)
    for n in range(30):
        factories.make_resident(partner, name=f"Zainab Example {n:02d}")
    db.session.commit()
    following = paging.links(_results(client, "example"))["next"]
    cursor = parse_qs(urlsplit(following).query)["cursor"][0]
    # The cursor holds the last name on the page, encrypted: URLs reach logs and history.
    assert b"zainab" not in base64.urlsafe_b64decode(cursor + "==").lower()
    assert "zainab" not in following.lower()


def test_a_long_name_in_another_script_at_the_end_of_a_page_still_leads_on(client, login_as,
                                                                           partner):
    login_as("staff", partner)
    long_name = "Ахмед " + "Щ" * 150 + " 𝔘" * 20  # 2- and 4-byte characters, 196 in all
    for n in range(24):
        factories.make_resident(partner, name=f"Ахмед {n:02d}")
    last_on_page = factories.make_resident(partner, name=long_name)
    after = factories.make_resident(partner, name=long_name + "z")
    db.session.commit()
    first = _results(client, "ахмед")
    assert f'href="/residents/{last_on_page.id}"' in first
    second = client.get(paging.links(first)["next"]).get_data(as_text=True)
    assert RESULT_LINK.findall(second) == [f'href="/residents/{after.id}"']
