"""The privacy registry: packages plug in through their blueprint; the core lists them."""

from __future__ import annotations

import pytest
from flask import Blueprint

from inclusion import privacy
from inclusion.privacy.retention import record_types


def test_a_blueprint_registers_its_handler_when_the_app_registers_it(app):
    bp = Blueprint("fakeloans", __name__)
    privacy.register(bp, erase=lambda r: [], record_types=["loans", "loan photos"])

    app.register_blueprint(bp, url_prefix="/fakeloans")

    names = [h.name for h in privacy.handlers()]
    assert names[0] == "core" and "fakeloans" in names
    keys = [t.key for t in record_types()]
    assert keys.count("loans") == 1
    assert "loan photos" in keys  # a new record type gets a default period


def test_the_same_package_cannot_register_twice(app):
    privacy.install(app, privacy.Handler(name="twice"))

    with pytest.raises(ValueError):
        privacy.install(app, privacy.Handler(name="twice"))


def test_sections_are_json_ready_text():
    made = privacy.section("Loan", [("Device", "Laptop"), ("Returned", None), ("Count", 2)])

    assert made.as_dict() == {"title": "Loan", "rows": [
        {"label": "Device", "value": "Laptop"},
        {"label": "Returned", "value": ""},
        {"label": "Count", "value": "2"},
    ]}


def test_every_privacy_route_declares_an_access_rule(app):
    from inclusion.access import rules_for

    endpoints = [r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("privacy.")]
    assert len(endpoints) >= 7
    assert all(rules_for(e, app) for e in endpoints)
