"""Risk factors are stored as code + params (and the English detail) and shown in the reader's
language; rows stored before params existed are still read, from their English text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from accounts import risk


def _inputs(**overrides) -> risk.RiskInputs:
    values = {
        "days_past_due": 45,
        "total_balance": Decimal("1234.50"),
        "currency": "USD",
        "payments_last_90_days": 0,
        "broken_promises_last_180_days": 2,
        "broken_plans": 1,
        "contactable": False,
        "hardship": True,
    }
    values.update(overrides)
    return risk.RiskInputs(**values)


def test_every_factor_is_stored_with_its_code_and_params():
    factors = risk.score(_inputs()).factors_as_json()
    assert [(f["code"], f["params"]) for f in factors] == [
        ("days_past_due", {"from": 30, "to": 59}),
        ("balance", {"amount": "1234.50", "currency": "USD"}),
        ("payment_history", {"count": 0}),
        ("broken_promises", {"count": 2}),
        ("broken_plans", {"count": 1}),
        ("contactability", {}),
        ("hardship", {}),
    ]


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"days_past_due": 0, "payments_last_90_days": 1},
        {"days_past_due": 400, "payments_last_90_days": 3, "currency": "CNY"},
    ],
)
def test_in_english_the_text_is_the_stored_detail(overrides):
    with translation.override("en"):
        for factor in risk.score(_inputs(**overrides)).factors_as_json():
            # One grammar fix over the stored text: "1 broken plan", not "1 broken plans".
            assert risk.factor_text(factor) == factor["detail"].replace(
                "1 broken plans", "1 broken plan"
            )


def test_in_chinese_every_factor_is_translated():
    factors = risk.score(_inputs()).factors_as_json()
    with translation.override("zh-hans"):
        texts = [risk.factor_text(f) for f in factors]
    assert texts == [
        "逾期 30–59 天",
        "余额 1234.50 USD",
        "90 天内无还款",
        "180 天内违约承诺 2 次",
        "违约分期计划 1 个",
        "无可用电话或电子邮件",
        "已申报经济困难",
    ]


@pytest.mark.parametrize(
    ("code", "detail", "chinese"),
    [
        ("days_past_due", "180+ days past due", "逾期 180 天及以上"),
        ("days_past_due", "0 days past due", "逾期 0 天"),
        ("days_past_due", "1–29 days past due", "逾期 1–29 天"),
        ("balance", "balance 9000.00 CNY", "余额 9000.00 CNY"),
        ("payment_history", "1 payment in 90 days", "90 天内还款 1 次"),
        ("payment_history", "3 payments in 90 days", "90 天内还款 3 次"),
        ("broken_promises", "3 broken promises in 180 days", "180 天内违约承诺 3 次"),
        ("hardship", "hardship declared", "已申报经济困难"),
    ],
)
def test_old_rows_with_only_english_are_read_and_translated(code, detail, chinese):
    old = {"code": code, "points": 5, "detail": detail}
    with translation.override("zh-hans"):
        assert risk.factor_text(old) == chinese


def test_a_factor_it_does_not_know_is_shown_as_stored():
    with translation.override("zh-hans"):
        assert risk.factor_text({"code": "new_rule", "detail": "something new"}) == "something new"
        assert risk.factor_text({"code": "balance", "detail": "garbled"}) == "garbled"
