"""Offer pages: the directory, the partner's own offers, publishing and editing."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from inclusion.access import Rule, access
from inclusion.exceptions import DomainError
from inclusion.extensions import db
from inclusion.forms import add_form_error
from inclusion.tenancy import get_scoped_or_404, scoped
from learners import bp
from learners.forms import DirectoryForm, OfferForm
from learners.models import Offer, OfferKind
from learners.services import offers as services
from learners.views.pages import paginate


@bp.route("/offers")
@access(Rule.STAFF)
def directory() -> str:
    form = DirectoryForm(request.args)
    filters = services.DirectoryFilter()
    if form.validate():
        filters = services.DirectoryFilter(
            kind=OfferKind(form.kind.data) if form.kind.data else None,
            authority=form.area.data or None,
            target_group=form.group.data or None,
            starts_from=form.starts_from.data,
            text=(form.q.data or "").strip() or None,
        )
    page = paginate(services.directory_query(filters).options(selectinload(Offer.partner)))
    records = services.response_records([o.id for o in page.items])
    return render_template("learners/directory.html", form=form, page=page, records=records,
                           today=date.today())


@bp.route("/offers/ours")
@access(Rule.STAFF)
def our_offers() -> str:
    offers = db.session.scalars(scoped(Offer).order_by(Offer.title, Offer.id)).all()
    records = services.response_records([o.id for o in offers])
    return render_template("learners/our_offers.html", offers=offers, records=records)


@bp.route("/offers/<int:offer_id>")
@access(Rule.STAFF)
def offer_detail(offer_id: int) -> str:
    # Offers are published to every partner; inactive ones only to their owner.
    offer = db.session.get(Offer, offer_id)
    if offer is None or (not offer.active and offer.partner_id != g.partner.id):
        abort(404)
    record = services.response_records([offer.id])[offer.id]
    return render_template("learners/offer_detail.html", offer=offer, record=record,
                           today=date.today(), ours=offer.partner_id == g.partner.id)


def _fill_dates(form: OfferForm, offer: Offer) -> None:
    for field, value in zip((form.start_1, form.start_2, form.start_3), offer.start_dates,
                            strict=False):
        field.data = value


@bp.route("/offers/new", methods=["GET", "POST"])
@access(Rule.STAFF)
def offer_new() -> str | Response:
    form = OfferForm()
    if request.method == "GET":
        form.response_days.data = 5
        form.accepts_referrals.data = "yes"
    if form.validate_on_submit():
        try:
            offer = services.create_offer(partner_id=g.partner.id, values=form.values())
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash("Offer published.", "success")
            return redirect(url_for("learners.offer_detail", offer_id=offer.id))
    return render_template("learners/offer_form.html", form=form, offer=None)


@bp.route("/offers/<int:offer_id>/edit", methods=["GET", "POST"])
@access(Rule.STAFF)
def offer_edit(offer_id: int) -> str | Response:
    offer = get_scoped_or_404(Offer, offer_id)
    form = OfferForm()
    if request.method == "GET":
        _prefill(form, offer)
    if form.validate_on_submit():
        try:
            services.update_offer(offer=offer, values=form.values())
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash("Offer saved.", "success")
            return redirect(url_for("learners.offer_detail", offer_id=offer.id))
    return render_template("learners/offer_form.html", form=form, offer=offer)


def _prefill(form: OfferForm, offer: Offer) -> None:
    data: dict[str, Any] = {
        "title": offer.title, "kind": offer.kind.value, "level": offer.level.value,
        "delivery": offer.delivery.value, "place": offer.place, "summary": offer.summary,
        "authorities": offer.authorities, "target_groups": offer.target_groups,
        "eligibility_notes": offer.eligibility_notes, "capacity": offer.capacity,
        "accepts_referrals": "yes" if offer.accepts_referrals else "no",
        "response_days": offer.response_days, "active": "yes" if offer.active else "no",
    }
    for name, value in data.items():
        getattr(form, name).data = value
    _fill_dates(form, offer)
