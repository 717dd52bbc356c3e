"""Device bank, loans and gifts."""

from flask import Blueprint

bp = Blueprint("devices", __name__)

from devices import views  # noqa: E402,F401  (routes attach to bp)
