"""The principal a plan restructures after its concessions: one pure definition, no database."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plans.concessions import ConcessionError, principal_after_concessions
from plans.schedule import CURRENCY_PLACES, ScheduleError

# The default test account: 9,000.00 principal, 700.00 interest, 300.00 fees.
OWING = {
    "principal_balance": Decimal("9000.00"),
    "interest_balance": Decimal("700.00"),
    "fee_balance": Decimal("300.00"),
    "currency": "USD",
}


def test_without_concessions_the_plan_restructures_the_whole_balance():
    assert principal_after_concessions(**OWING) == Decimal("10000.00")


def test_every_concession_comes_off_including_a_principal_reduction():
    principal = principal_after_concessions(
        **OWING,
        waived_interest=Decimal("700.00"),
        waived_fees=Decimal("100.00"),
        principal_reduction=Decimal("1500.00"),
    )
    assert principal == Decimal("7700.00")


def test_a_principal_reduction_alone_lowers_the_principal():
    principal = principal_after_concessions(**OWING, principal_reduction=Decimal("1000.00"))
    assert principal == Decimal("9000.00")


@pytest.mark.parametrize(
    ("field", "amount", "balance"),
    [
        ("waived_interest", "700.01", "700.00"),
        ("waived_fees", "300.01", "300.00"),
        ("principal_reduction", "9000.01", "9000.00"),
    ],
)
def test_a_concession_above_the_balance_it_comes_off_is_refused(field, amount, balance):
    with pytest.raises(ConcessionError) as excinfo:
        principal_after_concessions(**OWING, **{field: Decimal(amount)})
    assert excinfo.value.field == field
    assert excinfo.value.balance == Decimal(balance)
    assert excinfo.value.message == f"Must not exceed the account's balance of {balance}."


def test_a_principal_reduction_cannot_come_off_interest_or_fees():
    # 9,500.00 is less than the 10,000.00 owed, but more than the 9,000.00 principal.
    with pytest.raises(ConcessionError) as excinfo:
        principal_after_concessions(**OWING, principal_reduction=Decimal("9500.00"))
    assert excinfo.value.field == "principal_reduction"


def test_a_negative_concession_is_refused():
    with pytest.raises(ConcessionError) as excinfo:
        principal_after_concessions(**OWING, waived_fees=Decimal("-1.00"))
    assert (excinfo.value.field, excinfo.value.message) == ("waived_fees", "Must not be negative.")


def test_a_concession_finer_than_the_currencys_minor_unit_is_refused():
    with pytest.raises(ConcessionError) as excinfo:
        principal_after_concessions(**OWING, waived_interest=Decimal("0.005"))
    assert excinfo.value.message == "Has more decimal places than USD allows."
    yen = {**OWING, "currency": "JPY"}
    with pytest.raises(ConcessionError):
        principal_after_concessions(**yen, principal_reduction=Decimal("0.50"))
    assert principal_after_concessions(**yen, principal_reduction=Decimal("500")) == 9500


def test_giving_up_everything_leaves_zero_for_the_caller_to_refuse():
    principal = principal_after_concessions(
        **OWING,
        waived_interest=Decimal("700.00"),
        waived_fees=Decimal("300.00"),
        principal_reduction=Decimal("9000.00"),
    )
    assert principal == 0


def test_an_unknown_currency_is_the_engines_error():
    with pytest.raises(ScheduleError) as excinfo:
        principal_after_concessions(**{**OWING, "currency": "XXX"})
    assert excinfo.value.field == "currency"
    assert not isinstance(excinfo.value, ConcessionError)


def test_a_concession_error_is_shown_wherever_schedule_errors_are():
    assert issubclass(ConcessionError, ScheduleError)


# --- Properties ----------------------------------------------------------------------------
currencies = st.sampled_from(["USD", "CNY", "JPY", "KWD"])
minor_units = st.integers(min_value=0, max_value=10**11)


@st.composite
def balances_and_concessions(draw):
    """Balances and concessions in whole minor units; a concession may exceed its balance."""
    currency = draw(currencies)
    unit = Decimal(1).scaleb(-CURRENCY_PLACES[currency])
    balances = [draw(minor_units) for _ in range(3)]
    concessions = [draw(st.one_of(st.integers(0, balance), minor_units)) for balance in balances]
    principal, interest, fees = (Decimal(units) * unit for units in balances)
    reduction, waived_interest, waived_fees = (Decimal(units) * unit for units in concessions)
    return {
        "currency": currency,
        "principal_balance": principal,
        "interest_balance": interest,
        "fee_balance": fees,
        "principal_reduction": reduction,
        "waived_interest": waived_interest,
        "waived_fees": waived_fees,
    }


@given(case=balances_and_concessions())
def test_the_principal_is_never_negative_and_every_cent_is_accounted_for(case):
    owed = case["principal_balance"] + case["interest_balance"] + case["fee_balance"]
    conceded = case["principal_reduction"] + case["waived_interest"] + case["waived_fees"]
    over = [
        field
        for field, balance in (
            ("waived_interest", "interest_balance"),
            ("waived_fees", "fee_balance"),
            ("principal_reduction", "principal_balance"),
        )
        if case[field] > case[balance]
    ]
    try:
        principal = principal_after_concessions(**case)
    except ConcessionError as error:
        assert over and error.field == over[0]  # the first concession that does not fit
        return
    assert not over
    assert principal >= 0
    assert principal + conceded == owed  # no cent rounded away or made up
    unit = Decimal(1).scaleb(-CURRENCY_PLACES[case["currency"]])
    assert principal.quantize(unit) == principal  # whole minor units of the currency
