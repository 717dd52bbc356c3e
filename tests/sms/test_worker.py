"""The worker sends through the real Twilio client to a local Twilio-compatible server."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from inclusion import sms
from inclusion.extensions import db, utcnow
from inclusion.residents.models import ConsentKind
from inclusion.sms.models import TECHNICAL_FAILURE, MessageStatus, SmsMessage
from inclusion.sms.worker import run_pass
from tests.sms.conftest import make_due_now, texted_resident


def _queue(partner, n=1, **resident_fields):
    resident = texted_resident(partner, **resident_fields)
    messages = [
        sms.enqueue(resident=resident, partner_id=partner.id, purpose="test", body=f"Hello {i}")
        for i in range(n)
    ]
    db.session.commit()
    return resident, messages


def _reload(message_id):
    db.session.expire_all()
    return db.session.get(SmsMessage, message_id)


def test_worker_sends_through_twilio_and_records_the_sid(twilio_app, fake_twilio, partner):
    resident, (message,) = _queue(partner)
    result = run_pass(twilio_app)
    assert result.sent == 1
    (sent,) = fake_twilio.sent
    assert (sent.to, sent.body) == (resident.phone, "Hello 0")
    assert sent.status_callback == f"https://inclusion.example.org/sms/status?message={message.id}"
    stored = _reload(message.id)
    assert stored.status is MessageStatus.SENT
    assert stored.provider_id == sent.sid and sent.sid.startswith("SM")
    assert stored.sent_at is not None


def test_worker_holds_no_database_connection_while_the_provider_answers(
    twilio_app, fake_twilio, partner
):
    _queue(partner, n=3)
    engine = db.engine
    seen: list[int] = []
    fake_twilio.on_request = lambda: seen.append(engine.pool.checkedout())
    db.session.remove()
    run_pass(twilio_app)
    assert seen == [0, 0, 0]


@pytest.mark.parametrize("failure", ["500", "429", "503"])
def test_temporary_failure_is_retried_later_and_sent_once(twilio_app, fake_twilio, partner,
                                                          failure):
    _resident, (message,) = _queue(partner)
    fake_twilio.fail_next(failure)
    first = run_pass(twilio_app)
    assert first.retrying == 1
    stored = _reload(message.id)
    assert stored.status is MessageStatus.PENDING
    assert stored.next_attempt_at > utcnow() + timedelta(seconds=50)  # backoff
    assert run_pass(twilio_app).handled == 0  # not due yet
    make_due_now()
    assert run_pass(twilio_app).sent == 1
    assert len(fake_twilio.sent) == 1
    assert _reload(message.id).attempts == 2


def test_backoff_doubles_with_each_attempt(twilio_app, fake_twilio, partner):
    _resident, (message,) = _queue(partner)
    fake_twilio.mode = "500"
    waits = []
    for _ in range(3):
        before = utcnow()
        run_pass(twilio_app)
        waits.append((_reload(message.id).next_attempt_at - before).total_seconds())
        make_due_now()
    assert waits[0] == pytest.approx(60, abs=2)
    assert waits[1] == pytest.approx(120, abs=2)
    assert waits[2] == pytest.approx(240, abs=2)


def test_retries_run_out_into_a_technical_failure_staff_can_see(
    make_app, fake_twilio, partner, client, login_as
):
    app = make_app(**fake_twilio.app_config(), SMS_MAX_ATTEMPTS=3)
    with app.app_context():
        _resident, (message,) = _queue(partner)
        fake_twilio.mode = "500"
        for _ in range(3):
            run_pass(app)
            make_due_now()
        stored = _reload(message.id)
        assert stored.status is MessageStatus.FAILED
        assert stored.error_code == TECHNICAL_FAILURE
        assert stored.attempts == 3
        assert run_pass(app).handled == 0
        assert fake_twilio.requests == 3
        db.session.remove()
    login_as("staff", partner)
    page = client.get("/sms/problems").get_data(as_text=True)
    assert "could not be reached" in page
    home = client.get("/").get_data(as_text=True)
    assert "Texts not delivered" in home


def test_invalid_number_fails_at_once_without_retry(twilio_app, fake_twilio, partner):
    resident, (message,) = _queue(partner)
    fake_twilio.invalid_numbers.add(resident.phone)
    result = run_pass(twilio_app)
    assert result.failed == 1
    stored = _reload(message.id)
    assert (stored.status, stored.error_code, stored.attempts) == (
        MessageStatus.FAILED, "21211", 1)
    assert resident.phone not in stored.error_message and "[number]" in stored.error_message
    make_due_now()
    run_pass(twilio_app)
    assert fake_twilio.requests == 1


def test_opted_out_number_withdraws_consent_and_is_never_retried(twilio_app, fake_twilio,
                                                                  partner):
    resident, (first, second) = _queue(partner, n=2)
    fake_twilio.opted_out_numbers.add(resident.phone)
    twilio_app.config["SMS_BATCH_SIZE"] = 1
    run_pass(twilio_app, max_messages=1)
    assert fake_twilio.requests == 1
    stored = _reload(first.id)
    assert (stored.status, stored.error_code) == (MessageStatus.FAILED, "21610")
    # The other waiting text to that number is cancelled, not sent.
    assert _reload(second.id).status is MessageStatus.FAILED
    db.session.expire_all()
    assert not resident.has_consent(ConsentKind.SMS_CONTACT)
    make_due_now()
    run_pass(twilio_app)
    assert fake_twilio.requests == 1
    assert sms.enqueue(resident=resident, partner_id=partner.id, purpose="t", body="x") is None


def test_connection_refused_is_a_temporary_failure(make_app, fake_twilio, partner):
    app = make_app(**fake_twilio.app_config())
    fake_twilio.stop()  # nothing listens on that port now
    with app.app_context():
        _resident, (message,) = _queue(partner)
        result = run_pass(app)
        assert result.retrying == 1
        stored = _reload(message.id)
        assert (stored.status, stored.error_code) == (MessageStatus.PENDING, "network")
        db.session.remove()


def test_provider_timeout_is_a_temporary_failure(make_app, fake_twilio, partner):
    app = make_app(**fake_twilio.app_config(), SMS_PROVIDER_TIMEOUT=0.3)
    fake_twilio.mode = "hang"
    fake_twilio.delay = 1.0
    with app.app_context():
        _resident, (message,) = _queue(partner)
        assert run_pass(app).retrying == 1
        assert _reload(message.id).status is MessageStatus.PENDING
        db.session.remove()


def test_message_claimed_by_a_dead_worker_returns_after_the_lease(twilio_app, fake_twilio,
                                                                   partner):
    _resident, (message,) = _queue(partner)
    db.session.execute(
        update(SmsMessage).values(status=MessageStatus.SENDING, attempts=1,
                                  claimed_at=utcnow() - timedelta(minutes=10))
    )
    db.session.commit()
    result = run_pass(twilio_app)
    assert (result.released, result.sent) == (1, 1)
    assert len(fake_twilio.sent) == 1


def test_fresh_claim_of_a_live_worker_is_left_alone(twilio_app, fake_twilio, partner):
    _resident, (message,) = _queue(partner)
    db.session.execute(update(SmsMessage).values(status=MessageStatus.SENDING,
                                                 claimed_at=utcnow()))
    db.session.commit()
    assert run_pass(twilio_app).handled == 0
    assert fake_twilio.requests == 0


def test_message_with_no_final_receipt_becomes_unknown(twilio_app, fake_twilio, partner):
    _resident, (old, recent) = _queue(partner, n=2)
    run_pass(twilio_app)
    db.session.execute(update(SmsMessage).where(SmsMessage.id == old.id)
                       .values(sent_at=utcnow() - timedelta(hours=73)))
    db.session.commit()
    assert run_pass(twilio_app).timed_out == 1
    assert _reload(old.id).status is MessageStatus.UNKNOWN
    assert _reload(recent.id).status is MessageStatus.SENT


def test_provider_down_then_back_sends_every_message_exactly_once_with_two_workers(
    make_app, fake_twilio, partner
):
    app = make_app(**fake_twilio.app_config(), SMS_PROVIDER_TIMEOUT=0.3, SMS_BATCH_SIZE=5,
                   SMS_MAX_ATTEMPTS=20)
    with app.app_context():
        residents = [texted_resident(partner) for _ in range(4)]
        total = 40
        for i in range(total):
            r = residents[i % 4]
            sms.enqueue(resident=r, partner_id=partner.id, purpose="test", body=f"message {i}")
        db.session.commit()

        # Down three ways: server errors, then hanging, then nothing listening.
        fake_twilio.mode = "500"
        run_pass(app, max_messages=10)
        fake_twilio.mode = "hang"
        fake_twilio.delay = 0.5
        run_pass(app, max_messages=2)
        fake_twilio.mode = None
        port_owner = fake_twilio
        port_owner.stop()
        run_pass(app, max_messages=10)
        statuses = db.session.scalars(select(SmsMessage.status)).all()
        assert len(statuses) == total
        assert MessageStatus.SENT not in statuses and MessageStatus.FAILED not in statuses
        db.session.remove()

    # Back: a new server on the same settings, with a few more hiccups on the way.
    fake_twilio.start()
    app.config["TWILIO_API_BASE_URL"] = fake_twilio.base_url
    fake_twilio.fail_next("500", "429", "503")
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(10):
                with app.app_context():
                    make_due_now()
                run_pass(app)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    bodies = sorted(m.body for m in fake_twilio.sent)
    assert bodies == sorted(f"message {i}" for i in range(total))  # each once, none lost
    with app.app_context():
        statuses = db.session.scalars(select(SmsMessage.status)).all()
        assert statuses == [MessageStatus.SENT] * total
        db.session.remove()


def test_worker_loop_sends_new_messages_until_stopped(make_app, fake_twilio, partner):
    from inclusion.sms.worker import run_forever

    app = make_app(**fake_twilio.app_config(), SMS_WORKER_IDLE_SECONDS=0.05)
    stop = threading.Event()
    loop = threading.Thread(target=run_forever, args=(app,), kwargs={"stop": stop})
    loop.start()
    try:
        with app.app_context():
            _queue(partner, n=3)
            db.session.remove()
        for _ in range(100):
            if len(fake_twilio.sent) == 3:
                break
            threading.Event().wait(0.05)
    finally:
        stop.set()
        loop.join(10)
    assert not loop.is_alive()
    assert len(fake_twilio.sent) == 3


def test_message_is_not_sent_when_consent_was_withdrawn_after_it_was_queued(
    twilio_app, fake_twilio, partner
):
    resident, (message,) = _queue(partner)
    _other, (kept,) = _queue(partner)
    resident.consents[-1].withdrawn_at = utcnow()
    db.session.commit()
    result = run_pass(twilio_app)
    assert result.sent == 1
    assert [m.body for m in fake_twilio.sent] == [kept.body]
    stored = _reload(message.id)
    assert (stored.status, stored.error_code) == (MessageStatus.FAILED, "no-consent")


def test_message_of_an_erased_resident_is_never_sent(twilio_app, fake_twilio, partner):
    resident, (message,) = _queue(partner)
    db.session.delete(resident)
    db.session.commit()
    run_pass(twilio_app)
    assert fake_twilio.requests == 0
    assert _reload(message.id).status is MessageStatus.FAILED
