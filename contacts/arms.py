"""Which arm of a strategy experiment an account is in: one rule, in Python and in SQL.

An account's **bucket** is ``(account_id × MULTIPLIER + salt) mod BUCKETS``: a stable number in
0…9,999 that depends on nothing but the id and the experiment's salt, so an account stays in
its arm for as long as the experiment runs and the reminders generated on any day agree with
the results read later. The challenger takes the buckets below ``share × BUCKETS``. The
multiplier is odd and prime to ``BUCKETS``, so the map from ids to buckets is a permutation on
every run of 10,000 consecutive ids: a share of 0.20 is 2,000 of each 10,000 ids exactly, and
a portfolio's split is within a few accounts of its target. ``bucket_expression`` is the same
formula for the database (the results per arm group by it), tested against the Python one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, IntegerField, Q, QuerySet, Value
from django.db.models.expressions import CombinedExpression, ExpressionWrapper
from django.db.models.functions import Mod

from contacts.models import StrategyVersion, StrategyVersionStatus

BUCKETS = 10_000
MULTIPLIER = 2_654_435_761  # Knuth's multiplicative hash constant (odd, prime to 10,000)
CHAMPION = "champion"
CHALLENGER = "challenger"


def bucket(account_id: int, salt: int) -> int:
    return (account_id * MULTIPLIER + salt) % BUCKETS


def threshold(share: Decimal) -> int:
    """The first bucket of the champion's arm for a challenger taking ``share``."""
    return int(share * BUCKETS)


def arm(account_id: int, *, salt: int, share: Decimal) -> str:
    return CHALLENGER if bucket(account_id, salt) < threshold(share) else CHAMPION


def bucket_expression(salt: int, field: str = "id") -> CombinedExpression | ExpressionWrapper:
    """``bucket`` in SQL, over the account id in ``field``."""
    return ExpressionWrapper(
        Mod(F(field) * Value(MULTIPLIER) + Value(salt), Value(BUCKETS)),
        output_field=IntegerField(),
    )


@dataclass(frozen=True)
class LiveVersions:
    """The champion and the running challenger (if any), read once per run."""

    champion_id: int | None
    challenger_id: int | None
    salt: int = 0
    share: Decimal = Decimal("0")

    def steps(self) -> Q:
        """The strategy steps that treat someone: the champion's and the challenger's (and
        any step older than versions, which the champion adopted by migration)."""
        ids = [v for v in (self.champion_id, self.challenger_id) if v is not None]
        return Q(version_id__in=ids) | Q(version__isnull=True)

    def arm_of(self, account_id: int) -> str:
        if self.challenger_id is None:
            return CHAMPION
        return arm(account_id, salt=self.salt, share=self.share)

    def version_for(self, account_id: int) -> int | None:
        """The version whose steps treat ``account_id``."""
        if self.arm_of(account_id) == CHALLENGER:
            return self.challenger_id
        return self.champion_id

    def in_arm_of(self, accounts: QuerySet, version_id: int | None) -> QuerySet:
        """Narrow ``accounts`` to the arm of ``version_id`` (all of them without a challenger)."""
        if self.challenger_id is None:
            return accounts
        cut = threshold(self.share)
        accounts = accounts.alias(arm_bucket=bucket_expression(self.salt))
        if version_id == self.challenger_id:
            return accounts.filter(arm_bucket__lt=cut)
        return accounts.filter(arm_bucket__gte=cut)


def live_versions() -> LiveVersions:
    rows = {
        v.status: v
        for v in StrategyVersion.objects.filter(
            status__in=(StrategyVersionStatus.CHAMPION, StrategyVersionStatus.CHALLENGER)
        )
    }
    champion = rows.get(StrategyVersionStatus.CHAMPION)
    challenger = rows.get(StrategyVersionStatus.CHALLENGER)
    if challenger is None:
        return LiveVersions(champion.pk if champion else None, None)
    return LiveVersions(
        champion.pk if champion else None,
        challenger.pk,
        salt=challenger.salt,
        share=challenger.challenger_share,
    )
