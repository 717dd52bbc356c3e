"""Device bank pages: the device list, stock, a device's page and its moves, batches, import,
labels."""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from werkzeug.wrappers import Response

from devices import bp, services
from devices.forms import (
    BatchCreateForm,
    DeviceAddForm,
    ImportForm,
    RetireForm,
    TransferForm,
    WipeForm,
)
from devices.importers import COLUMNS, TEMPLATE, UNTRUSTED_COLUMNS, ImportRejected, import_devices
from devices.models import (
    Device,
    DeviceKind,
    DeviceStatus,
    DonationBatch,
    RetirementReason,
    WipeMethod,
    normalise_tag,
)
from devices.pdf import labels_pdf
from devices.views.common import acting_owner, conflict, device_or_404, is_bank, user_id
from inclusion.access import Rule, access
from inclusion.exceptions import ConflictError, DomainError
from inclusion.extensions import db
from inclusion.forms import add_form_error, choices

PAGE_SIZE = 50
COUNT_CAP = 10_000


def _pdf(content: bytes, filename: str) -> Response:
    response = current_app.response_class(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _int_arg(name: str) -> int | None:
    try:
        return int(request.args[name])
    except (KeyError, ValueError):
        return None


@bp.route("/")
@access(Rule.STAFF, Rule.ADMIN)
def index() -> str:
    """The device list, newest first, paged by id (keyset) so page 4,000 costs what page 1 does."""
    owner = acting_owner()
    status = request.args.get("status", "")
    kind = request.args.get("kind", "")
    q = (request.args.get("q") or "").strip()[:100]
    query = services.device_query(owner)
    if status in {s.value for s in DeviceStatus}:
        query = query.where(Device.status == DeviceStatus(status))
    else:
        status = ""
    if kind in {k.value for k in DeviceKind}:
        query = query.where(Device.kind == DeviceKind(kind))
    else:
        kind = ""
    if q:
        query = query.where(or_(Device.asset_tag == normalise_tag(q), Device.serial_number == q))
    # Counting 200,000 rows on every page view costs more than the page: count up to a cap.
    total = db.session.scalar(
        select(func.count()).select_from(query.with_only_columns(Device.id)
                                         .limit(COUNT_CAP + 1).subquery())) or 0
    after, before = _int_arg("after"), _int_arg("before")
    if before is not None:
        rows = list(db.session.scalars(query.where(Device.id > before)
                                       .order_by(Device.id.asc()).limit(PAGE_SIZE + 1)))
        has_newer = len(rows) > PAGE_SIZE
        devices = list(reversed(rows[:PAGE_SIZE]))
        has_older = True
    else:
        if after is not None:
            query = query.where(Device.id < after)
        rows = list(db.session.scalars(query.order_by(Device.id.desc()).limit(PAGE_SIZE + 1)))
        devices = rows[:PAGE_SIZE]
        has_older = len(rows) > PAGE_SIZE
        has_newer = after is not None
    partners = services.partners_to_transfer_to(owner) if is_bank() else []
    return render_template(
        "devices/index.html", devices=devices, total=total, capped=total > COUNT_CAP,
        cap=COUNT_CAP, status=status, kind=kind, q=q, statuses=list(DeviceStatus),
        kinds=list(DeviceKind), bank=is_bank(), partners=partners,
        newer=devices[0].id if devices and has_newer else None,
        older=devices[-1].id if devices and has_older else None,
    )


@bp.route("/stock")
@access(Rule.STAFF, Rule.ADMIN)
def stock() -> str:
    owner = acting_owner()
    return render_template(
        "devices/stock.html", stock=services.stock_counts(owner), kinds=list(DeviceKind),
        statuses=list(DeviceStatus), bank=is_bank(),
        by_partner=services.stock_by_partner() if is_bank() else None,
    )


def _batch_choices(owner: int | None) -> list:  # type: ignore[type-arg]
    batches = db.session.scalars(
        select(DonationBatch).where(
            DonationBatch.partner_id.is_(None) if owner is None
            else DonationBatch.partner_id == owner
        ).order_by(DonationBatch.received_on.desc(), DonationBatch.id.desc()).limit(100)
    ).all()
    return choices(((str(b.id), f"{b.donor}, received {b.received_on:%d %b %Y}")
                    for b in batches), blank="No batch")


@bp.route("/new", methods=["GET", "POST"])
@access(Rule.STAFF, Rule.ADMIN)
def add_device() -> str | Response:
    owner = acting_owner()
    form = DeviceAddForm()
    form.batch_id.choices = _batch_choices(owner)
    if request.method == "GET" and request.args.get("batch"):
        form.batch_id.data = request.args["batch"]
    if form.validate_on_submit():
        data, problems = services.check_device_fields(form.data)
        for field, message in problems:
            add_form_error(form, field, message)
        batch = None
        if form.batch_id.data:
            batch = _batch_or_404(form.batch_id.data)
        if data is not None:
            try:
                device = services.add_device(owner_id=owner, data=data, batch=batch,
                                             user_id=user_id())
            except DomainError as exc:
                db.session.rollback()
                add_form_error(form, exc.field, exc.message)
            else:
                db.session.commit()
                flash(f"Device {device.asset_tag} added. Write the tag on it or print a label.",
                      "success")
                return redirect(url_for("devices.device_detail", device_id=device.id))
    return render_template("devices/add_device.html", form=form)


@bp.route("/<int:device_id>")
@access(Rule.STAFF, Rule.ADMIN)
def device_detail(device_id: int) -> str:
    device = device_or_404(device_id)
    loans = services.loans_for_device(device) if not is_bank() else []
    return render_template("devices/device_detail.html", device=device, loans=loans,
                           bank=is_bank(), DeviceStatus=DeviceStatus)


@bp.route("/<int:device_id>/wipe", methods=["GET", "POST"])
@access(Rule.STAFF, Rule.ADMIN)
def wipe(device_id: int) -> str | Response | tuple[str | Response, int]:
    device = device_or_404(device_id)
    form = WipeForm()
    if form.validate_on_submit():
        device = device_or_404(device_id, lock=True)
        assert form.wiped_on.data is not None  # InputRequired
        try:
            services.record_wipe(device=device, method=WipeMethod(form.method.data),
                                 tool=form.tool.data, wiped_on=form.wiped_on.data,
                                 wiped_by=form.wiped_by.data,
                                 certificate_ref=form.certificate_ref.data, user_id=user_id())
        except ConflictError as exc:
            add_form_error(form, exc.field, exc.message)
            return conflict(exc.message, "devices/wipe.html", form=form,
                            device=device_or_404(device_id))
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash(f"Wipe recorded for {device.asset_tag}.", "success")
            return redirect(url_for("devices.device_detail", device_id=device.id))
    return render_template("devices/wipe.html", form=form, device=device)


@bp.route("/<int:device_id>/ready", methods=["POST"])
@access(Rule.STAFF, Rule.ADMIN)
def mark_ready(device_id: int) -> Response | tuple[str, int]:
    device = device_or_404(device_id, lock=True)
    try:
        services.mark_ready(device=device, user_id=user_id())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return device_detail(device_id), 409
    db.session.commit()
    flash(f"{device.asset_tag} is ready to lend.", "success")
    return redirect(url_for("devices.device_detail", device_id=device.id))


@bp.route("/<int:device_id>/retire", methods=["GET", "POST"])
@access(Rule.STAFF, Rule.ADMIN)
def retire(device_id: int) -> str | Response | tuple[str | Response, int]:
    device = device_or_404(device_id)
    form = RetireForm()
    if form.validate_on_submit():
        device = device_or_404(device_id, lock=True)
        assert form.retired_on.data is not None  # InputRequired
        try:
            services.retire_device(device=device, reason=RetirementReason(form.reason.data),
                                   retired_on=form.retired_on.data, recycler=form.recycler.data,
                                   certificate_ref=form.certificate_ref.data,
                                   notes=form.notes.data, user_id=user_id())
        except ConflictError as exc:
            add_form_error(form, exc.field, exc.message)
            return conflict(exc.message, "devices/retire.html", form=form,
                            device=device_or_404(device_id))
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash(f"{device.asset_tag} retired.", "success")
            return redirect(url_for("devices.device_detail", device_id=device.id))
    return render_template("devices/retire.html", form=form, device=device)


@bp.route("/<int:device_id>/transfer", methods=["GET", "POST"])
@access(Rule.STAFF, Rule.ADMIN)
def transfer(device_id: int) -> str | Response | tuple[str | Response, int]:
    owner = acting_owner()
    device = device_or_404(device_id)
    form = TransferForm()
    form.to_partner_id.choices = choices(
        ((str(p.id), p.name) for p in services.partners_to_transfer_to(owner)),
        blank="Choose a partner")
    if form.validate_on_submit():
        device = device_or_404(device_id, lock=True)
        tag = device.asset_tag
        try:
            services.transfer_device(device=device, to_partner_id=form.to_partner_id.data,
                                     user_id=user_id())
        except ConflictError as exc:
            add_form_error(form, exc.field, exc.message)
            return conflict(exc.message, "devices/transfer.html", form=form,
                            device=device_or_404(device_id))
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash(f"{tag} transferred. It is no longer in your stock.", "success")
            return redirect(url_for("devices.index"))
    return render_template("devices/transfer.html", form=form, device=device)


def _selected_ids() -> list[int]:
    ids = []
    for value in request.form.getlist("device_ids")[:1000]:
        try:
            ids.append(int(value))
        except ValueError:
            abort(400)
    return ids


@bp.route("/allocate", methods=["POST"])
@access(Rule.STAFF, Rule.ADMIN)
def allocate() -> Response | tuple[str | Response, int]:
    owner = acting_owner()
    ids = _selected_ids()
    try:
        to_partner_id = int(request.form.get("to_partner_id", ""))
    except ValueError:
        flash("Choose a partner to allocate the devices to.", "error")
        return redirect(url_for("devices.index"))
    try:
        count = services.allocate_devices(owner_id=owner, device_ids=ids,
                                          to_partner_id=to_partner_id, user_id=user_id())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("devices.index"))
    db.session.commit()
    flash(f"{count} {'device' if count == 1 else 'devices'} allocated.", "success")
    return redirect(url_for("devices.index"))


@bp.route("/labels", methods=["POST"])
@access(Rule.STAFF, Rule.ADMIN)
def labels_selection() -> Response:
    owner = acting_owner()
    ids = _selected_ids()
    if not ids:
        flash("Select the devices to print labels for.", "error")
        return redirect(url_for("devices.index"))
    devices = db.session.scalars(
        services.device_query(owner).where(Device.id.in_(ids)).order_by(Device.asset_tag)
    ).all()
    if not devices:
        abort(404)
    return _pdf(labels_pdf(devices, title="Asset labels"), "asset-labels.pdf")


def _batch_or_404(batch_id: object) -> DonationBatch:
    owner = acting_owner()
    try:
        key = int(batch_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        abort(404)
    batch = db.session.get(DonationBatch, key)
    if batch is None or batch.partner_id != owner:
        abort(404)
    return batch


@bp.route("/batches")
@access(Rule.STAFF, Rule.ADMIN)
def batches() -> str:
    owner = acting_owner()
    rows = db.session.execute(
        select(DonationBatch, func.count(Device.id))
        .outerjoin(Device, Device.batch_id == DonationBatch.id)
        .where(DonationBatch.partner_id.is_(None) if owner is None
               else DonationBatch.partner_id == owner)
        .group_by(DonationBatch.id)
        .order_by(DonationBatch.received_on.desc(), DonationBatch.id.desc())
        .limit(200)
    ).all()
    return render_template("devices/batches.html", rows=rows)


@bp.route("/batches/new", methods=["GET", "POST"])
@access(Rule.STAFF, Rule.ADMIN)
def batch_create() -> str | Response:
    owner = acting_owner()
    form = BatchCreateForm()
    if request.method == "GET":
        form.received_on.data = date.today()
    if form.validate_on_submit():
        assert form.received_on.data is not None  # InputRequired
        try:
            batch = services.create_batch(owner_id=owner, donor=form.donor.data,
                                          received_on=form.received_on.data,
                                          notes=form.notes.data, user_id=user_id())
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash("Batch recorded. Now add its devices, one by one or from a CSV file.",
                  "success")
            return redirect(url_for("devices.batch_detail", batch_id=batch.id))
    return render_template("devices/batch_create.html", form=form)


@bp.route("/batches/<int:batch_id>")
@access(Rule.STAFF, Rule.ADMIN)
def batch_detail(batch_id: int) -> str:
    batch = _batch_or_404(batch_id)
    devices = db.session.scalars(
        select(Device).where(Device.batch_id == batch.id).order_by(Device.id).limit(500)
    ).all()
    count = db.session.scalar(select(func.count()).where(Device.batch_id == batch.id)) or 0
    return render_template("devices/batch_detail.html", batch=batch, devices=devices,
                           count=count)


@bp.route("/batches/<int:batch_id>/labels.pdf")
@access(Rule.STAFF, Rule.ADMIN)
def batch_labels(batch_id: int) -> Response:
    batch = _batch_or_404(batch_id)
    devices = db.session.scalars(
        select(Device).where(Device.batch_id == batch.id, Device.partner_id == batch.partner_id)
        .order_by(Device.id)
    ).all()
    if not devices:
        abort(404)
    return _pdf(labels_pdf(devices, title=f"Batch {batch.id} labels"),
                f"batch-{batch.id}-labels.pdf")


@bp.route("/batches/<int:batch_id>/import", methods=["GET", "POST"])
@access(Rule.STAFF, Rule.ADMIN)
def batch_import(batch_id: int) -> str | Response:
    batch = _batch_or_404(batch_id)
    form = ImportForm()
    rejected: ImportRejected | None = None
    if form.validate_on_submit():
        content = form.file.data.read()
        try:
            result = import_devices(batch=batch, content=content, user_id=user_id())
        except ImportRejected as exc:
            db.session.rollback()
            rejected = exc
            add_form_error(form, "file", "The file was not imported: fix the problems listed "
                                         "and upload it again")
        else:
            db.session.commit()
            note = ""
            untrusted = [c for c in result.ignored_columns
                         if c.strip().lower() in UNTRUSTED_COLUMNS]
            if result.ignored_columns:
                note = " Ignored columns: " + ", ".join(result.ignored_columns) + "."
            if untrusted:
                note += " Devices belong to this batch's owner, whatever the file says."
            flash(f"{result.count} devices imported.{note}", "success")
            return redirect(url_for("devices.batch_detail", batch_id=batch.id))
    return render_template("devices/batch_import.html", form=form, batch=batch, columns=COLUMNS,
                           rejected=rejected)


@bp.route("/import-template.csv")
@access(Rule.STAFF, Rule.ADMIN)
def import_template() -> Response:
    response = current_app.response_class(TEMPLATE, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="devices-template.csv"'
    return response
