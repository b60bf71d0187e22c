"""Referring an account to legal and working its case: the one place these rules live.

Views, admin actions and tests call these functions; each runs in one transaction, attributes
its changes (``acting_as``: every model here is audited) and refuses with ``ValidationError``
naming the field (bad input), ``PermissionDenied`` (who may not) or ``DomainConflict`` (what is
stored says no), writing nothing.

Who may refer: supervisors and admins of the account's team. What may be referred: an account
in collections (early or late: a plan, a placement or a closed account first ends that), not
time-barred (its statute of limitations has not run: a suit on a time-barred debt is what
12 CFR 1006.26(b) forbids to threaten, let alone file; 《民法典》第一百九十二条 lets the debtor
plead the limitation), and under no bankruptcy stay (11 U.S.C. 362(a)), death or open dispute.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, PersonalDataReveal, Role, Stage, User
from accounts.services import account_stage_set, stage_after_plan
from compliance.models import CommunicationRestriction, RestrictionKind
from compliance.rules import time_barred
from contacts.evidence_files import validate_evidence_file
from core.audit import acting_as
from core.business_calendar import business_date
from core.conflicts import DomainConflict
from legal.models import (
    CaseOutcome,
    CaseStatus,
    CostKind,
    LegalAuthority,
    LegalCase,
    LegalCost,
    LegalReferral,
    LegalStep,
    ReferralDocument,
    ReferralReason,
    ReferralStatus,
    StepKind,
)

#: The stages an account may be referred from.
REFERABLE_STAGES = (Stage.EARLY, Stage.LATE)
#: Holds under which no suit may be brought.
BLOCKING_HOLDS = (
    RestrictionKind.BANKRUPTCY,
    RestrictionKind.DECEASED,
    RestrictionKind.DISPUTE_PENDING,
)
#: The status a case moves to when a step of this kind is done.
STATUS_AFTER_STEP = {
    StepKind.FILING: CaseStatus.FILED,
    StepKind.JUDGMENT: CaseStatus.JUDGMENT,
    StepKind.ENFORCEMENT_APPLICATION: CaseStatus.ENFORCEMENT,
}
#: How many days ahead an open step's date shows in the queue.
LEGAL_DATE_DAYS = 7


def may_refer(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.SUPERVISOR, Role.ADMIN)


def authority_covers(user: User, balance: Decimal, currency: str) -> bool:
    """Whether ``user`` may send ``balance`` to legal alone (or approve another's referral)."""
    if not may_refer(user):
        return False
    if user.sees_all_teams:
        return True
    limits = LegalAuthority.objects.filter(role=user.role, currency=currency)
    return limits.filter(max_balance__gte=balance).exists()


def referral_refusals(account: Account, *, day: date) -> list[str]:
    """Why ``account`` may not go to legal on ``day`` (empty: it may)."""
    refusals = []
    if account.stage not in REFERABLE_STAGES:
        refusals.append(
            _("Only an account in collections can be referred; this one is %(stage)s.")
            % {"stage": account.get_stage_display()}
        )
    if time_barred(account.statute_of_limitations_date, day):
        refusals.append(
            _(
                "The statute of limitations ran on %(date)s: a time-barred debt cannot be"
                " referred to legal (12 CFR 1006.26(b))."
            )
            % {"date": account.statute_of_limitations_date}
        )
    holds = (
        CommunicationRestriction.objects.for_account(account)
        .in_force(day)
        .filter(kind__in=BLOCKING_HOLDS)
        .order_by("kind")
        .values_list("kind", flat=True)
        .distinct()
    )
    labels = dict(RestrictionKind.choices)
    for kind in holds:
        refusals.append(
            _("%(hold)s is in force: no claim may be brought while it lasts.")
            % {"hold": labels[kind]}
        )
    return refusals


def _document_add(referral: LegalReferral, file, *, by: User, now: datetime) -> ReferralDocument:
    try:
        validate_evidence_file(file)
    except ValidationError as error:
        raise ValidationError(
            {"documents": [f"{file.name}: {m}" for m in error.messages]}
        ) from None
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    name = file.name.rsplit("/", 1)[-1][:200]
    document = ReferralDocument(
        referral=referral,
        name=name,
        sha256=digest.hexdigest(),
        size=file.size,
        uploaded_by=by,
        uploaded_at=now,
    )
    document.file.save(name, file, save=False)
    document.save()
    return document


@transaction.atomic
def referral_create(
    *,
    account: Account,
    by: User,
    reasons: Iterable[str],
    note: str = "",
    documents: Iterable = (),
    now: datetime | None = None,
) -> LegalReferral:
    """Refer ``account`` to legal: approved at once within ``by``'s authority (and the case
    opened), else waiting for someone whose authority covers the balance."""
    now = now or timezone.now()
    if not may_refer(by):
        raise PermissionDenied(_("Only supervisors and admins refer accounts to legal."))
    reasons = list(dict.fromkeys(reasons))
    unknown = [r for r in reasons if r not in ReferralReason.values]
    if not reasons or unknown:
        raise ValidationError({"reasons": _("Choose at least one of the listed reasons.")})
    if ReferralReason.OTHER in reasons and not note.strip():
        raise ValidationError({"note": _("Say what the other reason is.")})
    account = Account.objects.select_for_update().get(pk=account.pk)
    refusals = referral_refusals(account, day=business_date())
    if refusals:
        raise DomainConflict(" ".join(refusals))
    if account.legal_referrals.filter(status=ReferralStatus.PENDING).exists():
        raise DomainConflict(_("This account already has a referral waiting for approval."))
    with acting_as(by):
        referral = LegalReferral.objects.create(
            account=account,
            reasons=reasons,
            note=note.strip(),
            balance=account.total_balance,
            currency=account.currency,
            referred_by=by,
            referred_at=now,
        )
        for file in documents:
            _document_add(referral, file, by=by, now=now)
        if authority_covers(by, referral.balance, referral.currency):
            _approve(referral, by=by, note=_("Within the referrer's authority."), now=now)
    return referral


def _approve(referral: LegalReferral, *, by: User, note: str, now: datetime) -> LegalCase:
    referral.status = ReferralStatus.APPROVED
    referral.decided_by = by
    referral.decided_at = now
    referral.decision_note = note
    referral.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    account = referral.account
    case = LegalCase.objects.create(
        account=account,
        referral=referral,
        handler=referral.referred_by,
        claim_amount=account.total_balance,
        currency=account.currency,
        stage_before=account.stage,
        opened_at=now,
    )
    account_stage_set(account=account, stage=Stage.LEGAL, by=by)
    return case


@transaction.atomic
def referral_decide(
    *, referral: LegalReferral, by: User, approve: bool, note: str, now: datetime | None = None
) -> LegalReferral:
    """Approve (opening the case) or reject a referral waiting for approval."""
    now = now or timezone.now()
    referral = (
        LegalReferral.objects.select_for_update().select_related("account").get(pk=referral.pk)
    )
    if referral.status != ReferralStatus.PENDING:
        raise DomainConflict(_("This referral has already been decided."))
    if referral.referred_by_id == by.pk:
        raise PermissionDenied(_("Someone other than the referrer decides a referral."))
    if not authority_covers(by, referral.balance, referral.currency):
        raise PermissionDenied(
            _("Your legal authority does not cover %(amount)s %(currency)s.")
            % {"amount": referral.balance, "currency": referral.currency}
        )
    if not note.strip():
        raise ValidationError({"note": _("Give the reason for your decision.")})
    with acting_as(by):
        if approve:
            account = Account.objects.select_for_update().get(pk=referral.account_id)
            refusals = referral_refusals(account, day=business_date())
            if refusals:
                raise DomainConflict(" ".join(refusals))
            referral.account = account
            _approve(referral, by=by, note=note.strip(), now=now)
        else:
            referral.status = ReferralStatus.REJECTED
            referral.decided_by = by
            referral.decided_at = now
            referral.decision_note = note.strip()
            referral.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return referral


def _open_case(case: LegalCase) -> LegalCase:
    case = LegalCase.objects.select_for_update().get(pk=case.pk)
    if not case.is_open:
        raise DomainConflict(_("This legal case is closed."))
    return case


CASE_FIELDS = ("court", "case_number", "handler", "filed_on", "judgment_on", "judgment_amount")


@transaction.atomic
def case_update(*, case: LegalCase, by: User, data: dict) -> LegalCase:
    """Record the court's details as they come: court, case number, filing and judgment."""
    case = _open_case(case)
    if data.get("judgment_on") and not data.get("filed_on") and not case.filed_on:
        raise ValidationError({"filed_on": _("A judgment follows a filing: give the filing date.")})
    if data.get("judgment_amount") is not None and not (
        data.get("judgment_on") or case.judgment_on
    ):
        raise ValidationError({"judgment_on": _("Give the date of the judgment.")})
    for name in CASE_FIELDS:
        if name in data:
            setattr(case, name, data[name])
    if case.judgment_on and case.status in (CaseStatus.PREPARING, CaseStatus.FILED):
        case.status = CaseStatus.JUDGMENT
    elif case.filed_on and case.status == CaseStatus.PREPARING:
        case.status = CaseStatus.FILED
    with acting_as(by):
        case.save()
    return case


@transaction.atomic
def step_add(*, case: LegalCase, by: User, kind: str, due_on: date, note: str = "") -> LegalStep:
    case = _open_case(case)
    if kind not in StepKind.values:
        raise ValidationError({"kind": _("Choose one of the listed steps.")})
    with acting_as(by):
        return LegalStep.objects.create(
            case=case, kind=kind, due_on=due_on, note=note.strip(), created_by=by
        )


@transaction.atomic
def step_done(*, step: LegalStep, by: User, done_on: date) -> LegalStep:
    """Mark a step done; filing, judgment and an enforcement application move the case on."""
    step = LegalStep.objects.select_for_update().select_related("case").get(pk=step.pk)
    case = _open_case(step.case)
    if step.done_on is not None:
        raise DomainConflict(_("This step is already done."))
    if done_on > business_date():
        raise ValidationError({"done_on": _("A step cannot be done in the future.")})
    step.done_on = done_on
    with acting_as(by):
        step.save(update_fields=["done_on"])
        status = STATUS_AFTER_STEP.get(StepKind(step.kind))
        order = list(CaseStatus.values)
        if status and order.index(status) > order.index(case.status):
            case.status = status
            if status == CaseStatus.FILED and case.filed_on is None:
                case.filed_on = done_on
            if status == CaseStatus.JUDGMENT and case.judgment_on is None:
                case.judgment_on = done_on
            case.save()
    return step


@transaction.atomic
def cost_add(
    *,
    case: LegalCase,
    by: User,
    kind: str,
    amount: Decimal,
    incurred_on: date,
    recoverable: bool,
    note: str = "",
) -> LegalCost:
    case = _open_case(case)
    if kind not in CostKind.values:
        raise ValidationError({"kind": _("Choose one of the listed costs.")})
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("A cost is a positive amount.")})
    if incurred_on > business_date():
        raise ValidationError({"incurred_on": _("A cost cannot be incurred in the future.")})
    with acting_as(by):
        return LegalCost.objects.create(
            case=case,
            kind=kind,
            amount=amount,
            currency=case.currency,
            incurred_on=incurred_on,
            recoverable=recoverable,
            note=note.strip(),
            created_by=by,
        )


@transaction.atomic
def case_close(
    *, case: LegalCase, by: User, outcome: str, now: datetime | None = None
) -> LegalCase:
    """Close the case; the account leaves stage ``legal``: paid or settled accounts keep the
    stage their payment gave them, the others return to collections by their days past due."""
    now = now or timezone.now()
    case = _open_case(case)
    if outcome not in CaseOutcome.values:
        raise ValidationError({"outcome": _("Choose one of the listed outcomes.")})
    case.outcome = outcome
    case.status = CaseStatus.CLOSED
    case.closed_at = now
    with acting_as(by):
        case.save()
        account = Account.objects.select_for_update().get(pk=case.account_id)
        if account.stage == Stage.LEGAL:
            if account.total_balance <= 0:
                stage = Stage.PAID
            else:
                stage = stage_after_plan(account, as_of=business_date())
            account_stage_set(account=account, stage=stage, by=by)
    return case


def document_access_record(
    *, user: User, document: ReferralDocument, account: Account, remote_addr: str | None
) -> None:
    """Record who opened a referral's document (it names the customer and the debt), as
    ``contacts.services.letter_access_record`` records a letter's PDF."""
    PersonalDataReveal.objects.create(
        user=user,
        customer_id=account.customer_id,
        account_id=account.pk,
        fields=[f"legal_document:{document.pk}"],
        channel="web",
        remote_addr=remote_addr,
    )


def cost_totals(case: LegalCase) -> dict[str, Decimal]:
    """The case's costs: recoverable, not recoverable, all."""
    totals = {"recoverable": Decimal("0.00"), "unrecoverable": Decimal("0.00")}
    for cost in case.costs.all():
        totals["recoverable" if cost.recoverable else "unrecoverable"] += cost.amount
    totals["total"] = totals["recoverable"] + totals["unrecoverable"]
    return totals
