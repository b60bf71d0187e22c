"""Writes that touch only the records of contact: contact points (normalised, validated and
audited), evidence files and their access records, and callbacks following their account."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import phonenumbers
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Customer, PersonalDataReveal, User
from accounts.services import acting_as
from contacts import arms
from contacts.evidence_files import validate_evidence_file
from contacts.models import (
    CallbackEvent,
    CallbackTask,
    ContactLog,
    ContactPoint,
    MessageTemplate,
    StrategyVersion,
    StrategyVersionStatus,
    TreatmentStrategy,
)
from core.conflicts import DomainConflict

FOLLOW_CHUNK = 5000


def normalize_phone(raw: str, *, default_region: str) -> tuple[str, str]:
    """Parse ``raw`` (national or international) into E.164 and its region, or raise."""
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            {"value": _("'%(raw)s' is not a phone number.") % {"raw": raw}}
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            {"value": _("'%(raw)s' is not a valid phone number for its country.") % {"raw": raw}}
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, phonenumbers.region_code_for_number(number) or ""


def normalize_value(kind: str, raw: str, *, customer: Customer) -> dict[str, str]:
    raw = (raw or "").strip()
    if not raw:
        raise ValidationError({"value": _("This field may not be blank.")})
    if kind == ContactPoint.Kind.PHONE:
        value, region = normalize_phone(raw, default_region=customer.jurisdiction)
        return {"value": value, "region": region}
    if kind == ContactPoint.Kind.EMAIL:
        try:
            validate_email(raw)
        except ValidationError as exc:
            raise ValidationError({"value": exc.messages}) from exc
        return {"value": raw.lower()}
    return {"value": raw}


@transaction.atomic
def contact_point_create(
    *, by: User | None, customer: Customer, kind: str, value: str, **fields: Any
) -> ContactPoint:
    point = ContactPoint(customer=customer, kind=kind, **fields)
    for name, normalised in normalize_value(kind, value, customer=customer).items():
        setattr(point, name, normalised)
    if point.opted_out and point.opted_out_at is None:
        point.opted_out_at = timezone.now()
    if ContactPoint.objects.filter(customer=customer, kind=kind, value=point.value).exists():
        raise ValidationError({"value": _("This customer already has that contact point.")})
    point.full_clean()
    with acting_as(by):
        point.save()
    return point


@transaction.atomic
def contact_point_update(
    *, point: ContactPoint, by: User | None, data: dict[str, Any]
) -> ContactPoint:
    point = ContactPoint.objects.select_for_update().get(pk=point.pk)
    data = dict(data)
    if "value" in data:
        data.update(normalize_value(point.kind, data.pop("value"), customer=point.customer))
    if data.get("opted_out") and not point.opted_out:
        data.setdefault("opted_out_at", timezone.now())
    for name, value in data.items():
        setattr(point, name, value)
    point.full_clean(validate_constraints=False)
    with acting_as(by):
        point.save()
    return point


class EvidenceAlreadyKept(DomainConflict):
    """The entry has its evidence file; a file is never replaced (a 409, a form error)."""


@transaction.atomic
def contact_attachment_add(
    *, entry: ContactLog, file, by: User | None, now: datetime | None = None
) -> ContactLog:
    """Keep ``file`` (a recording or a scan, judged by its content and size) as the evidence of
    a logged contact that has none yet. The contact log stays append-only: this is the one
    later write it takes, once; the audit trail names who added the file and when, and the
    case timeline shows it."""
    now = now or timezone.now()
    try:
        validate_evidence_file(file)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from None
    entry = ContactLog.objects.select_for_update().get(pk=entry.pk)
    if entry.attachment:
        raise EvidenceAlreadyKept(_("This contact already has its evidence file."))
    entry.attachment.save(file.name.rsplit("/", 1)[-1], file, save=False)
    stored = str(entry.attachment.name)
    if not ContactLog.objects.attachment_fill(entry.pk, stored):
        entry.attachment.storage.delete(stored)
        raise EvidenceAlreadyKept(_("This contact already has its evidence file."))
    LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(ContactLog),
        object_pk=str(entry.pk),
        object_id=entry.pk,
        object_repr=f"contact {entry.pk}",
        action=LogEntry.Action.UPDATE,
        changes={"attachment": ["", stored]},
        actor=by if by is not None and by.is_authenticated else None,
        timestamp=now,
    )
    return entry


def evidence_access_record(*, user, entry, channel: str, remote_addr: str | None) -> None:
    """Record who opened a contact's evidence file, as a reveal of personal data is recorded."""
    PersonalDataReveal.objects.create(
        user=user,
        customer_id=entry.customer_id,
        account_id=entry.account_id,
        fields=[f"attachment:{entry.pk}"],
        channel=channel,
        remote_addr=remote_addr,
    )


def letter_access_record(*, user, letter, channel: str, remote_addr: str | None) -> None:
    """Record who opened a letter's PDF (it names the customer, the address and the debt)."""
    PersonalDataReveal.objects.create(
        user=user,
        customer_id=letter.account.customer_id,
        account_id=letter.account_id,
        fields=[f"letter:{letter.pk}"],
        channel=channel,
        remote_addr=remote_addr,
    )


def callbacks_follow_accounts(*, account_ids: Iterable[int]) -> int:
    """Give the open callbacks of these accounts to each account's specialist now; an account
    left without one keeps its callbacks where they are. Set-based (one UPDATE per chunk of
    accounts); the account's own audit entry records the move. Returns how many moved."""
    ids = sorted(set(account_ids))
    specialist = Account.objects.filter(pk=OuterRef("account_id")).values("assigned_to_id")[:1]
    moved = 0
    for start in range(0, len(ids), FOLLOW_CHUNK):
        moved += (
            CallbackTask.objects.open()
            .filter(account_id__in=ids[start : start + FOLLOW_CHUNK])
            .filter(account__assigned_to__isnull=False)
            .exclude(assigned_to_id=Subquery(specialist))
            .update(assigned_to_id=Subquery(specialist))
        )
    return moved


def callbacks_cancel(*, callbacks, by: User | None, now: datetime, note: str) -> int:
    """Cancel these open callbacks (a queryset), each with a ``cancelled`` event saying why:
    a call can no longer be placed (``compliance.services.restriction_create``). Returns how
    many."""
    cancelled = 0
    actor = by if by is not None and by.is_authenticated else None
    for callback in callbacks.open().select_for_update():
        callback.status = CallbackTask.Status.CANCELLED
        with acting_as(actor):
            callback.save(update_fields=["status"])
        CallbackEvent.objects.create(
            callback=callback,
            action=CallbackEvent.Action.CANCELLED,
            due_at=callback.due_at,
            by=actor,
            at=now,
            note=note[:250],
        )
        cancelled += 1
    return cancelled


def callbacks_follow_reassigned(sender, *, account_ids, **kwargs) -> None:
    """``accounts.signals.accounts_reassigned`` receiver (connected in ``contacts.apps``)."""
    callbacks_follow_accounts(account_ids=account_ids)


# --- Strategy versions: champion and challenger ----------------------------------------------
def _version_locked(version: StrategyVersion) -> StrategyVersion:
    return StrategyVersion.objects.select_for_update().get(pk=version.pk)


@transaction.atomic
def strategy_version_copy(
    *, source: StrategyVersion, by: User | None, name: str, note: str = ""
) -> StrategyVersion:
    """A new draft version with a copy of ``source``'s steps, to change before it runs."""
    if not name.strip():
        raise ValidationError({"name": _("Name the new version.")})
    number = (StrategyVersion.objects.aggregate(top=Max("number"))["top"] or 0) + 1
    with acting_as(by):
        version = StrategyVersion.objects.create(
            number=number,
            name=name.strip(),
            note=note.strip(),
            based_on=source,
            salt=secrets.randbelow(arms.BUCKETS),
            created_by=by if by is not None and by.is_authenticated else None,
        )
        for step in source.steps.order_by("id"):
            step.pk = None
            step.version = version
            step.code = f"{_VERSION_SUFFIX.sub('', step.code)[:52]}-v{number}"
            step.save()
    return version


_VERSION_SUFFIX = re.compile(r"-v\d+$")


@transaction.atomic
def challenger_start(
    *, version: StrategyVersion, by: User | None, share: Decimal, now: datetime
) -> StrategyVersion:
    """Run a draft version as the challenger on ``share`` of the eligible accounts."""
    version = _version_locked(version)
    if version.status != StrategyVersionStatus.DRAFT:
        raise DomainConflict(_("Only a draft version can be started as the challenger."))
    if StrategyVersion.objects.filter(status=StrategyVersionStatus.CHALLENGER).exists():
        raise DomainConflict(_("A challenger is already running: stop or promote it first."))
    if not StrategyVersion.objects.filter(status=StrategyVersionStatus.CHAMPION).exists():
        raise DomainConflict(_("There is no champion to challenge."))
    if not (Decimal("0.01") <= share <= Decimal("0.50")):
        raise ValidationError({"share": _("The challenger takes between 1 and 50 per cent.")})
    version.status = StrategyVersionStatus.CHALLENGER
    version.challenger_share = share
    version.started_at = now
    with acting_as(by):
        version.save()
    return version


@transaction.atomic
def challenger_stop(*, version: StrategyVersion, by: User | None, now: datetime) -> StrategyVersion:
    """Stop the challenger: its accounts go back to the champion; its results stay readable."""
    version = _version_locked(version)
    if version.status != StrategyVersionStatus.CHALLENGER:
        raise DomainConflict(_("This version is not the running challenger."))
    version.status = StrategyVersionStatus.RETIRED
    version.stopped_at = now
    with acting_as(by):
        version.save()
    return version


@transaction.atomic
def challenger_promote(
    *, version: StrategyVersion, by: User | None, now: datetime
) -> StrategyVersion:
    """The challenger becomes the champion for every account; the champion retires."""
    version = _version_locked(version)
    if version.status != StrategyVersionStatus.CHALLENGER:
        raise DomainConflict(_("Only the running challenger can be promoted."))
    with acting_as(by):
        for champion in StrategyVersion.objects.select_for_update().filter(
            status=StrategyVersionStatus.CHAMPION
        ):
            champion.status = StrategyVersionStatus.RETIRED
            champion.stopped_at = now
            champion.save()
        version.status = StrategyVersionStatus.CHAMPION
        version.stopped_at = now
        version.promoted_at = now
        version.save()
    return version


STEP_FIELDS = (
    "channel",
    "template_code",
    "cadence_days",
    "is_active",
    "propensity_from",
    "propensity_below",
)


@transaction.atomic
def strategy_steps_update(
    *, version: StrategyVersion, by: User | None, changes: dict[int, dict[str, Any]]
) -> int:
    """Change a draft version's steps (step id → new channel, template, cadence, active); a
    version that runs or ran stays as it was, so its results describe what was sent."""
    version = _version_locked(version)
    if version.status != StrategyVersionStatus.DRAFT:
        raise DomainConflict(_("Only a draft version's steps can change."))
    steps = {s.pk: s for s in version.steps.select_for_update().filter(pk__in=changes)}
    templates = set(
        MessageTemplate.objects.filter(is_active=True).values_list("code", "channel").distinct()
    )
    changed = 0
    with acting_as(by):
        for pk, data in changes.items():
            step = steps.get(pk)
            if step is None:
                raise ValidationError({"steps": _("A step of another version was sent.")})
            for name in STEP_FIELDS:
                if name in data:
                    setattr(step, name, data[name])
            if step.channel not in TreatmentStrategy.Channel.values:
                raise ValidationError({"channel": _("Choose one of the listed channels.")})
            if step.cadence_days < 1:
                raise ValidationError({"cadence_days": _("Every step waits at least one day.")})
            start, below = step.propensity_from, step.propensity_below
            band = [v for v in (start, below) if v is not None]
            if any(not 0 <= v <= 1000 for v in band) or (
                start is not None and below is not None and start >= below
            ):
                raise ValidationError(
                    {
                        "propensity_from": _(
                            "A propensity band is per mille, 0 to 1000, its start below its end."
                        )
                    }
                )
            messages = step.channel in ("sms", "email", "letter")
            if messages and (step.template_code, step.channel) not in templates:
                raise ValidationError(
                    {
                        "template_code": _(
                            "No active %(channel)s template has the code “%(code)s”."
                        )
                        % {"channel": step.channel, "code": step.template_code}
                    }
                )
            step.save()
            changed += 1
    return changed
