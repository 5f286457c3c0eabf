"""Small builders for engine-level tests (no files involved)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from scorecard.config import LoadedConfig, default_config_path, load_config
from scorecard.metrics import PartnerMetrics
from scorecard.settle import RefundFact


def default_config() -> LoadedConfig:
    return load_config(default_config_path())


def metrics(**over: object) -> PartnerMetrics:
    """A compliant C partner; override what the test is about."""
    base: dict[str, object] = dict(
        partner_id="P1",
        partner_name="测试伙伴",
        mode="C",
        billed_users=20000,
        group_customers=None,
        valid_complaints=0,
        repeat_complaints=0,
        major_complaints=0,
        complaint_rate_per_10k=Fraction(0),
        zero_base=False,
        assessable_tickets=0,
        on_time_tickets=0,
        late_tickets=0,
        pending_tickets=0,
        on_time_rate=None,
        reply_on_time_rate=None,
        avg_resolution_hours=None,
        p90_resolution_hours=None,
        conduct_events=0,
        response_score=Decimal(100),
        survey_count=0,
        satisfaction=None,
        refund_total=0,
        gross_amount=10_000_00,
        service_cost=0,
    )
    base.update(over)
    if base["refund_total"] and "refunds" not in over:  # one refund makes the deduction
        base["refunds"] = (RefundFact("R1", "full", int(base["refund_total"])),)  # type: ignore[call-overload]
    return PartnerMetrics(**base)  # type: ignore[arg-type]
