"""Partner pages: choosing the acting partner, the partner and user lists, a partner's team."""

from __future__ import annotations

from flask import g, render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from inclusion.access import Rule, access
from inclusion.auth.models import User
from inclusion.extensions import db
from inclusion.tenancy import Membership, Partner
from partners import bp


@bp.route("/choose")
@access(Rule.SIGNED_IN)
def choose() -> str:
    return render_template("partners/choose.html", partners=current_user.partners, form=None,
                           switch_form=FlaskForm())


@bp.route("/")
@access(Rule.ADMIN)
def list_partners() -> str:
    partners = db.session.scalars(select(Partner).order_by(Partner.name)).all()
    return render_template("partners/list_partners.html", partners=partners)


@bp.route("/users")
@access(Rule.ADMIN)
def list_users() -> str:
    users = db.session.scalars(select(User).order_by(User.name)).all()
    return render_template("partners/list_users.html", users=users)


@bp.route("/team")
@access(Rule.PARTNER_ADMIN)
def team() -> str:
    memberships = db.session.scalars(
        select(Membership)
        .join(User)
        .where(Membership.partner_id == g.partner.id)
        .order_by(User.name)
    ).all()
    return render_template("partners/team.html", memberships=memberships)
