"""SMS pages: Twilio's webhooks, the admin message log and templates, and staff's problems."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from twilio.request_validator import RequestValidator
from werkzeug.wrappers import Response

from inclusion import audit
from inclusion.access import Rule, access
from inclusion.exceptions import ValidationError
from inclusion.extensions import csrf, db, limiter, utcnow
from inclusion.forms import add_form_error, choices
from inclusion.main.panels import Panel, register
from inclusion.pagination import keyset_page
from inclusion.residents import timeline
from inclusion.residents.services import local_date
from inclusion.sms import delivery, text
from inclusion.sms.forms import SmsTemplateForm
from inclusion.sms.models import FINAL_STATUSES, MessageStatus, SmsMessage, SmsTemplate
from inclusion.tenancy import current_partner_id

log = logging.getLogger(__name__)

bp = Blueprint("sms", __name__)

_30_DAYS = timedelta(days=30)
PROBLEM_STATUSES = (MessageStatus.FAILED, MessageStatus.UNDELIVERED, MessageStatus.UNKNOWN)
MESSAGE_LOG_PAGE_SIZE = 50


def _webhook_limit() -> str:
    return str(current_app.config["SMS_WEBHOOK_RATE_LIMIT"])


def _signed_by_twilio() -> bool:
    """True when X-Twilio-Signature matches the public URL Twilio called and the form sent.

    The URL is rebuilt from PUBLIC_BASE_URL, not request.url: behind a TLS proxy the app
    sees http:// while Twilio signed https://.
    """
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    base = current_app.config.get("PUBLIC_BASE_URL")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not base or not signature:
        return False
    url = base.rstrip("/") + request.script_root + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("utf-8", "replace")
    return bool(RequestValidator(token).validate(url, request.form, signature))


def _refuse() -> None:
    log.warning("sms webhook %s refused: bad or missing signature", request.endpoint)
    abort(403)


@bp.route("/status", methods=["POST"])
@access(Rule.WEBHOOK)
@csrf.exempt
@limiter.limit(_webhook_limit)
def status_callback() -> tuple[str, int]:
    if not _signed_by_twilio():
        _refuse()
    sid = (request.form.get("MessageSid") or request.form.get("SmsSid") or "").strip()[:64]
    status = (request.form.get("MessageStatus") or request.form.get("SmsStatus") or "").strip()
    if not sid or not status:
        log.warning("sms receipt without a message id or status ignored")
        return "", 204
    message = db.session.scalar(
        select(SmsMessage).where(SmsMessage.provider_id == sid).with_for_update()
    )
    our_id = request.args.get("message", type=int)
    if message is None and our_id is not None:
        # The receipt overtook the worker's own record of the send (the URL is signed).
        message = db.session.scalar(
            select(SmsMessage)
            .where(SmsMessage.id == our_id,
                   or_(SmsMessage.provider_id.is_(None), SmsMessage.provider_id == sid))
            .with_for_update()
        )
        if message is not None:
            message.provider_id = sid
            message.provider = "twilio"
    if message is None:
        log.warning("sms receipt for an unknown message id ignored")
        return "", 204
    error_code = (request.form.get("ErrorCode") or "").strip() or None
    delivery.apply_receipt(message, status, error_code=error_code)
    db.session.commit()
    return "", 204


@bp.route("/inbound", methods=["POST"])
@access(Rule.WEBHOOK)
@csrf.exempt
@limiter.limit(_webhook_limit)
def inbound() -> Response:
    if not _signed_by_twilio():
        _refuse()
    phone = "".join((request.form.get("From") or "").split())[:20]
    word = (request.form.get("Body") or "").strip().upper()
    if phone and word in delivery.STOP_WORDS:
        delivery.opt_out(phone=phone, how=f"replied {word}")
    elif phone and word in delivery.START_WORDS:
        delivery.opt_in(phone=phone)
    db.session.commit()
    # Twilio itself answers STOP and START; our reply is empty.
    return Response('<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
                    mimetype="text/xml")


@bp.route("/messages")
@access(Rule.ADMIN)
def message_log() -> str:
    status = request.args.get("status") or ""
    query = select(SmsMessage)
    if status in {s.value for s in MessageStatus}:
        query = query.where(SmsMessage.status == MessageStatus(status))
    else:
        status = ""
    # Newest first, paged by id: at millions of messages an offset, or a count of them all,
    # would cost more than the page itself.
    page = keyset_page(query, (SmsMessage.id,), descending=True, size=MESSAGE_LOG_PAGE_SIZE)
    return render_template(
        "sms/message_log.html", page=page, messages=page.items, status=status,
        statuses=list(MessageStatus), provider=current_app.config["SMS_PROVIDER"],
    )


@bp.route("/problems")
@access(Rule.STAFF)
def problems() -> str:
    messages = db.session.scalars(
        select(SmsMessage)
        .where(SmsMessage.partner_id == current_partner_id(),
               SmsMessage.status.in_(PROBLEM_STATUSES))
        .order_by(SmsMessage.id.desc())
        .limit(100)
    ).all()
    return render_template("sms/problems.html", messages=messages)


@bp.route("/templates")
@access(Rule.ADMIN)
def template_list() -> str:
    templates = db.session.scalars(
        select(SmsTemplate).order_by(SmsTemplate.purpose, SmsTemplate.language)
    ).all()
    return render_template(
        "sms/template_list.html", templates=templates, purposes=text.purposes(),
        measure=text.measure,
    )


@bp.route("/templates/new", methods=["GET", "POST"])
@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
@access(Rule.ADMIN)
def template_edit(template_id: int | None = None) -> str | Response:
    template = db.session.get(SmsTemplate, template_id) if template_id is not None else None
    if template_id is not None and template is None:
        abort(404)
    form = SmsTemplateForm(obj=template)
    purposes = text.purposes()
    form.purpose.choices = choices(
        ((name, name.capitalize()) for name in sorted(purposes)), blank="Choose one"
    )
    if request.method == "GET" and template is None:
        wanted = request.args.get("purpose", "")
        if wanted in purposes:
            form.purpose.data = wanted
            form.body.data = purposes[wanted].default_body
    if form.validate_on_submit():
        try:
            text.check_template(form.purpose.data, form.body.data)
            clash = db.session.scalar(
                select(SmsTemplate).where(SmsTemplate.purpose == form.purpose.data,
                                          SmsTemplate.language == form.language.data)
            )
            if clash is not None and clash is not template:
                raise ValidationError("There is already a template for this purpose and "
                                      "language: edit that one", field="language")
        except ValidationError as exc:
            add_form_error(form, exc.field, exc.message)
        else:
            if template is None:
                template = SmsTemplate()
                db.session.add(template)
            template.purpose = form.purpose.data
            template.language = form.language.data
            template.body = form.body.data.replace("\r\n", "\n")
            template.updated_by_id = current_user.id
            template.updated_at = utcnow()
            db.session.flush()
            audit.record("sms template saved", entity_type="sms template",
                         entity_id=template.id, fields=["purpose", "language", "body"])
            db.session.commit()
            flash("Template saved.", "success")
            return redirect(url_for("sms.template_list"))
    purpose = purposes.get(form.purpose.data or "")
    return render_template(
        "sms/template_edit.html", form=form, template=template,
        length=text.measure(form.body.data or ""), purpose=purpose,
    )


def _problem_panels(partner_id: int) -> list[Panel]:
    count = db.session.scalar(
        select(func.count()).select_from(SmsMessage).where(
            SmsMessage.partner_id == partner_id, SmsMessage.status.in_(PROBLEM_STATUSES),
            SmsMessage.status_at >= utcnow().replace(hour=0, minute=0) - _30_DAYS,
        )
    ) or 0
    if not count:
        return []
    return [Panel("Texts not delivered", count, "sms.problems",
                  hint="In the last 30 days", warning=True)]


register(bp, panels=_problem_panels)


def _timeline_entries(resident: object) -> list[timeline.TimelineEntry]:
    """Each text message to the resident from their partner: what it was about and how it
    went. Never its text (a voucher code travels in it)."""
    messages = db.session.scalars(
        select(SmsMessage)
        .where(SmsMessage.resident_id == resident.id,  # type: ignore[attr-defined]
               SmsMessage.partner_id == resident.partner_id)  # type: ignore[attr-defined]
        .order_by(SmsMessage.id)
    )
    return [
        timeline.TimelineEntry(local_date(m.created_at),
                               f"Text message: {m.purpose} ({m.description.lower()})")
        for m in messages
    ]


timeline.register(bp, _timeline_entries)

__all__ = ["FINAL_STATUSES", "bp"]
