"""Every route declares who may use it, and an access matrix checks what each role gets:
anonymous / staff / partner admin / coalition lead / system admin, against a record of their
own partner and of another partner, for every route discovered in the URL map."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from sqlalchemy import func, select

from inclusion.access import Rule
from inclusion.audit.models import AuditEntry
from inclusion.auth.models import UserSession
from inclusion.auth.sessions import SESSION_KEY, _hash
from inclusion.extensions import db
from tests import factories
from tests.access_records import OUTSIDE_MATRIX, admin_acts_for_bank, builder_for

ROLES = ("anonymous", "staff", "partner_admin", "lead", "admin")
# Allowed through: a page, a redirect, or the input refused (400, 409) by the view itself.
OK_STATUSES = {200, 302, 303, 400, 409}

# What each role gets on the pages without ids: written out by hand, so a wrongly declared
# rule fails here even though the computed matrix (which reads the declarations) would agree.
SIGN_IN = "sign-in"
ADMIN_ONLY = {"anonymous": SIGN_IN, "staff": 403, "partner_admin": 403, "lead": 403, "admin": 200}
PARTNER_ADMIN_ONLY = {
    "anonymous": SIGN_IN, "staff": 403, "partner_admin": 200, "lead": 403, "admin": 403,
}
STAFF_ONLY = {"anonymous": SIGN_IN, "staff": 200, "partner_admin": 200, "lead": 403, "admin": 403}
# Device bank pages: partner staff for their stock, a system admin for the central bank.
STAFF_OR_BANK = {**STAFF_ONLY, "admin": 200}
EVERYONE = {role: 200 for role in ROLES}
EXPECTED_WITHOUT_IDS: dict[str, dict[str, Any]] = {
    "main.healthz": EVERYONE,
    "main.accessibility": EVERYONE,
    "main.privacy": EVERYONE,
    "auth.sign_in": {"anonymous": 200, "staff": 302, "partner_admin": 302, "lead": 302,
                     "admin": 302},
    "main.home": {"anonymous": SIGN_IN, "staff": 200, "partner_admin": 200, "lead": 302,
                  "admin": 302},
    "partners.choose": {"anonymous": SIGN_IN, "staff": 200, "partner_admin": 200, "lead": 200,
                        "admin": 200},
    "partners.list_partners": ADMIN_ONLY,
    "partners.new_partner": ADMIN_ONLY,
    "partners.list_users": ADMIN_ONLY,
    "partners.invite_coalition_user": ADMIN_ONLY,
    "partners.team": PARTNER_ADMIN_ONLY,
    "partners.invite": PARTNER_ADMIN_ONLY,
    "audit.log": {"anonymous": SIGN_IN, "staff": 403, "partner_admin": 200, "lead": 403,
                  "admin": 200},
    "residents.search": STAFF_ONLY,
    "residents.register": STAFF_ONLY,
    "privacy.retention_periods": ADMIN_ONLY,
    "devices.index": STAFF_OR_BANK,
    "devices.stock": STAFF_OR_BANK,
    "devices.add_device": STAFF_OR_BANK,
    "devices.batches": STAFF_OR_BANK,
    "devices.batch_create": STAFF_OR_BANK,
    "devices.import_template": STAFF_OR_BANK,
    "devices.lend": STAFF_ONLY,
    "devices.loans": STAFF_ONLY,
    "devices.overdue": STAFF_ONLY,
    "devices.agreements": STAFF_ONLY,
    "devices.agreement_new": PARTNER_ADMIN_ONLY,
    "devices.settings": PARTNER_ADMIN_ONLY,
    "vouchers.index": STAFF_ONLY,
    "learners.index": STAFF_ONLY,
    "learners.directory": STAFF_ONLY,
    "learners.our_offers": STAFF_ONLY,
    "learners.offer_new": STAFF_ONLY,
    "learners.inbox": STAFF_ONLY,
    "learners.sent": STAFF_ONLY,
    "learners.stale": STAFF_ONLY,
    "learners.fund": {"anonymous": SIGN_IN, "staff": 200, "partner_admin": 200, "lead": 200,
                      "admin": 200},
    "learners.round_form": ADMIN_ONLY,
    # Nobody here has two-factor sign-in on (the test config does not demand it), so the
    # second-step page sends them on to set it up.
    "auth.two_factor": {"anonymous": SIGN_IN, "staff": 302, "partner_admin": 302, "lead": 302,
                        "admin": 302},
    "auth.enrol": {"anonymous": SIGN_IN, "staff": 200, "partner_admin": 200, "lead": 200,
                   "admin": 200},
    "auth.account": {"anonymous": SIGN_IN, "staff": 200, "partner_admin": 200, "lead": 200,
                     "admin": 200},
    "auth.change_password": {"anonymous": SIGN_IN, "staff": 200, "partner_admin": 200,
                             "lead": 200, "admin": 200},
    "auth.request_reset": EVERYONE,
    "vouchers.issue_start": STAFF_ONLY,
    "vouchers.follow_ups": STAFF_ONLY,
    "vouchers.threshold": PARTNER_ADMIN_ONLY,
    "vouchers.transfer": PARTNER_ADMIN_ONLY,
    "vouchers.redemptions_import": {"anonymous": SIGN_IN, "staff": 403, "partner_admin": 200,
                                    "lead": 403, "admin": 200},
    "vouchers.schemes": ADMIN_ONLY,
    "vouchers.scheme_edit": ADMIN_ONLY,
    "sms.problems": STAFF_ONLY,
    "sms.message_log": ADMIN_ONLY,
    "sms.template_list": ADMIN_ONLY,
    "sms.template_edit": ADMIN_ONLY,
    "outcomes.dashboard_page": {"anonymous": SIGN_IN, "staff": 200, "partner_admin": 200,
                                "lead": 200, "admin": 200},
    "outcomes.open_data": {"anonymous": SIGN_IN, "staff": 200, "partner_admin": 200,
                           "lead": 200, "admin": 200},
    "outcomes.report": {"anonymous": SIGN_IN, "staff": 200, "partner_admin": 200, "lead": 200,
                        "admin": 200},
    "outcomes.list_targets": {"anonymous": SIGN_IN, "staff": 403, "partner_admin": 403,
                              "lead": 200, "admin": 200},
    "outcomes.new_target": ADMIN_ONLY,
}


def _grants(role: str, rule: Rule) -> bool:
    """Whether a user with this role, acting for their own partner, satisfies a rule."""
    if rule in (Rule.PUBLIC, Rule.WEBHOOK):
        return True
    if role == "anonymous":
        return False
    return {
        Rule.SIGNED_IN: True,
        Rule.STAFF: role in ("staff", "partner_admin"),
        Rule.PARTNER_ADMIN: role == "partner_admin",
        Rule.LEAD: role == "lead",
        Rule.ADMIN: role == "admin",
    }[rule]


def expected(role: str, rules: frozenset[Rule], whose: str | None) -> Any:
    """What a role should get: "ok", SIGN_IN, 403 or 404 (another partner's record).
    `whose` is "own" or "other" for a route with a record in it, None for one without."""
    granted = {rule for rule in rules if _grants(role, rule)}
    if not granted:
        return SIGN_IN if role == "anonymous" else 403
    if whose is None or granted & {Rule.PUBLIC, Rule.WEBHOOK, Rule.LEAD, Rule.ADMIN}:
        return "ok"  # not scoped to a partner
    # STAFF, PARTNER_ADMIN, SIGNED_IN: the record must belong to the partner they act for.
    return "ok" if whose == "own" and role in ("staff", "partner_admin") else 404


def _outcome(response: Any, method: str) -> Any:
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.startswith("/sign-in"):
        return SIGN_IN
    if response.status_code == 401 and method != "GET":
        return SIGN_IN
    if response.status_code in (403, 404):
        return response.status_code
    return "ok" if response.status_code in OK_STATUSES else response.status_code


def _signed_in_client(app: Any, role: str, partner: Any) -> Any:
    """A client signed in as a new user with this role (a server session made directly, so the
    matrix does not spend an argon2 verification on every role)."""
    client = app.test_client()
    if role == "anonymous":
        return client
    user = factories.user_with_role(role, partner=partner)
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(token_hash=_hash(token), user_id=user.id))
    db.session.commit()
    with client.session_transaction() as session:
        session[SESSION_KEY] = token
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    return client


def _snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (sessions aside, which record when they were last seen)."""
    rows = {}
    for table in db.metadata.sorted_tables:
        if table.name == "user_session":
            continue
        rows[table.name] = [
            tuple(row) for row in db.session.execute(
                select(table).order_by(*table.primary_key.columns)
            )
        ]
    return rows


def _refusals() -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "access refused")
    )


def _routes(app: Any, *, with_ids: bool) -> list[tuple[str, str, Any]]:
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or bool(rule.arguments) != with_ids:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, rule))
    return sorted(out, key=lambda item: (item[0], item[1]))


def test_every_route_declares_an_access_rule(app):
    missing = [
        f"{rule.endpoint} ({rule.rule})"
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and not getattr(app.view_functions[rule.endpoint], "access_rules", None)
    ]
    assert not missing, "routes without @access(...): " + ", ".join(missing)


def test_every_route_with_an_id_has_a_record_builder(app):
    missing = [
        f"{endpoint} <{variable}>"
        for endpoint, _, rule in _routes(app, with_ids=True)
        if endpoint not in OUTSIDE_MATRIX
        for variable in sorted(rule.arguments)
        if builder_for(endpoint, variable) is None
    ]
    assert not missing, (
        "add a builder in tests/access_records.py for: " + ", ".join(sorted(set(missing)))
    )


def test_every_page_without_an_id_has_an_expectation_written_out(app):
    missing = {e for e, method, _ in _routes(app, with_ids=False) if method == "GET"} - set(
        EXPECTED_WITHOUT_IDS
    )
    assert not missing, "add to EXPECTED_WITHOUT_IDS: " + ", ".join(sorted(missing))


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix_for_routes_with_ids(app, role):
    """Own partner's record: allowed when the role is; another partner's: 404, nothing changed.
    Refused roles get 403 (recorded as refused access and nothing else) or the sign-in page."""
    problems = []
    checked = 0
    for endpoint, method, rule in _routes(app, with_ids=True):
        if endpoint in OUTSIDE_MATRIX:
            continue
        if any(builder_for(endpoint, name) is None for name in rule.arguments):
            # Reported by test_every_route_with_an_id_has_a_record_builder; the rest still run.
            continue
        checked += 1
        rules = app.view_functions[endpoint].access_rules
        own, other = factories.make_partner(), factories.make_partner()
        client = _signed_in_client(app, role, own)
        for whose, owner in (("own", own), ("other", other)):
            values = {name: builder_for(endpoint, name)(owner) for name in rule.arguments}
            db.session.commit()
            url = rule.build(values, append_unknown=False)[1]
            before, refusals = _snapshot(), _refusals()
            response = client.open(url, method=method, data={} if method != "GET" else None)
            db.session.expire_all()
            want, got = expected(role, rules, whose), _outcome(response, method)
            if role == "admin" and Rule.ADMIN in rules and admin_acts_for_bank(endpoint):
                want = 404  # both records are partners'; the admin's are the central bank's
            label = f"{method} {endpoint} [{whose}]"
            if got != want:
                problems.append(f"{label}: expected {want}, got {response.status_code}")
                continue
            if got in (404, SIGN_IN):
                if _snapshot() != before:
                    problems.append(f"{label}: answered {got} but changed the database")
            elif got == 403:
                after = _snapshot()
                changed = [t for t in after if t != "audit_entry" and after[t] != before[t]]
                if changed or _refusals() != refusals + 1:
                    problems.append(f"{label}: refused but changed {changed or 'the audit log'}")
    assert checked >= 16, "the matrix found fewer routes with ids than exist today"
    assert not problems, f"access matrix for {role}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix_for_pages_without_ids(app, role):
    own = factories.make_partner()
    client = _signed_in_client(app, role, own)
    problems = []
    for endpoint, method, rule in _routes(app, with_ids=False):
        if method != "GET":
            continue
        rules = app.view_functions[endpoint].access_rules
        response = client.get(rule.rule)
        got = _outcome(response, method)
        computed = expected(role, rules, None)
        written = EXPECTED_WITHOUT_IDS.get(endpoint, {}).get(role)
        if got != computed:
            problems.append(f"{endpoint}: rules say {computed}, got {response.status_code}")
        if written is not None and written != (
            response.status_code if got == "ok" else got
        ):
            problems.append(f"{endpoint}: expected {written}, got {response.status_code}")
    assert not problems, f"pages without ids for {role}:\n  " + "\n  ".join(problems)


def test_refused_access_is_recorded_in_the_audit_log(client, login_as, partner):
    user = login_as("staff", partner)
    assert client.get("/partners/users").status_code == 403
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "access refused")
    ).one()
    assert entry.user_id == user.id
    assert entry.partner_id == partner.id
    assert entry.detail == "GET partners.list_users"


def test_a_coalition_lead_opens_no_resident_page(client, login_as, partner):
    login_as("lead")
    resident = factories.make_resident(partner)
    db.session.commit()
    assert client.get("/residents/").status_code == 403
    for rule in client.application.url_map.iter_rules():
        if "resident_id" in rule.arguments and "GET" in (rule.methods or ()):
            values = {name: builder_for(rule.endpoint, name)(partner)
                      for name in rule.arguments if name != "resident_id"}
            db.session.commit()
            url = rule.build({**values, "resident_id": resident.id}, append_unknown=False)[1]
            assert client.get(url).status_code in (403, 404), url
