"""What a verified customer can do online, each act through the same services a specialist's
form uses, recorded as a ``PortalEvent`` (the timeline and the KPIs read them).

The portal acts as the *self-service* user: a Settle user with the specialist role and no
password (it cannot sign in), so the audit trail says "self-service" wherever a person would
stand, and the rules that need a role (plans, callbacks) apply unchanged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_UP, Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.models import COLLECTION_STAGES, OPEN_STAGES, Account, ContactPoint, Role, Stage, User
from checkout.models import CheckoutSession
from checkout.services import checkout_start
from compliance.models import RestrictionKind, RestrictionSource
from compliance.services import restriction_create
from contacts.models import CallbackTask
from outreach.callbacks import callback_create
from outreach.services import dispute_open, hardship_declare
from plans.affordability import PlanOption
from plans.models import (
    OPEN_PLAN_STATUSES,
    AcceptanceChannel,
    HardshipArrangement,
    HardshipStatus,
    Installment,
    InstallmentStatus,
    Plan,
    PlanPolicy,
    PlanStatus,
    Settlement,
    SettlementStatus,
)
from plans.schedule import Method, currency_places
from plans.selectors import plan_options_for_account, rate_percent
from plans.services import plan_create_and_submit, promise_create, settlement_create
from portal.models import PortalEvent, PortalSession, SelfServiceAcceptance, SelfServicePolicy

SELF_SERVICE_USERNAME = "self-service"


def self_service_user() -> User:
    """The user the portal acts as (created on first use; it has no usable password)."""
    user, created = User.objects.get_or_create(
        username=SELF_SERVICE_USERNAME,
        defaults={"first_name": "Self-service", "last_name": "(customer online)"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get_or_create(name=Role.SPECIALIST)[0])
    return user


def event_record(
    session: PortalSession,
    kind: str,
    *,
    now: datetime,
    account: Account | None = None,
    detail: str = "",
) -> PortalEvent:
    return PortalEvent.objects.create(
        customer_id=session.customer_id,
        account=account,
        session=session,
        kind=kind,
        at=now,
        detail=detail[:300],
        ip_address=session.ip_address,
    )


def customer_accounts(session: PortalSession):
    """The session's customer's open accounts: the only ones a portal page may name."""
    return Account.objects.filter(customer_id=session.customer_id, stage__in=OPEN_STAGES).order_by(
        "id"
    )


def customer_account(session: PortalSession, account_id: int) -> Account:
    """One of the customer's open accounts, or ``Account.DoesNotExist`` (a 404): another
    customer's account is never found, whatever id is asked for."""
    return customer_accounts(session).select_related("customer").get(pk=account_id)


def policy_for(jurisdiction: str) -> SelfServicePolicy:
    found = SelfServicePolicy.objects.filter(jurisdiction=jurisdiction).first()
    return found or SelfServicePolicy(jurisdiction=jurisdiction)


# --- What is owed --------------------------------------------------------------------------


@dataclass(frozen=True)
class Validation:
    """The Reg F 1006.34(c)(2) itemisation: the amount on the itemisation date and what changed
    since. Settle holds the payments it posted and today's balance; the bank's feed does not
    split what accrued since, so interest and fees since are shown together."""

    itemization_date: date
    owed_then: Decimal
    charges_since: Decimal
    payments_since: Decimal
    owed_now: Decimal


def balance(account: Account) -> Decimal:
    return account.principal_balance + account.interest_balance + account.fee_balance


def validation(account: Account) -> Validation:
    """Itemisation date: the last payment's date, else the due date of the oldest unpaid amount
    (a statement's due date), else the account's opening in collections."""
    itemization = account.last_payment_date or account.delinquent_since or account.created_at.date()
    paid = account.payments.filter(received_at__date__gt=itemization).aggregate(
        total=Coalesce(Sum("amount"), Decimal(0))
    )["total"]
    now_owed = balance(account)
    stay = (
        account.bucket_history.filter(entered_on__lte=itemization).order_by("-entered_on").first()
    )
    then = stay.entry_balance if stay is not None else now_owed + paid
    return Validation(
        itemization_date=itemization,
        owed_then=then,
        charges_since=max(now_owed + paid - then, Decimal(0)),
        payments_since=paid,
        owed_now=now_owed,
    )


# --- Plans ---------------------------------------------------------------------------------


def plan_refusal(account: Account, policy: SelfServicePolicy, as_of: date) -> str:
    """Why this account cannot choose a plan alone ("" when it can): then its request goes to
    the specialist."""
    if not policy.plans_enabled:
        return _("Plans are arranged with a specialist.")
    return _arrangement_refusal(account, policy, as_of)


def _arrangement_refusal(account: Account, policy: SelfServicePolicy, as_of: date) -> str:
    """What stands in the way of any arrangement made online: one already open, or an account
    outside the policy's buckets and tiers."""
    if account.stage in (Stage.LEGAL, Stage.PLACED):
        return _("This account is no longer handled online: please call us to arrange payment.")
    if account.stage not in COLLECTION_STAGES:
        return _("This account already has an arrangement.")
    if Plan.objects.filter(account=account, status__in=OPEN_PLAN_STATUSES).exists():
        return _("This account already has a plan.")
    if Settlement.objects.filter(
        account=account, status__in=[SettlementStatus.OFFERED, SettlementStatus.ACCEPTED]
    ).exists():
        return _("This account has a settlement offer open.")
    if HardshipArrangement.objects.filter(account=account, status=HardshipStatus.ACTIVE).exists():
        return _("This account has a hardship arrangement.")
    if account.bucket(as_of).code not in policy.bucket_codes:
        return _("An arrangement for this account is made with a specialist.")
    if account.risk_tier not in policy.tier_codes:
        return _("An arrangement for this account is made with a specialist.")
    return ""


def plan_choices(account: Account, policy: SelfServicePolicy, as_of: date) -> list[PlanOption]:
    """The equal-installment options within the policy's longest term, at its rate."""
    found = plan_options_for_account(
        account,
        start_date=as_of,
        method=Method.EQUAL_INSTALLMENT,
        annual_rate=policy.annual_rate,
    )
    return [o for o in found.result.options if o.installments <= policy.max_installments]


def plan_terms_text(account: Account, option: PlanOption) -> str:
    """The terms the customer accepts, in the active language: stored word for word."""
    schedule = option.schedule
    first = schedule.installments[0]
    lines = [
        _("Account ending %(last4)s: a plan of %(n)s monthly installments.")
        % {"last4": account.number[-4:], "n": option.installments},
        _("Amount financed: %(amount)s %(currency)s.")
        % {"amount": schedule.amount_financed, "currency": account.currency},
        _("Each installment: %(amount)s %(currency)s, the first due on %(date)s.")
        % {"amount": option.installment, "currency": account.currency, "date": first.due_date},
        _(
            "Total interest and fees: %(amount)s %(currency)s; "
            "total payable: %(total)s %(currency)s."
        )
        % {
            "amount": option.total_cost,
            "total": option.total_payable,
            "currency": account.currency,
        },
        _("Annual percentage rate (APR): %(apr)s %%.") % {"apr": rate_percent(option.apr)},
        _("If %(n)s installments are missed the plan ends and the account returns to collections.")
        % {
            "n": PlanPolicy.for_jurisdiction(
                account.customer.jurisdiction
            ).missed_installments_to_break
        },
    ]
    return "\n".join(lines)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class TermsChanged(Exception):
    """The terms differ from what the page showed (the balance moved): show them again."""


def _acceptance_record(
    *,
    session: PortalSession,
    account: Account,
    text: str,
    shown_hash: str,
    language: str,
    now: datetime,
) -> SelfServiceAcceptance:
    """The customer's acceptance of ``text``, which must be what the page showed them."""
    if text_hash(text) != shown_hash:
        raise TermsChanged()
    return SelfServiceAcceptance.objects.create(
        customer_id=session.customer_id,
        account=account,
        session=session,
        accepted_at=now,
        ip_address=session.ip_address,
        user_agent=session.user_agent,
        language=language,
        text_shown=text,
        text_sha256=text_hash(text),
    )


@transaction.atomic
def plan_accept_online(
    *,
    session: PortalSession,
    account: Account,
    installments: int,
    shown_hash: str,
    language: str,
    now: datetime,
    as_of: date,
) -> Plan:
    """Create, accept and submit the plan the customer chose, within the self-service policy.

    The acceptance is the customer's: its time, address, browser and the exact text shown are
    stored (``SelfServiceAcceptance``) and the plan's acceptance reference names that record.
    """
    policy = policy_for(account.customer.jurisdiction)
    refusal = plan_refusal(account, policy, as_of)
    if refusal:
        raise ValidationError({"installments": [refusal]})
    option = next(
        (o for o in plan_choices(account, policy, as_of) if o.installments == installments), None
    )
    if option is None:
        raise ValidationError({"installments": [_("Choose one of the plans shown.")]})
    acceptance = _acceptance_record(
        session=session,
        account=account,
        text=plan_terms_text(account, option),
        shown_hash=shown_hash,
        language=language,
        now=now,
    )
    plan = plan_create_and_submit(
        account=account,
        by=self_service_user(),
        submit=True,
        acceptance_channel=AcceptanceChannel.SELF_SERVICE,
        acceptance_reference=f"online acceptance {acceptance.pk} ({acceptance.text_sha256[:12]})",
        now=now,
        method=Method.EQUAL_INSTALLMENT,
        installments=installments,
        annual_rate=policy.annual_rate,
        start_date=as_of,
    )
    acceptance.plan = plan
    acceptance.save(update_fields=["plan"])
    event_record(
        session,
        PortalEvent.Kind.PLAN_ACCEPTED,
        now=now,
        account=account,
        detail=f"plan {plan.pk}: {installments} installments",
    )
    return plan


# --- Settlements ---------------------------------------------------------------------------

#: A settlement chosen online is one payment, due within this many days, when the offer ends.
SETTLEMENT_PAY_DAYS = 14


def settlement_refusal(account: Account, policy: SelfServicePolicy, as_of: date) -> str:
    """Why this account cannot settle alone ("" when it can)."""
    if not policy.settlements_enabled or policy.max_discount <= 0:
        return _("Settlements are arranged with a specialist.")
    return _arrangement_refusal(account, policy, as_of)


@dataclass(frozen=True)
class SettlementTerms:
    balance: Decimal
    amount: Decimal
    discount: Decimal
    pay_by: date


def settlement_terms(account: Account, policy: SelfServicePolicy, as_of: date) -> SettlementTerms:
    """The policy's largest discount, the customer's share rounded up to the currency's
    places (never less than the policy allows), paid in one payment within two weeks."""
    owed = balance(account)
    step = Decimal(1).scaleb(-currency_places(account.currency))
    amount = (owed * (Decimal(1) - policy.max_discount)).quantize(step, rounding=ROUND_UP)
    return SettlementTerms(
        balance=owed,
        amount=amount,
        discount=owed - amount,
        pay_by=as_of + timedelta(days=SETTLEMENT_PAY_DAYS),
    )


def settlement_terms_text(account: Account, terms: SettlementTerms) -> str:
    return "\n".join(
        [
            _(
                "Account ending %(last4)s: settle the balance of %(balance)s %(currency)s for "
                "%(amount)s %(currency)s, paid in full by %(date)s."
            )
            % {
                "last4": account.number[-4:],
                "balance": terms.balance,
                "amount": terms.amount,
                "currency": account.currency,
                "date": terms.pay_by,
            },
            _(
                "Once it is paid, the remaining %(discount)s %(currency)s is written off and the "
                "account is closed as settled."
            )
            % {"discount": terms.discount, "currency": account.currency},
            _(
                "If it is not paid in full by then, the offer lapses and the full balance stays "
                "owed; anything paid counts towards it."
            ),
        ]
    )


@transaction.atomic
def settlement_accept_online(
    *,
    session: PortalSession,
    account: Account,
    shown_hash: str,
    language: str,
    now: datetime,
    as_of: date,
) -> Settlement:
    """Create the settlement offer the customer accepted, within the self-service policy
    (beyond the self-service user's authority it waits for a supervisor, like any offer)."""
    policy = policy_for(account.customer.jurisdiction)
    refusal = settlement_refusal(account, policy, as_of)
    if refusal:
        raise ValidationError({"settlement": [refusal]})
    terms = settlement_terms(account, policy, as_of)
    acceptance = _acceptance_record(
        session=session,
        account=account,
        text=settlement_terms_text(account, terms),
        shown_hash=shown_hash,
        language=language,
        now=now,
    )
    settlement = settlement_create(
        account=account,
        by=self_service_user(),
        amount=terms.amount,
        first_due_date=terms.pay_by,
        expires_on=terms.pay_by,
        installments=1,
        now=now,
    )
    acceptance.settlement = settlement
    acceptance.save(update_fields=["settlement"])
    event_record(
        session,
        PortalEvent.Kind.SETTLEMENT_ACCEPTED,
        now=now,
        account=account,
        detail=f"settlement {settlement.pk}: {terms.amount} {account.currency} by {terms.pay_by}",
    )
    return settlement


def _next_call_time(account: Account, now: datetime) -> datetime:
    """Tomorrow at 10:00 in the customer's zone: when a specialist's request lands."""
    zone = ZoneInfo(account.customer.time_zone)
    day = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(day, time(10, 0), tzinfo=zone)


@transaction.atomic
def plan_request(
    *, session: PortalSession, account: Account, installments: int | None, note: str, now: datetime
) -> PortalEvent:
    """Outside the policy: the request goes to the account's specialist as a callback."""
    # Stored notes are in English whatever the page's language.
    text = "Customer asked online for a plan"
    if installments:
        text += f" ({installments})"
    if note.strip():
        text += f": {note.strip()}"
    callback_create(
        account=account,
        due_at=_next_call_time(account, now),
        by=self_service_user(),
        note=text[:250],
        now=now,
    )
    return event_record(
        session, PortalEvent.Kind.PLAN_REQUESTED, now=now, account=account, detail=text
    )


# --- Paying --------------------------------------------------------------------------------


@transaction.atomic
def pay_start(
    *,
    session: PortalSession,
    account: Account,
    amount: Decimal,
    success_url: str,
    cancel_url: str,
    now: datetime,
) -> CheckoutSession:
    """Open a checkout with the payment provider; the payment is posted when the provider's
    signed webhook says it was paid (``checkout.services.webhook_receive``), never here."""
    if Plan.objects.filter(account=account, status=PlanStatus.ACTIVE).exists():
        purpose = CheckoutSession.Purpose.INSTALLMENT
    elif Settlement.objects.filter(
        account=account, status__in=[SettlementStatus.OFFERED, SettlementStatus.ACCEPTED]
    ).exists():
        purpose = CheckoutSession.Purpose.SETTLEMENT
    else:
        purpose = CheckoutSession.Purpose.PAYMENT
    checkout = checkout_start(
        account=account,
        amount=amount,
        purpose=purpose,
        success_url=success_url,
        cancel_url=cancel_url,
        now=now,
        self_service=True,
    )
    event_record(
        session,
        PortalEvent.Kind.PAYMENT_STARTED,
        now=now,
        account=account,
        detail=f"{amount} {account.currency} ({checkout.provider})",
    )
    return checkout


def amount_suggested(account: Account) -> Decimal:
    """What the pay form offers: the next installment on a plan, else the past-due amount,
    else the balance."""
    plan = Plan.objects.filter(account=account, status=PlanStatus.ACTIVE).first()
    if plan is not None:
        due = (
            Installment.objects.filter(plan=plan)
            .exclude(status=InstallmentStatus.PAID)
            .order_by("due_date")
            .first()
        )
        if due is not None:
            return due.amount - due.paid_amount
    offer = Settlement.objects.filter(
        account=account, status__in=[SettlementStatus.OFFERED, SettlementStatus.ACCEPTED]
    ).first()
    if offer is not None:
        return offer.amount - offer.paid_amount
    return account.past_due_amount or balance(account)


# --- Promises, callbacks, disputes, hardship ----------------------------------------------


@transaction.atomic
def promise_online(
    *, session: PortalSession, account: Account, amount: Decimal, due_date: date, now: datetime
):
    promise = promise_create(
        account=account, amount=amount, due_date=due_date, by=None, now=now, self_service=True
    )
    event_record(
        session,
        PortalEvent.Kind.PROMISE,
        now=now,
        account=account,
        detail=f"{amount} {account.currency} by {due_date.isoformat()}",
    )
    return promise


@transaction.atomic
def callback_online(
    *,
    session: PortalSession,
    account: Account,
    due_at: datetime,
    now: datetime,
    contact_point: ContactPoint | None = None,
) -> CallbackTask:
    """Book a call at a time compliance allows (``callback_due_at_check``: the form shows the
    refusal and the next allowed time)."""
    callback = callback_create(
        account=account,
        due_at=due_at,
        by=self_service_user(),
        contact_point=contact_point,
        note="Asked for online",
        now=now,
    )
    event_record(
        session, PortalEvent.Kind.CALLBACK, now=now, account=account, detail=due_at.isoformat()
    )
    return callback


@transaction.atomic
def dispute_online(
    *, session: PortalSession, account: Account, kind: str, description: str, now: datetime
):
    """Opens a dispute and its hold, as the specialist's form does."""
    dispute = dispute_open(account=account, description=description, by=None, now=now, kind=kind)
    event_record(session, PortalEvent.Kind.DISPUTE, now=now, account=account, detail=kind)
    return dispute


@transaction.atomic
def hardship_online(
    *, session: PortalSession, account: Account, description: str, now: datetime
) -> CallbackTask:
    """The customer tells of hardship: the account is marked (the risk score reads the first
    declaration) and the specialist gets a review in the queue."""
    hardship_declare(account_id=account.pk, now=now)
    review = callback_create(
        account=account,
        due_at=_next_call_time(account, now),
        by=self_service_user(),
        note=f"Hardship review, told online: {description.strip()}"[:250],
        now=now,
    )
    event_record(
        session, PortalEvent.Kind.HARDSHIP, now=now, account=account, detail=description[:300]
    )
    return review


@transaction.atomic
def preferences_save(
    *,
    session: PortalSession,
    account: Account,
    opt_out_channels: list[str],
    not_before: time | None,
    not_after: time | None,
    now: datetime,
) -> list:
    """Opt out of channels (1006.14(h)) and name inconvenient times (1006.6(b)(1)), each a
    restriction on all the customer's accounts, given by the customer in writing."""
    made = []
    for channel in opt_out_channels:
        made.append(
            restriction_create(
                by=self_service_user(),
                account=account,
                all_accounts=True,
                kind=RestrictionKind.CHANNEL_OPT_OUT,
                source=RestrictionSource.CUSTOMER_WRITTEN,
                channel=channel,
                notes="Set by the customer online",
                now=now,
            )
        )
    if not_before is not None or not_after is not None:
        made.append(
            restriction_create(
                by=self_service_user(),
                account=account,
                all_accounts=True,
                kind=RestrictionKind.INCONVENIENT_TIME,
                source=RestrictionSource.CUSTOMER_WRITTEN,
                not_before=not_before,
                not_after=not_after,
                notes="Set by the customer online",
                now=now,
            )
        )
    if made:
        what = ", ".join(opt_out_channels)
        if not_before or not_after:
            what += f" not before {not_before or '-'} not after {not_after or '-'}"
        event_record(
            session, PortalEvent.Kind.PREFERENCES, now=now, account=account, detail=what.strip(", ")
        )
    return made
