"""The compliance gate: every outbound contact passes here, and every decision is stored.

Other apps call exactly one of these before they contact a customer or log an outbound
contact as sent:

* ``contact_authorize(...)`` - the gate: returns the stored decision when the contact is
  allowed and raises ``ContactBlocked`` (carrying the stored decision) when it is not. API
  views turn that into a 422 with ``compliance.api.ComplianceBlocked``.
* ``contact_check(...)`` - the same decision without raising (the check API, previews).
* ``contact_check_bulk([CheckRequest, ...])`` - many contacts in one call with a constant
  number of queries (the reminder batch).

Call it *outside* (before) the transaction that records the contact: a blocked decision must
survive the rollback of the contact it blocked (API.md: "the blocked decision itself is kept").

How the inputs are gathered (COMPLIANCE.md; 12 CFR part 1006; GB/T 45251-2025):

* Prior contacts are the contact log's rows for the *debtor* within the profile's look-back
  (the longest of the frequency window and the quiet period, plus a day for zones) on either
  side of the checked time. The per-debt rules (7-in-7, 1006.14(b)(2)) get the account's rows;
  a profile with a daily cap per debtor (CN) gets the debtor's rows on all accounts - and when a
  profile has both, all rules get the debtor's rows (stricter).
* Consent to call (1006.14(b)(3)): a log entry with ``consent_to_call_until`` (older rows: a
  ``callback_requested`` disposition) is consent given directly by the consumer at that time;
  it lasts until then, 7 days at most, and ends at the next telephone conversation. Calls made
  under it do not count toward the 7, and a call inside it is exempt from both call limits.
* Calls to the attorney are not told apart in the contact log yet: every logged call counts.
* ``is_first_contact`` (1006.18(e) disclosures): no earlier outbound contact on the account
  with outcome ``conversation`` or ``delivered``. Only computed for written messages.
* Candidate zones (1006.6(b)(1)(i), comment 6(b)(1)(i)-2): the customer's zone, the contact
  point's override and the zones of its phone number. Without a contact point, a call or text
  considers all the customer's usable phones.
* Restrictions: the customer's customer-wide ones and the account's own; ``ended_at`` cuts
  them short. A contact point marked opted out is a channel opt-out.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Account, ContactPoint, User
from accounts.portal_links import signed_token_spans
from compliance import rules, selectors
from compliance.evidence import AnyOf, evidence_insert
from compliance.models import (
    Channel,
    CommunicationRestriction,
    ComplianceDecision,
    Purpose,
    RestrictionKind,
)
from compliance.profiles import profile_for
from contacts.models import CLOSED_CASE_STATUSES, CallbackTask, Dispute
from contacts.services import callbacks_cancel
from core.audit import acting_as
from core.conflicts import DomainConflict
from core.phones import zones_from_text

RECIPIENTS = ("debtor", "third_party", "attorney", "estate")
CONSENT_DAYS = 7  # 1006.14(b)(3): consent given directly within the last 7 days
CALLBACK_REQUESTED = "callback_requested"
#: Which kind of contact point each channel uses.
CHANNEL_POINT_KIND = {
    "call": "phone",
    "sms": "phone",
    "email": "email",
    "letter": "address",
    "visit": "address",
}
#: Placeholder values used to check a template before it is saved.
SAMPLE_VALUES = {
    "en": {
        "name": "Jane Doe",
        "amount": "120.00",
        "currency": "USD",
        "due_date": "2026-05-01",
        "account_last4": "1234",
    },
    "zh": {
        "name": "张三",
        "amount": "1200.00",
        "currency": "CNY",
        "due_date": "2026-05-01",
        "account_last4": "1234",
    },
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
POINT_FIELDS = (
    "id",
    "customer_id",
    "kind",
    "value",
    "time_zone",
    "opted_out",
    "is_valid",
    "phone_time_zones",
)


# --- Results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckRequest:
    """One proposed contact for ``contact_check_bulk``; ids or loaded instances."""

    account: Any  # Account or its id
    channel: str
    at: datetime
    contact_point: Any = None  # ContactPoint, its id, or None
    message: str = ""
    language: str | None = None
    recipient: str = "debtor"
    template: Any = None  # contacts.MessageTemplate or None
    solicited: bool = False  # the customer asked for it just now (rules.ContactContext)
    #: A letter's kind; on a letter with a template, ``rules.letter_kind_for(template.code)``.
    letter_kind: str = ""


@dataclass(frozen=True)
class StoredDecision:
    """A ``rules.Decision`` with the id of its ``ComplianceDecision`` row (None if not stored)
    and the customer's zone, in which ``next_allowed_at`` is shown."""

    decision: rules.Decision
    id: int | None
    account_id: int
    time_zone: str
    inputs: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def allowed(self) -> bool:
        return self.decision.allowed

    @property
    def violations(self) -> tuple[rules.Violation, ...]:
        return self.decision.violations

    @property
    def rule_codes(self) -> list[str]:
        return [v.rule for v in self.decision.violations]

    @property
    def next_allowed_at(self) -> datetime | None:
        """UTC."""
        return self.decision.next_allowed_at

    def next_allowed_at_local(self) -> datetime | None:
        """``next_allowed_at`` in the customer's zone (its offset is the customer's)."""
        moment = self.decision.next_allowed_at
        return None if moment is None else moment.astimezone(ZoneInfo(self.time_zone))

    def as_api(self) -> dict[str, Any]:
        """The API.md shape: allowed, violations (rule, citation, message), next_allowed_at."""
        local = self.next_allowed_at_local()
        return {
            "allowed": self.allowed,
            "violations": [v.as_dict() for v in self.violations],
            "next_allowed_at": None if local is None else local.isoformat(),
        }


class ContactBlocked(Exception):
    """Raised by ``contact_authorize`` when compliance blocks the contact."""

    def __init__(self, decision: StoredDecision) -> None:
        self.decision = decision
        super().__init__(", ".join(decision.rule_codes) or "blocked")


# --- The gate ------------------------------------------------------------------------------


def contact_check(
    *,
    account: Account | int,
    channel: str,
    at: datetime,
    contact_point: Any = None,
    message: str = "",
    language: str | None = None,
    recipient: str = "debtor",
    template: Any = None,
    by: User | None = None,
    purpose: str = Purpose.API_CHECK,
    store: bool = True,
) -> StoredDecision:
    """May ``channel`` contact on ``account`` happen at ``at``? Stored unless ``store=False``.

    ``recipient`` is ``debtor``, ``third_party`` (location information only, 1006.10),
    ``attorney`` (1006.6(b)(2)) or ``estate`` (the deceased consumer's representative,
    1006.2(e)). ``template`` (a MessageTemplate) supplies ``message`` and ``language`` when
    they are not given. Raises ``ValidationError`` naming the field for bad input.
    """
    request = CheckRequest(
        account=account,
        channel=channel,
        at=at,
        contact_point=contact_point,
        message=message,
        language=language,
        recipient=recipient,
        template=template,
    )
    return contact_check_bulk([request], purpose=purpose, by=by, store=store)[0]


def contact_authorize(**kwargs: Any) -> StoredDecision:
    """``contact_check`` that raises ``ContactBlocked`` unless allowed: the gate every
    outbound path (contact log, reminders, channel backends) must pass."""
    stored = contact_check(**kwargs)
    if not stored.allowed:
        raise ContactBlocked(stored)
    return stored


def contact_check_bulk(
    requests: Sequence[CheckRequest],
    *,
    purpose: str,
    by: User | None = None,
    store: bool = True,
) -> list[StoredDecision]:
    """Decide many contacts at once, in request order.

    A constant number of queries whatever the batch size: accounts with customers, contact
    points, restrictions, the debtors' recent contact log, first-contact status (only when a
    written message is checked) and one insert of the decisions.
    """
    if not requests:
        return []
    _validate(requests, purpose)
    accounts = _accounts(requests)
    customer_ids = {a.customer_id for a in accounts.values()}
    jurisdictions = {c.jurisdiction for c in _customers(accounts)}
    profiles = {code: profile_for(code) for code in jurisdictions}
    points = _contact_points(requests, accounts, customer_ids)
    earliest = min(r.at for r in requests)
    latest = max(r.at for r in requests)
    look = _look_back(profiles.values())
    restrictions = _restrictions(customer_ids, earliest - timedelta(days=1))
    contacts = _contacts(customer_ids, earliest - look, latest + look)
    first_contact_since = _first_communications(requests, accounts)

    rows: list[dict[str, Any]] = []
    results: list[tuple[rules.Decision, Any, str, dict[str, Any]]] = []
    checked_by = by if by is not None and by.is_authenticated else None
    for request in requests:
        account = accounts[_id(request.account)]
        customer = account.customer
        profile = profiles[customer.jurisdiction]
        point = _point_for(request, account, points)
        ctx, inputs = _context(
            request=request,
            account=account,
            profile=profile,
            point=point,
            phones=points.get(customer.pk, []),
            restrictions=restrictions.get(customer.pk, []),
            contacts=contacts.get(customer.pk, []),
            first_communicated_at=first_contact_since.get(account.pk),
        )
        decision = rules.evaluate(ctx)
        zone = _display_zone(ctx.candidate_time_zones, profile)
        results.append((decision, account, zone, inputs))
        rows.append(
            {
                "account_id": account.pk,
                "customer_id": account.customer_id,
                "contact_point_id": None if point is None else point.pk,
                "channel": request.channel,
                "at": request.at,
                "allowed": decision.allowed,
                "violations": [_violation_json(v) for v in decision.violations],
                "next_allowed_at": decision.next_allowed_at,
                "jurisdiction": customer.jurisdiction,
                "inputs": inputs,
                "checked_by_id": None if checked_by is None else checked_by.pk,
                "purpose": purpose,
            }
        )
    ids: list[int | None] = list(decisions_insert(rows)) if store else [None] * len(rows)
    return [
        StoredDecision(
            decision=decision,
            id=pk,
            account_id=account.pk,
            time_zone=zone,
            inputs=inputs,
        )
        for (decision, account, zone, inputs), pk in zip(results, ids, strict=True)
    ]


def decisions_insert(rows: list[dict[str, Any]]) -> list[int]:
    """Store decisions (append-only evidence) given as column values; their ids, in order."""
    return evidence_insert(ComplianceDecision, rows)


# --- Gathering the inputs ------------------------------------------------------------------


def _id(value: Any) -> int:
    return value if isinstance(value, int) else value.pk


def _validate(requests: Sequence[CheckRequest], purpose: str) -> None:
    if purpose not in Purpose.values:
        raise ValidationError({"purpose": _("Unknown purpose %(value)s.") % {"value": purpose}})
    channels = frozenset(Channel.values)  # built once per batch, not per request
    for r in requests:
        if r.channel not in channels:
            raise ValidationError(
                {"channel": _("Unknown channel %(value)s.") % {"value": r.channel}}
            )
        if not isinstance(r.at, datetime) or r.at.tzinfo is None or r.at.utcoffset() is None:
            raise ValidationError({"at": _("Give the time with its UTC offset.")})
        if r.recipient not in RECIPIENTS:
            raise ValidationError(
                {"recipient": _("Unknown recipient %(value)s.") % {"value": r.recipient}}
            )
        if r.template is not None:
            if not r.template.is_active:
                raise ValidationError({"template": _("This template is not active.")})
            if r.template.channel != r.channel:
                raise ValidationError({"template": _("This template is for another channel.")})


class _CustomerRow(NamedTuple):
    """The customer fields the checks read, loaded as a tuple (a batch of ids given)."""

    pk: int
    jurisdiction: str
    time_zone: str
    language: str
    name: str


class _AccountRow(NamedTuple):
    """The account fields the checks (and ``account_values``) read."""

    pk: int
    customer_id: int
    customer: _CustomerRow
    statute_of_limitations_date: date | None
    past_due_amount: Any
    currency: str
    delinquent_since: date | None
    number: str


class _PointRow(NamedTuple):
    """A contact point as the checks read it (``POINT_FIELDS``)."""

    pk: int
    customer_id: int
    kind: str
    value: str
    time_zone: str
    opted_out: bool
    is_valid: bool
    phone_time_zones: str | None

    @property
    def usable(self) -> bool:
        return self.is_valid and not self.opted_out


ACCOUNT_FIELDS = (
    "pk",
    "customer_id",
    "statute_of_limitations_date",
    "past_due_amount",
    "currency",
    "delinquent_since",
    "number",
    "customer__jurisdiction",
    "customer__time_zone",
    "customer__language",
    "customer__name",
)


def _account_rows(ids: set[int]) -> dict[int, Any]:
    """Accounts with their customers as light rows, one query (batches pass ids)."""
    customers: dict[int, _CustomerRow] = {}
    loaded: dict[int, Any] = {}
    rows = Account.objects.filter(AnyOf(F("pk"), ids)).order_by().values_list(*ACCOUNT_FIELDS)
    for pk, cid, sol, past_due, currency, since, number, juris, tz, lang, name in rows:
        customer = customers.get(cid)
        if customer is None:
            customer = customers[cid] = _CustomerRow(cid, juris, tz, lang, name)
        loaded[pk] = _AccountRow(pk, cid, customer, sol, past_due, currency, since, number)
    return loaded


def _accounts(requests: Sequence[CheckRequest]) -> dict[int, Any]:
    loaded: dict[int, Any] = {}
    wanted: set[int] = set()
    for r in requests:
        if isinstance(r.account, Account) and Account.customer.is_cached(r.account):
            loaded[r.account.pk] = r.account
        else:
            wanted.add(_id(r.account))
    wanted -= set(loaded)
    if wanted:
        loaded.update(_account_rows(wanted))
    missing = wanted - set(loaded)
    if missing:
        raise ValidationError({"account": _("No account with id %(id)s.") % {"id": min(missing)}})
    return loaded


def _customers(accounts: dict[int, Account]) -> Iterable[Any]:
    return {a.customer_id: a.customer for a in accounts.values()}.values()


def _contact_points(
    requests: Sequence[CheckRequest], accounts: dict[int, Account], customer_ids: set[int]
) -> dict[int, list[Any]]:
    """The customers' contact points by customer id, loaded once when any request needs them
    (a contact point given by id, or a call or text with none given)."""
    needed = any(
        isinstance(r.contact_point, int)
        or (r.contact_point is None and CHANNEL_POINT_KIND.get(r.channel) == "phone")
        for r in requests
    )
    by_customer: dict[int, list[Any]] = defaultdict(list)
    if needed:
        points = ContactPoint.objects.filter(AnyOf(F("customer_id"), customer_ids)).order_by()
        for row in points.values_list(*POINT_FIELDS):
            by_customer[row[1]].append(_PointRow(*row))
    return by_customer


def _point_for(request: CheckRequest, account: Account, points: dict[int, list[Any]]) -> Any:
    point = request.contact_point
    if point is None:
        return None
    if isinstance(point, int):
        point = next((p for p in points.get(account.customer_id, []) if p.pk == point), None)
    if point is None or point.customer_id != account.customer_id:
        raise ValidationError(
            {"contact_point": _("This contact point does not belong to the account's customer.")}
        )
    kind = CHANNEL_POINT_KIND.get(request.channel)
    if kind is not None and point.kind != kind:
        raise ValidationError(
            {
                "contact_point": _("A %(channel)s needs a %(kind)s contact point.")
                % {"channel": request.channel, "kind": kind}
            }
        )
    return point


def _look_back(profiles: Iterable[rules.Profile]) -> timedelta:
    days = 1
    for p in profiles:
        days = max(days, p.weekly_window_days, p.post_conversation_quiet_days or 0, CONSENT_DAYS)
    return timedelta(days=days + 1)  # a day more: local calendar days differ from UTC ones


def _restrictions(
    customer_ids: set[int], since: datetime
) -> dict[int, list[CommunicationRestriction]]:
    """Restrictions that may still apply at or after ``since`` (future ones included: they
    bound ``next_allowed_at``)."""
    rows = (
        CommunicationRestriction.objects.order_by()
        .filter(AnyOf(F("customer_id"), customer_ids))
        .filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=since.date() - timedelta(days=1)),
            Q(ended_at__isnull=True) | Q(ended_at__gt=since),
        )
    )
    by_customer: dict[int, list[CommunicationRestriction]] = defaultdict(list)
    for r in rows:
        by_customer[r.customer_id].append(r)
    return by_customer


@dataclass(frozen=True)
class _LoggedContact:
    id: int
    account_id: int
    channel: str
    direction: str
    outcome: str
    disposition: str
    at: datetime
    consent_until: datetime | None


def _contacts(
    customer_ids: set[int], since: datetime, until: datetime
) -> dict[int, list[_LoggedContact]]:
    """The debtors' logged contacts in [since, until), oldest first, by customer."""
    by_customer: dict[int, list[_LoggedContact]] = defaultdict(list)
    rows = selectors.contact_log_window(customer_ids, since, until)
    for pk, customer_id, account_id, channel, direction, outcome, disposition, at, until in rows:
        by_customer[customer_id].append(
            _LoggedContact(
                pk, account_id, channel, direction, outcome, disposition or "", at, until
            )
        )
    for items in by_customer.values():
        items.sort(key=lambda c: (c.at, c.id))
    return by_customer


def _first_communications(
    requests: Sequence[CheckRequest], accounts: dict[int, Account]
) -> dict[int, datetime]:
    """When each account was first communicated with (1006.18(e)), for the accounts whose
    request carries a written message; one grouped query."""
    ids = {
        _id(r.account)
        for r in requests
        if r.channel in rules.DISCLOSURE_CHANNELS and (r.message or r.template is not None)
    }
    if not ids:
        return {}
    return {pk: first for pk, first in selectors.first_communications(ids) if first is not None}


@functools.lru_cache(maxsize=65_536)
def _candidate_zones(
    customer_tz: str | None,
    point_tz: str | None = None,
    phone: str | None = None,
    phone_zones: str | None = None,
) -> tuple[str, ...]:
    """``rules.candidate_time_zones``, memoised. A phone's zones come as the contact point
    stored them (``phone_zones``; few distinct values, so this cache holds them), or, for a
    number stored without them, from the number itself (``phone``)."""
    stored = None if phone_zones is None else zones_from_text(phone_zones)
    return rules.candidate_time_zones(customer_tz, point_tz, phone, stored)


def _phone_zones(point: Any) -> dict[str, str]:
    """What ``_candidate_zones`` needs of a phone contact point: its stored zones, else its
    number."""
    if point.kind != "phone":
        return {}
    if point.phone_time_zones is not None:
        return {"phone_zones": point.phone_time_zones}
    return {"phone": point.value}


def _display_zone(candidates: Sequence[str], profile: rules.Profile) -> str:
    """The zone the rules treat as the customer's (the first candidate, else the profile's)."""
    for name in (*candidates, *profile.default_time_zones):
        if _candidate_zones(name):
            return name
    return "UTC"


def _zones_for(request: CheckRequest, customer: Any, point: Any, phones: list[Any]) -> tuple:
    if point is not None:
        return _candidate_zones(customer.time_zone, point.time_zone or None, **_phone_zones(point))
    names: list[str] = list(_candidate_zones(customer.time_zone))
    if CHANNEL_POINT_KIND.get(request.channel) == "phone":
        for phone in phones:
            if phone.kind == "phone" and phone.usable:
                names.extend(_candidate_zones(None, phone.time_zone or None, **_phone_zones(phone)))
    return tuple(dict.fromkeys(names))


def _consent_window(c: _LoggedContact) -> tuple[datetime, datetime] | None:
    """The consent to call this entry records: (given at, valid until), capped at 7 days."""
    cap = c.at + timedelta(days=CONSENT_DAYS)
    if c.consent_until is not None:
        return (c.at, min(c.consent_until, cap)) if c.consent_until > c.at else None
    if c.disposition == CALLBACK_REQUESTED:
        return (c.at, cap)
    return None


def _prior_contacts(
    contacts: list[_LoggedContact],
) -> tuple[list[rules.PriorContact], tuple[datetime, datetime] | None]:
    """The pure prior contacts, and the latest consent to call still open after them.

    Consent (1006.14(b)(3)): an entry with ``consent_to_call_until`` (or, for older rows, a
    ``callback_requested`` disposition: 7 days); a call placed inside that window and before
    the next telephone conversation is made with consent.
    """
    out: list[rules.PriorContact] = []
    consent: tuple[datetime, datetime] | None = None
    for c in contacts:
        outbound_call = c.channel == rules.CALL and c.direction == "outbound"
        with_consent = outbound_call and consent is not None and consent[0] < c.at < consent[1]
        out.append(
            rules.PriorContact(
                at=c.at,
                channel=c.channel,
                direction=c.direction,
                outcome=c.outcome,
                with_consent=with_consent,
            )
        )
        given = _consent_window(c)
        if given is not None:
            consent = given
        elif c.outcome == rules.CONVERSATION and c.channel in (rules.CALL, rules.INBOUND_CALL):
            consent = None
    return out, consent


def _context(
    *,
    request: CheckRequest,
    account: Account,
    profile: rules.Profile,
    point: Any,
    phones: list[Any],
    restrictions: list[CommunicationRestriction],
    contacts: list[_LoggedContact],
    first_communicated_at: datetime | None,
) -> tuple[rules.ContactContext, dict[str, Any]]:
    customer = account.customer
    at = request.at
    zones = _zones_for(request, customer, point, phones)
    tz = ZoneInfo(_display_zone(zones, profile))

    per_debtor = profile.daily_connected_call_cap is not None
    relevant = [c for c in contacts if per_debtor or c.account_id == account.pk]
    consent: tuple[datetime, datetime] | None = None
    prior: list[rules.PriorContact] = []
    if contacts:  # most reminders go to debtors with no recent contact
        # Consent is per debt: it comes from this account's log only.
        own = [c for c in contacts if c.account_id == account.pk and c.at <= at]
        consent = _prior_contacts(own)[1]
        prior = _prior_contacts(relevant)[0]
    consent_at, consent_until = consent if consent is not None and at < consent[1] else (None, None)

    applicable = [r for r in restrictions if r.account_id in (None, account.pk)]
    template = request.template
    if template is not None and template.jurisdiction != customer.jurisdiction:
        raise ValidationError({"template": _("This template is for another jurisdiction.")})
    message = request.message
    if not message and template is not None:
        message = template_render(template, account_values(account))
    language = request.language or (template.language if template else None) or customer.language
    written = request.channel in rules.DISCLOSURE_CHANNELS and bool(message)
    letter_kind = ""
    if request.channel == "letter":
        letter_kind = request.letter_kind or (
            rules.letter_kind_for(template.code) if template is not None else ""
        )
    is_first = written and (first_communicated_at is None or first_communicated_at >= at)

    ctx = rules.ContactContext(
        at=at,
        channel=request.channel,
        profile=profile,
        candidate_time_zones=zones,
        prior_contacts=tuple(prior),
        restrictions=tuple(r.as_rule(tz) for r in applicable),
        consent_until=consent_until,
        consent_given_at=consent_at,
        is_first_contact=is_first,
        message=message,
        language=language,
        recipient_is_third_party=request.recipient == "third_party",
        recipient_is_attorney=request.recipient == "attorney",
        recipient_is_estate_representative=request.recipient == "estate",
        statute_of_limitations_date=account.statute_of_limitations_date,
        contact_point_opted_out=bool(point is not None and point.opted_out),
        contact_point_id=None if point is None else point.pk,
        solicited=request.solicited,
        letter_kind=letter_kind,
        wording_message=_links_masked(message),
    )
    summary = _profile_summary(profile)
    inputs = {
        "profile": {**summary, "window": list(summary["window"])},
        "candidate_time_zones": list(zones),
        "prior_contact_ids": [c.id for c in relevant],
        "counted_calls": sum(
            1
            for p in prior
            if p.channel == rules.CALL
            and p.direction == "outbound"
            and p.outcome not in rules.NOT_CONNECTED_OUTCOMES
            and not p.with_consent
        ),
        "restriction_ids": [r.pk for r in applicable],
        "consent_given_at": None if consent_at is None else consent_at.isoformat(),
        "is_first_contact": is_first if written else None,
        "language": language,
        "recipient": request.recipient,
        "message": message,
        "message_sha256": hashlib.sha256(message.encode()).hexdigest() if message else None,
        "template": None if template is None else template.pk,
        "statute_of_limitations_date": _iso(account.statute_of_limitations_date),
        "contact_point_opted_out": ctx.contact_point_opted_out,
        "solicited": request.solicited,
        **({"letter_kind": letter_kind} if letter_kind else {}),
    }
    return ctx, inputs


def _links_masked(message: str) -> str | None:
    """``message`` with each portal link token Settle signed replaced by zeros of its length
    (offsets unchanged), for the wording checks; None when it holds none. Only a token whose
    signature verifies is masked, so nothing written by a person can hide behind one."""
    spans = signed_token_spans(message) if message else []
    if not spans:
        return None
    parts: list[str] = []
    end = 0
    for start, stop in spans:
        parts += [message[end:start], "0" * (stop - start)]
        end = stop
    parts.append(message[end:])
    return "".join(parts)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


_summaries: dict[int, tuple[rules.Profile, dict[str, Any]]] = {}


def _profile_summary(profile: rules.Profile) -> dict[str, Any]:
    """Built once per profile object (profiles are long-lived; kept with the summary so its
    id is not reused); callers copy it."""
    hit = _summaries.get(id(profile))
    if hit is not None and hit[0] is profile:
        return hit[1]
    if len(_summaries) > 64:
        _summaries.clear()
    summary = _profile_summary_build(profile)
    _summaries[id(profile)] = (profile, summary)
    return summary


def _profile_summary_build(profile: rules.Profile) -> dict[str, Any]:
    return {
        "code": profile.code,
        "window": [profile.window_start.isoformat(), profile.window_end.isoformat()],
        "weekly_call_limit": profile.weekly_call_limit,
        "weekly_window_days": profile.weekly_window_days,
        "post_conversation_quiet_days": profile.post_conversation_quiet_days,
        "daily_connected_call_cap": profile.daily_connected_call_cap,
    }


def _violation_json(v: rules.Violation) -> dict[str, Any]:
    return {
        "rule": v.rule,
        "citation": v.citation,
        "message": v.message,
        "category": v.category,
        "span": v.span,
        "earliest_ok": None if v.earliest_ok is None else v.earliest_ok.isoformat(),
    }


# --- Templates and previews ----------------------------------------------------------------


def template_render(template: Any, values: dict[str, str]) -> str:
    """Subject (for email) and body with ``{placeholders}`` filled; unknown ones are kept."""

    def fill(text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text or "")

    subject = fill(template.subject) if template.channel == "email" else ""
    body = fill(template.body)
    return f"{subject}\n{body}" if subject else body


def account_values(account: Account) -> dict[str, str]:
    """Placeholder values for a real account (for ``contact_check`` with a template)."""
    due = account.delinquent_since
    return {
        "name": account.customer.name,
        "amount": f"{account.past_due_amount:.2f}",
        "currency": account.currency,
        "due_date": "" if due is None else due.isoformat(),
        "account_last4": account.number[-4:],
    }


def template_check(template: Any) -> list[rules.Violation]:
    """A message template's wording (1006.14, 1006.18; 第68条), disclosures by its stage
    (1006.18(e)), for SMS and email its opt-out line (1006.6(e)) and for a letter the items
    its kind requires (1006.34(c); 第69条), in its language and jurisdiction, rendered with
    sample values. Empty means it may be saved and used."""
    profile = profile_for(template.jurisdiction)
    language = "zh" if str(template.language).lower().startswith("zh") else "en"
    text = template_render(template, SAMPLE_VALUES[language])
    ctx = rules.ContactContext(
        at=timezone.now(),
        channel=template.channel,
        profile=profile,
        is_first_contact=template.stage == rules.FIRST_CONTACT,
        message=text,
        language=template.language,
        letter_kind=rules.letter_kind_for(template.code) if template.channel == "letter" else "",
    )
    found = (
        rules.check_wording(text, profile)
        + rules.check_disclosures(ctx, profile)
        + rules.check_letter_items(ctx, profile)
    )
    order = {code: i for i, code in enumerate(rules.RULE_CODES)}
    return sorted(found, key=lambda v: order.get(v.rule, len(order)))


def message_preview(text: str, *, jurisdiction: str) -> list[rules.WordingFinding]:
    """Prohibited wording in ``text`` (every language), with offsets for highlighting."""
    return rules.find_prohibited_wording(text, profile_for(jurisdiction).wording)


# --- Restrictions --------------------------------------------------------------------------

#: Kinds that follow the customer across their accounts unless told otherwise; a dispute is
#: about one debt (1006.38).
ACCOUNT_SCOPED_KINDS = frozenset({RestrictionKind.DISPUTE_PENDING})


class RestrictionHeldByDispute(DomainConflict):
    """A dispute's hold ends when the dispute is resolved or rejected, not by hand (1006.34)."""


class RestrictionAlreadyEnded(DomainConflict):
    pass


def customer_today(customer: Any, now: datetime) -> date:
    zone = rules.candidate_time_zones(customer.time_zone)
    return now.astimezone(ZoneInfo(zone[0]) if zone else UTC).date()


@transaction.atomic
def restriction_create(
    *,
    by: User | None,
    account: Account,
    kind: str,
    source: str,
    all_accounts: bool | None = None,
    channel: str = "",
    contact_point: Any = None,
    not_before: Any = None,
    not_after: Any = None,
    attorney_name: str = "",
    attorney_phone: str = "",
    attorney_email: str = "",
    effective_from: date | None = None,
    effective_to: date | None = None,
    notes: str = "",
    now: datetime | None = None,
) -> CommunicationRestriction:
    """Record a restriction on contacting ``account``'s customer (audited).

    ``all_accounts`` defaults to True except for a dispute, which concerns one debt.
    ``effective_from`` defaults to today in the customer's zone.
    """
    now = now or timezone.now()
    if all_accounts is None:
        all_accounts = kind not in ACCOUNT_SCOPED_KINDS
    restriction = CommunicationRestriction(
        customer=account.customer,
        account=None if all_accounts else account,
        kind=kind,
        channel=channel or "",
        contact_point=contact_point,
        not_before=not_before,
        not_after=not_after,
        attorney_name=attorney_name or "",
        attorney_phone=attorney_phone or "",
        attorney_email=attorney_email or "",
        effective_from=effective_from or customer_today(account.customer, now),
        effective_to=effective_to,
        source=source,
        notes=notes or "",
        created_by=by if by is not None and by.is_authenticated else None,
    )
    restriction.full_clean()
    with transaction.atomic():
        with acting_as(by):
            restriction.save()
        if restriction.effective_from <= customer_today(account.customer, now):
            with translation.override("en"):  # stored, like every note: in English
                note = _("No call may be placed: %(kind)s.") % {
                    "kind": restriction.get_kind_display().lower()
                }
            callbacks_cancel(
                callbacks=_callbacks_it_forbids(restriction), by=by, now=now, note=note
            )
    return restriction


#: Restrictions under which no call at all may be placed to the customer.
NO_CALL_KINDS = (
    RestrictionKind.CEASE_COMMUNICATION,
    RestrictionKind.ATTORNEY_REPRESENTED,
    RestrictionKind.DECEASED,
    RestrictionKind.BANKRUPTCY,
)


def _callbacks_it_forbids(restriction: CommunicationRestriction):
    """The open callbacks a new restriction makes impossible: every one of the customer's (or
    the account's) under a cease, an attorney or a death; under an opt-out of calls, those to
    the opted-out number (all of them when no number is named)."""
    callbacks = CallbackTask.objects.open().filter(account__customer_id=restriction.customer_id)
    if restriction.account_id is not None:
        callbacks = callbacks.filter(account_id=restriction.account_id)
    if restriction.kind in NO_CALL_KINDS:
        return callbacks
    if restriction.kind == RestrictionKind.CHANNEL_OPT_OUT and restriction.channel in (
        "",
        Channel.CALL,
    ):
        if restriction.contact_point_id is not None:
            return callbacks.filter(contact_point_id=restriction.contact_point_id)
        return callbacks
    return callbacks.none()


@transaction.atomic
def restriction_end(
    *,
    restriction: CommunicationRestriction,
    by: User | None,
    reason: str = "",
    now: datetime | None = None,
) -> CommunicationRestriction:
    """Lift a restriction from ``now`` on (audited); the row stays as history."""
    now = now or timezone.now()
    restriction = CommunicationRestriction.objects.select_for_update().get(pk=restriction.pk)
    if restriction.ended_at is not None:
        raise RestrictionAlreadyEnded(_("This restriction has already ended."))
    held = Dispute.objects.filter(restriction_id=restriction.pk).exclude(
        status__in=CLOSED_CASE_STATUSES
    )
    if held.exists():
        raise RestrictionHeldByDispute(
            _("This hold ends when its dispute is resolved or rejected, not before.")
        )
    restriction.ended_at = now
    restriction.ended_by = by if by is not None and by.is_authenticated else None
    restriction.end_reason = reason or ""
    with acting_as(by):
        restriction.save(update_fields=["ended_at", "ended_by", "end_reason"])
    return restriction


def restriction_is_active(
    restriction: CommunicationRestriction, *, at: datetime, tz: tzinfo | None = None
) -> bool:
    """In force at ``at``: started (local day), not past its last day, not ended."""
    if tz is None:
        zone = rules.candidate_time_zones(restriction.customer.time_zone)
        tz = ZoneInfo(zone[0]) if zone else UTC
    day = at.astimezone(tz).date()
    if day < restriction.effective_from:
        return False
    if restriction.effective_to is not None and day > restriction.effective_to:
        return False
    return restriction.ended_at is None or at < restriction.ended_at
