"""What every device view needs: whose stock is this, and answering 404 or 409 the same way."""

from __future__ import annotations

from typing import Any

from flask import abort, g, jsonify, render_template, request
from flask_login import current_user
from werkzeug.wrappers import Response

from devices.models import Device
from devices.services import device_owned
from inclusion.extensions import db


def acting_owner() -> int | None:
    """The acting partner's id, or None for a system admin acting for the central bank."""
    partner = g.get("partner")
    if partner is not None:
        return int(partner.id)
    if current_user.is_authenticated and current_user.is_system_admin:
        return None
    abort(404)


def is_bank() -> bool:
    return g.get("partner") is None


def device_or_404(device_id: Any, *, lock: bool = False) -> Device:
    device = device_owned(acting_owner(), device_id, lock=lock)
    if device is None:
        abort(404)
    return device


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > \
        request.accept_mimetypes["text/html"]


def conflict(message: str, template: str, **context: Any) -> tuple[Response | str, int]:
    """A 409: JSON for an API-style caller, else the page again with the message."""
    db.session.rollback()
    if wants_json():
        return jsonify({"error": "conflict", "message": message}), 409
    return render_template(template, **context), 409


def user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None
