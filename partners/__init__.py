"""Partner organisations, their people, invitations and agreements."""

from flask import Blueprint

bp = Blueprint("partners", __name__)

from partners import models, views  # noqa: E402,F401  (schema and routes attach here)
