"""A realistic, reproducible demo portfolio (``manage.py seed_demo``).

US and CN customers with local names, time zones and phone numbers, balances and DPD spread over
every bucket, the bucket history each account went through, and contact points (some opted out,
some invalid, some phones in another zone than the address). Four in five accounts that have been
past due for over a month also get six months of weekly contacts and the payments that followed
some of them (``_payment_history``: more often for a customer who is reached, pays regularly and
is less far behind), the history the propensity-to-pay model learns from. Rows are generated
as tuples with explicit ids and written with COPY on PostgreSQL (``executemany`` on SQLite), so
a million accounts build in minutes; sequences are moved past the ids afterwards.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import math
import queue
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from faker.providers.person.en_US import Provider as EnglishNames
from faker.providers.person.zh_CN import Provider as ChineseNames

from accounts import delinquency, risk
from accounts.assignment import distribute
from accounts.models import (
    COLLECTION_STAGES,
    OPEN_STAGES,
    Account,
    BucketHistory,
    ContactPoint,
    Customer,
    Role,
    Stage,
    Team,
    User,
)
from accounts.services import specialists_by_load
from contacts.models import ContactLog, MessageTemplate, StrategyVersion, StrategyVersionStatus
from contacts.services import challenger_start, strategy_steps_update, strategy_version_copy
from core.bulk_copy import copy_from_stream
from core.conflicts import DomainConflict
from core.partitions import partitions_ensure
from legal.services import cost_add, referral_create, step_add
from outreach.services import dispute_open
from plans.models import Payment
from plans.services import ConflictError, plan_accept, plan_create, plan_submit, promise_create
from workspace.nightly import queue_refresh, risk_refresh

logger = logging.getLogger(__name__)

TEAMS = [
    ("us-east", "US Collections East", "US"),
    ("us-west", "US Collections West", "US"),
    ("cn-shanghai", "上海催收一组 Shanghai", "CN"),
    ("cn-beijing", "北京分期组 Beijing", "CN"),
]
SPECIALISTS_PER_TEAM = 5

# (area code, IANA zone, city, state) — area codes in several US zones.
US_PLACES = [
    ("212", "America/New_York", "New York", "NY"),
    ("617", "America/New_York", "Boston", "MA"),
    ("305", "America/New_York", "Miami", "FL"),
    ("404", "America/New_York", "Atlanta", "GA"),
    ("312", "America/Chicago", "Chicago", "IL"),
    ("214", "America/Chicago", "Dallas", "TX"),
    ("303", "America/Denver", "Denver", "CO"),
    ("602", "America/Phoenix", "Phoenix", "AZ"),
    ("415", "America/Los_Angeles", "San Francisco", "CA"),
    ("206", "America/Los_Angeles", "Seattle", "WA"),
    ("907", "America/Anchorage", "Anchorage", "AK"),
    ("808", "Pacific/Honolulu", "Honolulu", "HI"),
]
CN_PLACES = [
    ("上海", "上海市", "310101", "Asia/Shanghai"),
    ("北京", "北京市", "110101", "Asia/Shanghai"),
    ("广州", "广东省", "440103", "Asia/Shanghai"),
    ("成都", "四川省", "510104", "Asia/Shanghai"),
    ("武汉", "湖北省", "420102", "Asia/Shanghai"),
    ("乌鲁木齐", "新疆维吾尔自治区", "650102", "Asia/Urumqi"),
]
CN_MOBILE_PREFIXES = ["133", "135", "138", "139", "150", "158", "177", "186", "189", "199"]
STREETS_US = ["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Elm St", "Park Ave", "Pine Rd"]
STREETS_CN = ["人民路", "解放路", "中山路", "建设路", "和平街", "长江路"]

# Share of accounts per bucket (M0..M6) and the DPD range drawn within it.
DPD_MIX = [
    (0.08, 0, 0),
    (0.30, 1, 29),
    (0.20, 30, 59),
    (0.12, 60, 89),
    (0.09, 90, 119),
    (0.09, 120, 179),
    (0.12, 180, 720),
]
CN_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CN_ID_CHECK = "10X98765432"


def cn_national_id(rng: random.Random, region: str, born: date) -> str:
    """An 18-digit resident ID in the GB 11643 format, with a valid check digit."""
    body = f"{region}{born:%Y%m%d}{rng.randrange(1000):03d}"
    check = CN_ID_CHECK[sum(int(d) * w for d, w in zip(body, CN_ID_WEIGHTS, strict=True)) % 11]
    return body + check


@dataclass
class Tables:
    customers: list[tuple] = field(default_factory=list)
    accounts: list[tuple] = field(default_factory=list)
    contact_points: list[tuple] = field(default_factory=list)
    history: list[tuple] = field(default_factory=list)
    contacts: list[tuple] = field(default_factory=list)
    payments: list[tuple] = field(default_factory=list)


CUSTOMER_COLUMNS = [
    "id",
    "external_ref",
    "name",
    "national_id",
    "date_of_birth",
    "address_line",
    "city",
    "region",
    "postal_code",
    "country",
    "time_zone",
    "jurisdiction",
    "language",
    "monthly_income",
    "monthly_expenses",
    "created_at",
    "updated_at",
]
ACCOUNT_COLUMNS = [
    "id",
    "customer_id",
    "number",
    "product",
    "currency",
    "credit_limit",
    "principal_balance",
    "interest_balance",
    "fee_balance",
    "past_due_amount",
    "minimum_due",
    "delinquent_since",
    "last_payment_date",
    "last_payment_amount",
    "charge_off_date",
    "statute_of_limitations_date",
    "stage",
    "hardship_declared_at",
    "team_id",
    "assigned_to_id",
    "risk_tier",
    "risk_score",
    "risk_factors",
    "risk_scored_at",
    "created_at",
    "updated_at",
]
CONTACT_POINT_COLUMNS = [
    "id",
    "customer_id",
    "kind",
    "value",
    "label",
    "region",
    "time_zone",
    "phone_time_zones",
    "is_primary",
    "opted_out",
    "opted_out_at",
    "is_valid",
    "invalid_reason",
    "valid_from",
    "valid_until",
    "created_at",
    "updated_at",
]
CONTACT_LOG_COLUMNS = [
    "id",
    "account_id",
    "customer_id",
    "contact_point_id",
    "channel",
    "direction",
    "occurred_at",
    "outcome",
    "disposition",
    "reason",
    "notes",
    "message",
    "attachment",
    "user_id",
    "source",
    "corrects_id",
    "created_at",
]
PAYMENT_COLUMNS = [
    "id",
    "account_id",
    "reference",
    "amount",
    "received_at",
    "source",
    "source_detail",
    "plan_id",
    "created_by_id",
    "created_at",
]
CALL_OUTCOMES = ["no_answer", "voicemail", "conversation", "not_connected", "wrong_number"]
CALL_OUTCOME_WEIGHTS = [40, 20, 20, 15, 5]
CONVERSATION_RESULTS = ["promise_to_pay", "refused", "hardship", "callback_requested", ""]
REASONS = ["unemployment", "income_cut", "illness", "over_spending", "business_failure", "other"]
REMINDER_TEXT = {
    "en": "Settle Bank: your card payment is past due. Please call us. Reply STOP to opt out.",
    "zh-hans": "结算银行：您的信用卡还款已逾期，请尽快联系我们。回复TD退订。",
}

# Non-null text columns that may hold "" (COPY must not read those as NULL).
CUSTOMER_TEXT = ("national_id", "address_line", "city", "region", "postal_code", "country")
CONTACT_POINT_TEXT = ("region", "time_zone", "invalid_reason")
HISTORY_TEXT = ("exited_to",)
CONTACT_LOG_TEXT = ("disposition", "reason", "notes", "message", "attachment")
HISTORY_COLUMNS = [
    "id",
    "account_id",
    "bucket",
    "entered_on",
    "entry_balance",
    "entry_days_past_due",
    "exited_on",
    "exit_balance",
    "exited_to",
]


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


class PortfolioBuilder:
    def __init__(
        self,
        *,
        seed: int,
        as_of: date,
        teams: dict[str, Team],
        specialists: dict[int, list[tuple[int, int]]],
    ):
        self.rng = random.Random(seed)
        # The payment history draws from its own stream: the rest of the portfolio is the same
        # with or without it.
        self.history_rng = random.Random(f"history-{seed}")
        self.as_of = as_of
        self.now = datetime.now(UTC)
        self.buckets = delinquency.configured_buckets()
        self.us_teams = [t for t in teams.values() if t.jurisdiction == "US"]
        self.cn_teams = [t for t in teams.values() if t.jurisdiction == "CN"]
        self.assigners = {
            team_id: distribute(loads, 10**9) if loads else iter(())
            for team_id, loads in specialists.items()
        }
        self.us_first = list(EnglishNames.first_names_male) + list(EnglishNames.first_names_female)
        self.us_last = list(EnglishNames.last_names)
        self.cn_given = list(ChineseNames.first_names)
        self.cn_family = list(ChineseNames.last_names)
        self.dpd_weights = [w for w, _, _ in DPD_MIX]
        self.zones: dict[str, ZoneInfo] = {}

    def build(self, ids: dict[str, int], tables: Tables) -> None:  # noqa: C901 - a recipe
        rng, as_of, now = self.rng, self.as_of, self.now
        customer_id = ids["customer"]
        is_us = rng.random() < 0.6
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 52))
        if is_us:
            area, zone, city, state = rng.choice(US_PLACES)
            name = f"{rng.choice(self.us_first)} {rng.choice(self.us_last)}"
            national_id = (
                f"9{rng.randrange(10, 100)}-{rng.randrange(70, 100)}-{rng.randrange(10000):04d}"
            )
            address = f"{rng.randrange(1, 9999)} {rng.choice(STREETS_US)}"
            postal = f"{rng.randrange(10000, 99999)}"
            country, jurisdiction, language, currency = "US", "US", "en", "USD"
            income = _money(rng, 1800, 9000)
            team = rng.choice(self.us_teams)
            # One in twenty moved: the phone keeps its old area code, in another zone.
            phone_area = rng.choice(US_PLACES)[0] if rng.random() < 0.05 else area
            phone = f"+1{phone_area}{rng.randrange(200, 999)}{rng.randrange(10000):04d}"
            number = f"4{rng.randrange(10**14, 10**15)}"
        else:
            city, state, region_code, zone = rng.choice(CN_PLACES)
            name = (
                rng.choice(self.cn_family)
                + rng.choice(self.cn_given)
                + (rng.choice(self.cn_given) if rng.random() < 0.6 else "")
            )
            national_id = cn_national_id(rng, region_code, born)
            address = f"{rng.choice(STREETS_CN)}{rng.randrange(1, 999)}号"
            postal = f"{rng.randrange(100000, 999999)}"
            country, jurisdiction, currency = "CN", "CN", "CNY"
            language = "zh-hans"
            income = _money(rng, 4000, 30000)
            team = rng.choice(self.cn_teams)
            phone = f"+86{rng.choice(CN_MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
            number = f"62{rng.randrange(10**13, 10**14)}"
        expenses = (income * Decimal(rng.randrange(55, 105)) / 100).quantize(Decimal("0.01"))
        tables.customers.append(
            (
                customer_id,
                f"C{customer_id:08d}",
                name,
                national_id,
                born,
                address,
                city,
                state,
                postal,
                country,
                zone,
                jurisdiction,
                language,
                income,
                expenses,
                now,
                now,
            )
        )

        band = rng.choices(DPD_MIX, weights=self.dpd_weights)[0]
        dpd = rng.randint(band[1], band[2])
        scale = 7 if currency == "CNY" else 1
        limit = Decimal(rng.choice([1000, 2500, 5000, 10000, 15000, 25000]) * scale)
        principal = (limit * Decimal(rng.randrange(40, 105)) / 100).quantize(Decimal("0.01"))
        interest = (principal * Decimal(min(dpd, 360)) / Decimal(2000)).quantize(Decimal("0.01"))
        fees = Decimal(min(dpd // 30, 6) * 35 * scale)
        months_late = max(1, dpd // 30 + 1) if dpd else 0
        minimum = (principal * Decimal("0.03")).quantize(Decimal("0.01"))
        past_due = min(principal + interest + fees, minimum * months_late + fees)
        delinquent_since = as_of - timedelta(days=dpd) if dpd else None
        if dpd >= 180 and rng.random() < 0.25:
            # Legal cases are opened through the referral service (``seed_activity``).
            stage = rng.choice([Stage.LATE, Stage.PLACED, Stage.WRITTEN_OFF])
        else:
            stage = Stage.EARLY if dpd < 60 else Stage.LATE
        last_paid = (
            as_of - timedelta(days=rng.randrange(5, 80))
            if rng.random() < (0.6 if dpd < 60 else 0.2)
            else None
        )
        hardship = now - timedelta(days=rng.randrange(1, 60)) if rng.random() < 0.07 else None
        assigned = next(self.assigners[team.id], None) if stage in OPEN_STAGES else None
        result = risk.score(
            risk.RiskInputs(
                days_past_due=dpd,
                total_balance=principal + interest + fees,
                currency=currency,
                payments_last_90_days=1 if last_paid else 0,
                contactable=True,
                hardship=hardship is not None,
            )
        )
        account_id = ids["account"]
        tables.accounts.append(
            (
                account_id,
                customer_id,
                number,
                "credit_card",
                currency,
                limit,
                principal,
                interest,
                fees,
                past_due,
                minimum,
                delinquent_since,
                last_paid,
                (_money(rng, 25, 400) * scale) if last_paid else None,
                delinquent_since + timedelta(days=180) if dpd >= 180 else None,
                (delinquent_since + timedelta(days=365 * 3)) if delinquent_since else None,
                stage,
                hardship,
                team.id,
                assigned,
                result.tier,
                result.score,
                json.dumps(result.factors_as_json(), ensure_ascii=False),
                now,
                now,
                now,
            )
        )

        def point(kind, value, label, *, opted_out=False, valid=True, zone_override=""):
            ids["contact_point"] += 1
            tables.contact_points.append(
                (
                    ids["contact_point"],
                    customer_id,
                    kind,
                    value,
                    label,
                    country if kind == "phone" else "",
                    zone_override,
                    ContactPoint.zones_of(kind, value),
                    label == "mobile",
                    opted_out,
                    now if opted_out else None,
                    valid,
                    "" if valid else "wrong number",
                    None,
                    None,
                    now,
                    now,
                )
            )

        point("phone", phone, "mobile", opted_out=rng.random() < 0.03, valid=rng.random() > 0.02)
        phone_point = ids["contact_point"]
        if rng.random() < 0.7:
            handle = f"{'user' if not is_us else name.split()[0].lower()}{customer_id}"
            point(
                "email",
                f"{handle}@example.{'com' if is_us else 'cn'}",
                "home",
                opted_out=rng.random() < 0.05,
            )
        if rng.random() < 0.2:
            work = (
                f"+1{rng.choice(US_PLACES)[0]}{rng.randrange(200, 999)}{rng.randrange(10000):04d}"
                if is_us
                else f"+8621{rng.randrange(10**7, 10**8)}"
            )
            point("phone", work, "work")

        # The account's path through the buckets up to today, one stay per bucket.
        balance = principal + interest + fees
        path = [b for b in self.buckets if b.min_days <= dpd] if dpd else [self.buckets[0]]
        start = delinquent_since or as_of - timedelta(days=rng.randrange(30, 400))
        for index, bucket in enumerate(path):
            entered = start + timedelta(days=bucket.min_days) if dpd else start
            last = index == len(path) - 1
            ids["history"] += 1
            exit_to = "" if last else path[index + 1].code
            tables.history.append(
                (
                    ids["history"],
                    account_id,
                    bucket.code,
                    entered,
                    balance,
                    bucket.min_days if dpd else 0,
                    None if last else start + timedelta(days=path[index + 1].min_days),
                    None if last else balance,
                    exit_to,
                )
            )

        if dpd and rng.random() < 0.5:
            self._contact_history(
                ids, tables, account_id, customer_id, phone_point, zone, language, assigned, dpd
            )
        self._payment_history(
            ids,
            tables,
            account_id,
            customer_id,
            phone_point,
            zone,
            language,
            assigned,
            dpd,
            minimum,
        )

    def _payment_history(  # noqa: PLR0913 - the account's parts the history needs
        self,
        ids,
        tables,
        account_id,
        customer_id,
        phone_point,
        zone,
        language,
        user_id,
        dpd,
        minimum,
    ) -> None:
        """Weekly contacts from six months to a month ago while the account was past due, and a
        payment within 30 days after some: likelier for a customer who is reached, paid
        recently and is less far behind, around a willingness drawn per account."""
        hrng, local = self.history_rng, self.zones.setdefault(zone, ZoneInfo(zone))
        if dpd <= 31 or hrng.random() >= 0.8:
            return
        willingness = hrng.gauss(0, 1)
        paid_on: list[date] = []
        for days_ago in range(182 - hrng.randrange(7), 30, -7):
            if dpd - days_ago < 1 or hrng.random() >= 0.6:
                continue
            day = self.as_of - timedelta(days=days_ago)
            at = datetime.combine(
                day, time(hrng.randint(9, 17), hrng.randrange(0, 60, 5)), tzinfo=local
            ).astimezone(UTC)
            by_call = hrng.random() < 0.7
            reached = by_call and hrng.random() < 1 / (1 + math.exp(0.6 - willingness))
            ids["contact"] += 1
            tables.contacts.append(
                (
                    ids["contact"],
                    account_id,
                    customer_id,
                    phone_point,
                    "call" if by_call else "sms",
                    "outbound",
                    at,
                    ("conversation" if reached else hrng.choice(["no_answer", "voicemail"]))
                    if by_call
                    else "delivered",
                    hrng.choice(CONVERSATION_RESULTS) if reached else "",
                    hrng.choice(REASONS) if reached else "",
                    "",
                    "" if by_call else REMINDER_TEXT[language],
                    "",
                    user_id if by_call else None,
                    "history",
                    None,
                    self.now,
                )
            )
            recent = any(0 < (day - d).days <= 90 for d in paid_on)
            logit = (
                -1.4
                + willingness
                - 0.006 * (dpd - days_ago)
                + (1.0 if reached else 0.0)
                + (0.7 if recent else 0.0)
            )
            if hrng.random() < 1 / (1 + math.exp(-logit)):
                received = at + timedelta(days=hrng.randint(1, 28), hours=hrng.randint(0, 8))
                paid_on.append(received.date())
                ids["payment"] = ids.get("payment", 0) + 1
                tables.payments.append(
                    (
                        ids["payment"],
                        account_id,
                        f"HIST-{account_id}-{ids['payment']}",
                        max(minimum, Decimal("10.00")),
                        received,
                        "file",
                        "demo history",
                        None,
                        None,
                        self.now,
                    )
                )

    def _contact_history(
        self, ids, tables, account_id, customer_id, phone_point, zone, language, user_id, dpd
    ) -> None:
        """A few past calls and reminders, at ordinary local hours, within the last 3 weeks."""
        rng, local = self.rng, self.zones.setdefault(zone, ZoneInfo(zone))
        for _ in range(rng.randint(1, 4)):
            day = self.as_of - timedelta(days=rng.randint(1, min(21, dpd)))
            at = datetime.combine(
                day, time(rng.randint(9, 18), rng.randrange(0, 60, 5)), tzinfo=local
            ).astimezone(UTC)
            ids["contact"] += 1
            if rng.random() < 0.75:
                outcome = rng.choices(CALL_OUTCOMES, weights=CALL_OUTCOME_WEIGHTS)[0]
                talked = outcome == "conversation"
                disposition = rng.choice(CONVERSATION_RESULTS) if talked else ""
                row = (
                    ids["contact"],
                    account_id,
                    customer_id,
                    phone_point,
                    "call",
                    "outbound",
                    at,
                    outcome,
                    disposition,
                    rng.choice(REASONS) if talked else "",
                    "",
                    "",
                    "",
                    user_id,
                    "history",
                    None,
                    self.now,
                )
            else:
                row = (
                    ids["contact"],
                    account_id,
                    customer_id,
                    phone_point,
                    "sms",
                    "outbound",
                    at,
                    "delivered",
                    "",
                    "",
                    "",
                    REMINDER_TEXT[language],
                    "",
                    None,
                    "history",
                    None,
                    self.now,
                )
            tables.contacts.append(row)


def _next_ids() -> dict[str, int]:
    def top(model) -> int:
        return model.objects.order_by("-id").values_list("id", flat=True).first() or 0

    return {
        "customer": top(Customer),
        "account": top(Account),
        "contact_point": top(ContactPoint),
        "history": top(BucketHistory),
        "contact": top(ContactLog),
        "payment": top(Payment),
    }


def _as_csv(rows: list[tuple]) -> io.StringIO:
    """CSV for COPY: None and "" both come out empty; ``FORCE_NOT_NULL`` tells them apart."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    buffer.seek(0)
    return buffer


def _copy(
    table: str, columns: list[str], rows: list[tuple] | str, not_null_text: tuple[str, ...] = ()
) -> None:
    """Write rows (or, on PostgreSQL, CSV already made from them) into ``table``."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        buffer = io.StringIO(rows) if isinstance(rows, str) else _as_csv(rows)
        force = f", FORCE_NOT_NULL ({', '.join(not_null_text)})" if not_null_text else ""
        with connection.cursor() as cursor:
            copy_from_stream(
                cursor,
                f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv{force})",
                buffer,
                size=1 << 20,
            )
    else:
        placeholders = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608
                [tuple(_sqlite_value(v) for v in row) for row in rows],
            )


def _sqlite_value(value):
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return value


SEEDED_TABLES = (
    "accounts_customer",
    "accounts_account",
    "contacts_contactpoint",
    "accounts_buckethistory",
    "contacts_contactlog",
    "plans_payment",
)


def _reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in SEEDED_TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )


def ensure_teams_and_specialists(password: str | None = None) -> dict[str, Team]:
    """The demo teams, each with a few specialists and a supervisor."""
    from django.contrib.auth.models import Group

    specialist_group = Group.objects.get(name=Role.SPECIALIST)
    supervisor_group = Group.objects.get(name=Role.SUPERVISOR)
    teams = {}
    for code, name, jurisdiction in TEAMS:
        team, _ = Team.objects.get_or_create(
            code=code, defaults={"name": name, "jurisdiction": jurisdiction}
        )
        teams[code] = team
        for n in range(1, SPECIALISTS_PER_TEAM + 1):
            user, created = User.objects.get_or_create(
                username=f"{code}-agent{n}",
                defaults={"team": team, "first_name": f"Agent {n}", "last_name": name},
            )
            if created:
                user.set_unusable_password() if password is None else user.set_password(password)
                user.save()
                user.groups.add(specialist_group)
        lead, created = User.objects.get_or_create(
            username=f"{code}-lead", defaults={"team": team, "first_name": "Lead"}
        )
        if created:
            lead.set_unusable_password()
            lead.save()
            lead.groups.add(supervisor_group)
    return teams


def _produce(builder, ids, accounts, chunk_size, chunks, as_csv) -> None:
    """Put ``(batch, row counts, [customers, accounts, points, history])`` chunks, then None."""
    try:
        done = 0
        while done < accounts:
            batch = min(chunk_size, accounts - done)
            tables = Tables()
            for _ in range(batch):
                ids["customer"] += 1
                ids["account"] += 1
                builder.build(ids, tables)
            parts = (
                tables.customers,
                tables.accounts,
                tables.contact_points,
                tables.history,
                tables.contacts,
                tables.payments,
            )
            sizes = tuple(len(rows) for rows in parts)
            chunks.put(
                (batch, sizes, [_as_csv(rows).getvalue() if as_csv else rows for rows in parts])
            )
            done += batch
    except Exception as exc:  # noqa: BLE001 - reported to the writing side
        chunks.put(f"{type(exc).__name__}: {exc}")
        return
    chunks.put(None)


@contextlib.contextmanager
def _bulk_load_session():
    """Skip per-row foreign-key triggers while loading, when allowed (as pg_restore does).

    The generator makes every reference itself, so the checks add nothing but time; without
    superuser rights they stay on and the load is merely slower.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cursor.fetchone()[0]
        if superuser:
            cursor.execute("SET LOCAL session_replication_role = replica")
    yield


def seed_portfolio(
    *,
    accounts: int,
    seed: int,
    as_of: date | None = None,
    chunk_size: int = 50_000,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Add ``accounts`` accounts (one customer each) to the database; return row counts."""
    as_of = as_of or delinquency.business_date()
    teams = ensure_teams_and_specialists()
    builder = PortfolioBuilder(
        seed=seed,
        as_of=as_of,
        teams=teams,
        specialists={t.id: specialists_by_load(t) for t in teams.values()},
    )
    ids = _next_ids()
    counts = {
        "customers": 0,
        "accounts": 0,
        "contact_points": 0,
        "bucket_history": 0,
        "contact_log": 0,
        "payments": 0,
    }
    on_postgres = connection.vendor == "postgresql"
    if on_postgres:
        # A forked process generates chunk n+1 while this one copies chunk n: Python and
        # PostgreSQL then each have a core. The child never touches the database.
        import multiprocessing

        context = multiprocessing.get_context("fork")
        chunks = context.Queue(maxsize=2)
        producer = context.Process(
            target=_produce, args=(builder, ids, accounts, chunk_size, chunks, True), daemon=True
        )
    else:
        chunks = queue.Queue(maxsize=2)
        producer = threading.Thread(
            target=_produce, args=(builder, ids, accounts, chunk_size, chunks, False), daemon=True
        )
    producer.start()
    # The contact history's months get their partitions first (PostgreSQL), so its rows go
    # straight to them rather than to the default partition.
    partitions_ensure(since=as_of - timedelta(days=190))
    # One transaction: a failure part-way leaves no half-built portfolio behind.
    with transaction.atomic(), _bulk_load_session():
        while (item := chunks.get()) is not None:
            if isinstance(item, str):
                raise RuntimeError(f"generating the portfolio failed: {item}")
            batch, sizes, (customers, accounts_rows, points, history, contacts, payments) = item
            _copy("accounts_customer", CUSTOMER_COLUMNS, customers, CUSTOMER_TEXT)
            _copy("accounts_account", ACCOUNT_COLUMNS, accounts_rows)
            _copy("contacts_contactpoint", CONTACT_POINT_COLUMNS, points, CONTACT_POINT_TEXT)
            _copy("accounts_buckethistory", HISTORY_COLUMNS, history, HISTORY_TEXT)
            _copy("contacts_contactlog", CONTACT_LOG_COLUMNS, contacts, CONTACT_LOG_TEXT)
            _copy("plans_payment", PAYMENT_COLUMNS, payments, ("source_detail",))
            for key, size in zip(counts, sizes, strict=True):
                counts[key] += size
            if progress:
                progress(batch)
    producer.join()
    _reset_sequences()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in SEEDED_TABLES:
                cursor.execute(f"ANALYZE {table}")
    # As the account feed does for what it loads: risk (now counting the payment history just
    # generated) and the queue order are stored for the load's date, so the first nightly run
    # after it writes only what the new date changes.
    risk_refresh(as_of=as_of, now=datetime.now(UTC), chunk_size=chunk_size)
    queue_refresh(as_of=as_of, chunk_size=chunk_size)
    return counts


def seed_activity(
    *,
    seed: int,
    plans: int = 40,
    promises: int = 60,
    disputes: int = 8,
    legal: int = 12,
    now: datetime | None = None,
) -> dict[str, int]:
    """Some plans, promises and disputes on the demo portfolio, made through the real services.

    Accounts are drawn reproducibly among open accounts with a specialist; one the services
    refuse (e.g. an installment under the jurisdiction's minimum) is simply skipped.
    """
    from django.core.exceptions import ValidationError

    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    today = delinquency.business_date()
    candidates = list(
        Account.objects.filter(stage__in=COLLECTION_STAGES)
        .exclude(assigned_to=None)
        .select_related("assigned_to", "customer")
        .order_by("id")[:5000]
    )
    rng.shuffle(candidates)
    made = {"plans": 0, "promises": 0, "disputes": 0}
    for account in candidates:
        by = account.assigned_to
        try:
            with transaction.atomic():
                if made["plans"] < plans:
                    plan = plan_create(
                        account=account,
                        by=by,
                        method="equal_installment",
                        installments=rng.choice([6, 12, 18, 24]),
                        annual_rate=Decimal(rng.choice(["0.06", "0.09", "0.12"])),
                        now=now,
                    )
                    plan = plan_accept(
                        plan=plan,
                        channel="recorded_call",
                        accepted_at=now,
                        by=by,
                        reference=f"DEMO-{plan.pk}",
                        now=now,
                    )
                    plan_submit(plan=plan, by=by, now=now)
                    made["plans"] += 1
                elif made["promises"] < promises:
                    promise_create(
                        account=account,
                        by=by,
                        now=now,
                        amount=min(account.past_due_amount, Decimal("200.00")) or Decimal("50.00"),
                        due_date=today + timedelta(days=rng.randint(0, 10)),
                    )
                    made["promises"] += 1
                elif made["disputes"] < disputes:
                    dispute_open(
                        account=account,
                        by=by,
                        now=now,
                        kind="amount",
                        description="Customer says the late fees are wrong.",
                    )
                    made["disputes"] += 1
                else:
                    break
        except (ValidationError, ConflictError):
            continue
    made["legal"] = _legal_cases(rng, legal, now=now, today=today)
    made["challengers"] = _challenger(now=now)
    return made


def _challenger(*, now: datetime) -> int:
    """A challenger running for four weeks on 30 % of the accounts: email before SMS for
    M1 and M2, so the strategy lab has both arms' results to show."""
    champion = StrategyVersion.objects.filter(status=StrategyVersionStatus.CHAMPION).first()
    if (
        champion is None
        or StrategyVersion.objects.filter(status=StrategyVersionStatus.CHALLENGER).exists()
    ):
        return 0
    draft = strategy_version_copy(
        source=champion,
        by=None,
        name="Email before SMS (demo)",
        note="M1 and M2: an email where the champion sends an SMS.",
    )
    emails = set(
        MessageTemplate.objects.filter(channel="email", is_active=True).values_list(
            "code", flat=True
        )
    )
    changes = {
        step.pk: {"channel": "email"}
        for step in draft.steps.filter(channel="sms", bucket_code__in=["M1", "M2"])
        if step.template_code in emails
    }
    strategy_steps_update(version=draft, by=None, changes=changes)
    challenger_start(version=draft, by=None, share=Decimal("0.30"), now=now - timedelta(days=28))
    return 1


def _legal_cases(rng: random.Random, count: int, *, now: datetime, today: date) -> int:
    """Refer some long-delinquent accounts to legal through the service, as their team's lead
    would: within the lead's authority the case opens (with a hearing and a court fee), above
    it the referral waits on the approvals of the legal page."""
    from django.core.exceptions import ValidationError

    leads = {u.team_id: u for u in User.objects.filter(username__endswith="-lead")}
    accounts = list(
        Account.objects.filter(stage=Stage.LATE, team_id__in=leads)
        .filter(delinquent_since__lte=today - timedelta(days=150))
        .order_by("id")[:500]
    )
    rng.shuffle(accounts)
    made = 0
    for account in accounts:
        if made >= count:
            break
        lead = leads[account.team_id]
        try:
            referral = referral_create(
                account=account,
                by=lead,
                reasons=rng.sample(["wilful", "unreachable", "broken", "assets"], 2),
                note="Demo: no payment for five months despite every channel.",
                now=now,
            )
            if referral.status == "approved":
                case = referral.case
                step_add(
                    case=case,
                    by=lead,
                    kind="hearing",
                    due_on=today + timedelta(days=rng.randint(1, 30)),
                )
                cost_add(
                    case=case,
                    by=lead,
                    kind="court_fee",
                    amount=Decimal(rng.choice(["95.00", "150.00", "300.00"])),
                    incurred_on=today,
                    recoverable=True,
                )
        except (ValidationError, DomainConflict):
            continue
        made += 1
    return made


#: The demo's agencies: (code, name, jurisdictions, commission %, longest placement in days).
DEMO_AGENCIES = (
    ("liberty", "Liberty Recovery Partners", ["US"], Decimal("18.00"), 180),
    ("huaxin", "华信资产管理", ["CN"], Decimal("15.00"), 120),
)


def seed_agencies(*, now: datetime | None = None) -> dict[str, int]:
    """Two agencies (one per jurisdiction), and the demo's accounts in the ``placed`` stage
    placed with the one of their customer's jurisdiction: one batch per agency, with its file.

    The portfolio's placed accounts are stored in that stage already, so their placements are
    written as rows here (the service places early and late accounts); idempotent.
    """
    from agencies import export
    from agencies.models import Agency, Placement, PlacementBatch, PlacementStatus

    now = now or datetime.now(UTC)
    today = delinquency.business_date()
    made = {"agencies": 0, "placements": 0}
    with transaction.atomic():
        for code, name, jurisdictions, rate, days in DEMO_AGENCIES:
            agency, created = Agency.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "jurisdictions": jurisdictions,
                    "commission_rate": rate,
                    "max_placement_days": days,
                    "contact_email": f"placements@{code}.example",
                },
            )
            made["agencies"] += created
            accounts = list(
                Account.objects.filter(stage=Stage.PLACED, customer__jurisdiction__in=jurisdictions)
                .exclude(placements__status=PlacementStatus.PLACED)
                .select_related("customer")
                .order_by("id")
            )
            if not accounts:
                continue
            batch = PlacementBatch.objects.create(agency=agency, placed_at=now, count=len(accounts))
            placements = Placement.objects.bulk_create(
                Placement(
                    account=account,
                    agency=agency,
                    batch=batch,
                    placed_at=now,
                    recall_on=today + timedelta(days=days),
                    stage_before=Stage.LATE,
                    currency=account.currency,
                    balance_at_placement=account.total_balance,
                )
                for account in accounts
            )
            for placement, account in zip(placements, accounts, strict=True):
                placement.account = account
            batch.export_content = export.export_csv(placements)
            batch.export_sha256 = export.sha256(batch.export_content)
            batch.save(update_fields=["export_content", "export_sha256"])
            made["placements"] += len(placements)
    return made
