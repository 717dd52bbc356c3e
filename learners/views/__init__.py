"""Learners pages: the hub, offers, referrals and the retraining fund."""

from __future__ import annotations

from flask import g, render_template

from inclusion.access import Rule, access
from inclusion.main.panels import Panel, QuickAction, register
from learners import bp
from learners.services import referrals as referral_services


def _panels(partner_id: int) -> list[Panel]:
    waiting, stale = referral_services.home_counts(partner_id)
    return [
        Panel("Referrals waiting", waiting, "learners.inbox",
              hint="Sent to you and not yet answered"),
        Panel("Stale referrals", stale, "learners.stale", warning=stale > 0,
              hint="No answer within the offer's committed time"),
    ]


register(bp, actions=[QuickAction("Refer to learning", "learners.directory", order=40)],
         panels=_panels)


@bp.route("/")
@access(Rule.STAFF)
def index() -> str:
    return render_template("learners/index.html", panels=_panels(g.partner.id))


from learners.views import fund, offers, referrals  # noqa: E402,F401
