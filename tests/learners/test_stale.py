"""Stale referrals: flagged on both sides, counted on the home page, listed in the digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inclusion.extensions import db
from learners.services import referrals as services
from tests import factories
from tests.learners.factories import consenting_resident, make_offer, make_referral


def _stale_pair(partner, provider):
    offer = make_offer(provider, title="Slow course", response_days=3)
    old = make_referral(offer, consenting_resident(partner),
                        now=datetime.now(UTC) - timedelta(days=4))
    fresh = make_referral(offer, consenting_resident(partner),
                          now=datetime.now(UTC) - timedelta(days=1))
    db.session.commit()
    return old, fresh


def test_referral_is_stale_after_the_committed_days(app, partner):
    provider = factories.make_partner(name="Slow Provider")
    old, fresh = _stale_pair(partner, provider)
    assert old.is_stale() and not fresh.is_stale()
    old.accept()
    assert not old.is_stale()


def test_stale_flag_shows_on_both_sides_and_on_home(client, sign_in, partner):
    provider = factories.make_partner(name="Slow Provider")
    old, fresh = _stale_pair(partner, provider)
    for side in (partner, provider):
        sign_in("staff", side)
        detail = client.get(f"/learners/referrals/{old.id}").get_data(as_text=True)
        assert "Stale" in detail and "No answer yet" in detail
        assert "Stale" not in client.get(f"/learners/referrals/{fresh.id}").get_data(
            as_text=True)
        stale_page = client.get("/learners/referrals/stale").get_data(as_text=True)
        assert f"Referral {old.id}" in stale_page and f"Referral {fresh.id}<" not in stale_page
        home = client.get("/").get_data(as_text=True)
        assert "Stale referrals" in home and "Refer to learning" in home
    assert "Referrals waiting" in home


def test_panels_count_waiting_and_stale(app, partner):
    provider = factories.make_partner(name="Slow Provider")
    _stale_pair(partner, provider)
    from learners.views import _panels

    by_title = {p.title: p.count for p in _panels(provider.id)}
    assert by_title == {"Referrals waiting": 2, "Stale referrals": 1}
    assert {p.title: p.count for p in _panels(partner.id)}["Stale referrals"] == 1


def test_weekly_digest_lists_stale_referrals_per_partner(app, partner):
    provider = factories.make_partner(name="Slow Provider")
    old, fresh = _stale_pair(partner, provider)
    entries = {e.partner.id: e for e in services.stale_digest()}
    assert [r.id for r in entries[provider.id].to_answer] == [old.id]
    assert [r.id for r in entries[partner.id].awaiting] == [old.id]
    result = app.test_cli_runner().invoke(args=["learners", "stale-digest"])
    assert result.exit_code == 0, result.output
    assert "Slow Provider" in result.output and f"referral {old.id}:" in result.output
    assert f"referral {fresh.id}:" not in result.output
    assert old.resident.name not in result.output


def test_digest_rejects_a_bad_date_and_reports_none(app):
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["learners", "stale-digest", "--now", "last week"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output
    assert "No stale referrals" in runner.invoke(args=["learners", "stale-digest"]).output
