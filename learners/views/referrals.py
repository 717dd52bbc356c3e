"""Referral pages: choosing a resident, sending, the inbox, the shared timeline and moves."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import Select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from inclusion.access import Rule, access
from inclusion.exceptions import ConflictError, DomainError, NotAllowedError
from inclusion.extensions import db, utcnow
from inclusion.forms import add_form_error
from inclusion.pagination import KeysetPage, keyset_page
from inclusion.residents import services as resident_services
from inclusion.residents.models import ConsentKind, Resident
from inclusion.tenancy import get_scoped_or_404
from learners import bp
from learners.forms import DeclineForm, NotCompletedForm, ReferralForm, ReferralMoveForm
from learners.models import NotCompletedReason, Offer, Referral, ReferralStatus
from learners.services import referrals as services

# What each row of a referral list shows, loaded in one query per relation (not per row).
LIST_LOADS = (
    selectinload(Referral.offer),
    selectinload(Referral.from_partner),
    selectinload(Referral.to_partner),
    # The resident's consents decide whether the shared name may still be shown.
    selectinload(Referral.resident).selectinload(Resident.consents),
)

MOVE_TITLES = {
    "accept": "Accept the referral",
    "decline": "Decline the referral",
    "enrol": "Record that the resident has enrolled",
    "complete": "Record that the resident completed",
    "not-completed": "Record that the resident did not complete",
    "withdraw": "Withdraw the referral",
}


def _open_offer_or_404(offer_id: int) -> Offer:
    offer = db.session.get(Offer, offer_id)
    if offer is None or not offer.active or not offer.accepts_referrals:
        abort(404)
    return offer


@bp.route("/offers/<int:offer_id>/refer")
@access(Rule.STAFF)
def refer_choose(offer_id: int) -> str:
    offer = _open_offer_or_404(offer_id)
    query = (request.args.get("q") or "").strip()[:100]
    results = (
        db.session.scalars(resident_services.search_query(query).limit(50)).all() if query else []
    )
    return render_template("learners/refer_choose.html", offer=offer, query=query,
                           results=results)


@bp.route("/offers/<int:offer_id>/refer/<int:resident_id>", methods=["GET", "POST"])
@access(Rule.STAFF)
def refer(offer_id: int, resident_id: int) -> str | Response:
    offer = _open_offer_or_404(offer_id)
    resident = get_scoped_or_404(Resident, resident_id)
    form = ReferralForm()
    has_consent = resident.has_consent(ConsentKind.REFERRAL_SHARING)
    if form.validate_on_submit():
        try:
            referral = services.send_referral(
                offer=offer, resident=resident, from_partner_id=g.partner.id,
                user_id=current_user.id, shared_fields=list(form.shared_fields.data or []),
                note=form.note.data, override_reason=form.override_reason.data,
                sms_updates=bool(form.sms_updates.data),
            )
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash(f"Referral sent to {offer.partner.name}.", "success")
            return redirect(url_for("learners.referral_detail", referral_id=referral.id))
    return render_template("learners/refer.html", form=form, offer=offer, resident=resident,
                           has_consent=has_consent)


def _status_arg() -> ReferralStatus | None:
    value = request.args.get("status") or ""
    try:
        return ReferralStatus(value) if value else None
    except ValueError:
        return None


def _referral_page(query: Select[Any]) -> KeysetPage:
    # Newest first, paged by (sent, id) rather than offset: an inbox can hold hundreds of
    # thousands of referrals, and its last page should cost what its first does.
    return keyset_page(query.options(*LIST_LOADS), (Referral.sent_at, Referral.id),
                       descending=True)


@bp.route("/referrals")
@access(Rule.STAFF)
def inbox() -> str:
    status = _status_arg() if "status" in request.args else ReferralStatus.SENT
    page = _referral_page(services.received_query(g.partner.id, status=status))
    return render_template("learners/referrals.html", page=page, status=status, side="received",
                           now=utcnow(), statuses=list(ReferralStatus))


@bp.route("/referrals/sent")
@access(Rule.STAFF)
def sent() -> str:
    status = _status_arg()
    page = _referral_page(services.sent_query(g.partner.id, status=status))
    return render_template("learners/referrals.html", page=page, status=status, side="sent",
                           now=utcnow(), statuses=list(ReferralStatus))


@bp.route("/referrals/stale")
@access(Rule.STAFF)
def stale() -> str:
    now = utcnow()
    received = db.session.scalars(
        services.received_query(g.partner.id, stale_only=True, now=now).limit(200)).all()
    made = db.session.scalars(
        services.sent_query(g.partner.id, stale_only=True, now=now).limit(200)).all()
    return render_template("learners/stale.html", received=received, made=made, now=now)


@bp.route("/referrals/<int:referral_id>")
@access(Rule.STAFF)
def referral_detail(referral_id: int) -> str:
    referral = services.visible_referral_or_404(referral_id, g.partner.id)
    return render_template(
        "learners/referral_detail.html", referral=referral, now=utcnow(),
        receiving=referral.to_partner_id == g.partner.id,
        referring=referral.from_partner_id == g.partner.id,
        moves=_moves_for(referral),
    )


def _moves_for(referral: Referral) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if referral.to_partner_id == g.partner.id:
        wanted = {
            ReferralStatus.ACCEPTED: "accept", ReferralStatus.DECLINED: "decline",
            ReferralStatus.ENROLLED: "enrol", ReferralStatus.COMPLETED: "complete",
            ReferralStatus.NOT_COMPLETED: "not-completed",
        }
        out += [(move, MOVE_TITLES[move]) for status, move in wanted.items()
                if referral.can_move_to(status)]
    if referral.from_partner_id == g.partner.id and referral.can_move_to(
        ReferralStatus.WITHDRAWN
    ):
        out.append(("withdraw", MOVE_TITLES["withdraw"]))
    return out


@bp.route("/referrals/<int:referral_id>/<any(accept, decline, enrol, complete, 'not-completed', "
          "withdraw):move>", methods=["GET", "POST"])
@access(Rule.STAFF)
def referral_move(referral_id: int, move: str) -> str | Response | tuple[str, int]:
    referral = services.visible_referral_or_404(referral_id, g.partner.id)
    form_class = {"decline": DeclineForm, "not-completed": NotCompletedForm}.get(
        move, ReferralMoveForm)
    form = form_class()
    if request.method == "GET":
        form.version.data = str(referral.version)
    status = 200
    if form.validate_on_submit():
        reason = form.reason.data if isinstance(form, DeclineForm) else None
        nc_reason = (
            NotCompletedReason(form.not_completed_reason.data)
            if isinstance(form, NotCompletedForm) else None
        )
        try:
            services.move_referral(
                referral_id=referral.id, move=move, acting_partner_id=g.partner.id,
                user_id=current_user.id, expected_version=form.expected_version,
                reason=reason, not_completed_reason=nc_reason,
            )
        except DomainError as exc:
            db.session.rollback()
            referral = services.visible_referral_or_404(referral_id, g.partner.id)
            if isinstance(exc, ConflictError):
                status = 409
            elif isinstance(exc, NotAllowedError):
                status = 403
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash(f"Referral {referral.status.value}.", "success")
            return redirect(url_for("learners.referral_detail", referral_id=referral.id))
    return render_template("learners/referral_move.html", form=form, referral=referral,
                           move=move, title=MOVE_TITLES[move],
                           receiving=referral.to_partner_id == g.partner.id), status
