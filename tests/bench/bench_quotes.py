"""Quotes per second of the schedule engine: 60-installment plans, a mix of methods.

Run as `python tests/bench/bench_quotes.py [seconds]`; needs no Django, only the engine module.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from decimal import Decimal
from itertools import cycle
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, for `plans`

from plans.schedule import DayCount, Method, Terms, build_schedule  # noqa: E402

START = date(2026, 12, 1)
MIX = [
    Terms(principal=Decimal("10000.00"), method=Method.EQUAL_INSTALLMENT, installments=60,
          annual_rate=Decimal("0.12"), start_date=START),
    Terms(principal=Decimal("24000.00"), method=Method.EQUAL_INSTALLMENT, installments=60,
          annual_rate=Decimal("0.0735"), start_date=START, first_due_date=date(2027, 1, 15),
          day_count=DayCount.ACTUAL_365),
    Terms(principal=Decimal("8000.00"), method=Method.EQUAL_PRINCIPAL, installments=60,
          annual_rate=Decimal("0.18"), start_date=START, down_payment=Decimal("1000.00")),
    Terms(principal=Decimal("50000.00"), method=Method.FLAT_FEE, installments=60,
          period_fee_rate=Decimal("0.006"), start_date=START, currency="CNY"),
    Terms(principal=Decimal("3000.00"), method=Method.INTEREST_FREE, installments=60,
          start_date=START),
]  # fmt: skip


def main(seconds: float = 5.0) -> None:
    quotes = 0
    terms = cycle(MIX)
    began = time.perf_counter()
    deadline = began + seconds
    while time.perf_counter() < deadline:
        for _ in range(50):
            build_schedule(next(terms))
        quotes += 50
    elapsed = time.perf_counter() - began
    print(f"quotes_per_second: {quotes / elapsed:.0f}")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
