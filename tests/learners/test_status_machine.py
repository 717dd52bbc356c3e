"""The referral status machine: every allowed move works, every other one is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from inclusion.exceptions import ConflictError
from learners.models import NotCompletedReason, Referral, ReferralStatus

ALLOWED = {
    (ReferralStatus.SENT, ReferralStatus.ACCEPTED),
    (ReferralStatus.SENT, ReferralStatus.DECLINED),
    (ReferralStatus.SENT, ReferralStatus.WITHDRAWN),
    (ReferralStatus.ACCEPTED, ReferralStatus.ENROLLED),
    (ReferralStatus.ACCEPTED, ReferralStatus.WITHDRAWN),
    (ReferralStatus.ENROLLED, ReferralStatus.COMPLETED),
    (ReferralStatus.ENROLLED, ReferralStatus.NOT_COMPLETED),
}
ALL_PAIRS = [(a, b) for a in ReferralStatus for b in ReferralStatus]
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _do(referral: Referral, target: ReferralStatus) -> None:
    if target is ReferralStatus.ACCEPTED:
        referral.accept(at=NOW)
    elif target is ReferralStatus.DECLINED:
        referral.decline(reason="Full this term", at=NOW)
    elif target is ReferralStatus.ENROLLED:
        referral.enrol(at=NOW)
    elif target is ReferralStatus.COMPLETED:
        referral.complete(at=NOW)
    elif target is ReferralStatus.NOT_COMPLETED:
        referral.mark_not_completed(reason=NotCompletedReason.NO_CAPACITY, at=NOW)
    elif target is ReferralStatus.WITHDRAWN:
        referral.withdraw(at=NOW)
    else:
        referral._move(target, at=NOW)


@pytest.mark.parametrize(("start", "target"), ALL_PAIRS,
                         ids=[f"{a.value}->{b.value}" for a, b in ALL_PAIRS])
def test_only_the_listed_moves_are_allowed(start, target):
    referral = Referral(status=start, version=3, snapshot={"name": "A"})
    if (start, target) in ALLOWED:
        _do(referral, target)
        assert referral.status is target
        assert referral.version == 4
    else:
        with pytest.raises(ConflictError) as refused:
            _do(referral, target)
        assert "cannot be marked" in refused.value.message
        assert referral.status is start
        assert referral.version == 3


def test_answering_sets_the_response_time_and_closing_sets_closed_at():
    referral = Referral(status=ReferralStatus.SENT, version=1)
    referral.accept(at=NOW)
    assert referral.responded_at == NOW and referral.closed_at is None
    referral.enrol(at=NOW)
    referral.mark_not_completed(reason=NotCompletedReason.OTHER, at=NOW)
    assert referral.closed_at == NOW
    assert referral.not_completed_reason is NotCompletedReason.OTHER


def test_withdrawing_forgets_the_shared_values():
    referral = Referral(status=ReferralStatus.ACCEPTED, version=2,
                        snapshot={"name": "Ada", "postcode": "B1 1AA"})
    referral.withdraw(at=NOW)
    assert referral.snapshot == {}
    assert referral.shared_values() == []
