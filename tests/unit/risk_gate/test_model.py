"""The proposal's digest: what a person approves, computed once when the proposal is made."""

from __future__ import annotations

import hashlib
import json

from tests.unit.risk_gate.support import PROPOSAL, D, proposal


def test_the_digest_is_the_sha256_of_the_canonical_parameters() -> None:
    canonical = json.dumps(PROPOSAL.parameters, sort_keys=True, separators=(",", ":"))

    assert PROPOSAL.digest == hashlib.sha256(canonical.encode()).hexdigest()


def test_a_changed_parameter_changes_the_digest_of_the_new_proposal() -> None:
    assert proposal(limit_price=D("30000.01")).digest != PROPOSAL.digest
    assert proposal(symbol="ETH/USDT").digest != PROPOSAL.digest


def test_the_same_amount_written_differently_keeps_the_digest() -> None:
    assert proposal(quantity=D("0.100"), limit_price=D("3E+4")).digest == PROPOSAL.digest


def test_what_is_not_a_parameter_does_not_change_the_digest() -> None:
    assert proposal(intent_id="intent-2", correlation_id="c-2").digest == PROPOSAL.digest
