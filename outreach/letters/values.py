"""The values a letter template uses beyond a reminder's own (``outreach.reminders.rendering``):
the sender, the creditor, and the validation notice's itemization (12 CFR 1006.34(c)(2)) and
validation period (1006.34(b)(5)). Filled into the rendered text before the compliance gate.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings

from accounts.models import Account

#: The validation period ends 30 days after the consumer receives the notice; a letter is taken
#: to be received 5 business days after it is mailed (1006.34(b)(5)): counted generously here
#: as 10 calendar days, so the stated date is never early.
VALIDATION_DAYS = 30 + 10

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def letter_sender(jurisdiction: str) -> dict[str, str]:
    """``SETTLE_LETTER_SENDER`` of the jurisdiction (name, address, phone, creditor)."""
    return dict(settings.SETTLE_LETTER_SENDER.get(jurisdiction, {}))


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def letter_values(account: Account, *, today: date) -> dict[str, str]:
    """Placeholder values for a letter about ``account`` sent on ``today``.

    The itemization date is the charge-off date, else the last payment date, else the day the
    account went delinquent (1006.34(b)(3) lets the collector pick one of these reference
    dates); interest and fees since then are the balances of each, payments since then the last
    payment if made on or after it, and the amount on the itemization date follows from them.
    """
    sender = letter_sender(account.customer.jurisdiction)
    itemization = (
        account.charge_off_date or account.last_payment_date or account.delinquent_since or today
    )
    interest = account.interest_balance or Decimal("0")
    fees = account.fee_balance or Decimal("0")
    paid = Decimal("0")
    if account.last_payment_date is not None and account.last_payment_date >= itemization:
        paid = account.last_payment_amount or Decimal("0")
    now = (account.principal_balance or Decimal("0")) + interest + fees
    then = now - interest - fees + paid
    return {
        "collector_name": sender.get("name", ""),
        "collector_address": sender.get("address", ""),
        "contact_phone": sender.get("phone", ""),
        "creditor": sender.get("creditor", ""),
        "itemization_date": itemization.isoformat(),
        "itemization_amount": _money(then),
        "interest_since": _money(interest),
        "fees_since": _money(fees),
        "paid_since": _money(paid),
        "amount_now": _money(now),
        "validation_end": (today + timedelta(days=VALIDATION_DAYS)).isoformat(),
    }


def letter_fill(text: str, values: dict[str, str]) -> str:
    """``text`` with the letter placeholders it names filled; any other is kept as it is."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
