"""Two staff answer the same referral at once: one wins, the other is told it moved on."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from inclusion.exceptions import ConflictError
from inclusion.extensions import db
from learners.models import Referral, ReferralEvent, ReferralStatus
from learners.services import referrals as services
from tests import factories
from tests.learners.factories import consenting_resident, make_offer, make_referral


@pytest.mark.postgres_only
@pytest.mark.parametrize("attempt", range(3))
def test_concurrent_accept_and_decline_has_one_winner(app, partner, attempt):
    provider = factories.make_partner(name="Race Provider")
    offer = make_offer(provider)
    referral = make_referral(offer, consenting_resident(partner))
    db.session.commit()
    referral_id, provider_id = referral.id, provider.id
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def answer(move: str) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                services.move_referral(referral_id=referral_id, move=move,
                                       acting_partner_id=provider_id, user_id=None,
                                       expected_version=1, reason="No places left")
                db.session.commit()
                outcomes[move] = "won"
            except ConflictError as exc:
                db.session.rollback()
                outcomes[move] = exc.message
            finally:
                db.session.remove()

    threads = [threading.Thread(target=answer, args=(m,)) for m in ("accept", "decline")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(v == "won" for v in outcomes.values()) == [False, True], outcomes
    loser = next(v for v in outcomes.values() if v != "won")
    assert "moved on" in loser
    db.session.expire_all()
    final = db.session.get(Referral, referral_id)
    winner = next(k for k, v in outcomes.items() if v == "won")
    assert final.status is (ReferralStatus.ACCEPTED if winner == "accept"
                            else ReferralStatus.DECLINED)
    assert final.version == 2
    answers = db.session.scalar(select(func.count()).select_from(ReferralEvent).where(
        ReferralEvent.referral_id == referral_id, ReferralEvent.status != ReferralStatus.SENT))
    assert answers == 1
