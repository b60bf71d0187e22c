"""The words the rules speak: rule codes, wording categories, channels and outcomes, and the
plain dataclasses a check takes (`Profile`, `ContactContext` …) and returns (`Violation`,
`Decision`). The database layer (``compliance.profiles``) loads the same shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from types import MappingProxyType
from typing import Any

from django.utils.translation import gettext_noop

# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

CONTACT_WINDOW = "contact_window"
CALL_FREQUENCY = "call_frequency"
POST_CONVERSATION = "post_conversation"
DAILY_CALL_CAP = "daily_call_cap"
CEASE_COMMUNICATION = "cease_communication"
ATTORNEY_REPRESENTED = "attorney_represented"
DISPUTE_PENDING = "dispute_pending"
CHANNEL_OPT_OUT = "channel_opt_out"
PROHIBITED_WORDING = "prohibited_wording"
MISSING_DISCLOSURE = "missing_disclosure"
MISSING_OPT_OUT = "missing_opt_out"
TIME_BARRED_THREAT = "time_barred_threat"
THIRD_PARTY_DISCLOSURE = "third_party_disclosure"
DECEASED = "deceased"
MISSING_LETTER_ITEM = "missing_letter_item"
#: A legal hold: the customer's bankruptcy stays all collection until it is lifted.
BANKRUPTCY = "bankruptcy"

#: Rule codes in API.md order; violations are sorted by this order.
RULE_CODES: tuple[str, ...] = (
    CONTACT_WINDOW,
    CALL_FREQUENCY,
    POST_CONVERSATION,
    DAILY_CALL_CAP,
    CEASE_COMMUNICATION,
    ATTORNEY_REPRESENTED,
    DISPUTE_PENDING,
    CHANNEL_OPT_OUT,
    PROHIBITED_WORDING,
    MISSING_DISCLOSURE,
    MISSING_OPT_OUT,
    TIME_BARRED_THREAT,
    THIRD_PARTY_DISCLOSURE,
    DECEASED,
    MISSING_LETTER_ITEM,
    BANKRUPTCY,
)

#: Wording categories and the plain-language label used in violation messages.
WORDING_CATEGORIES: Mapping[str, str] = MappingProxyType(
    {
        "threat_of_harm": gettext_noop("Threat of violence or harm"),
        "insult": gettext_noop("Insult or profanity"),
        "false_legal_threat": gettext_noop(
            "False threat of arrest, jail, seizure, garnishment or suit"
        ),
        "impersonation": gettext_noop(
            "Impersonating a court, the police, a lawyer or the government"
        ),
        "third_party_disclosure_threat": gettext_noop(
            "Threat to tell the employer, family or contacts"
        ),
        "misstatement": gettext_noop("Misstating the debt or its consequences"),
    }
)

CALL = "call"
INBOUND_CALL = "inbound_call"
#: Channels the contact window applies to (letters are exempt).
WINDOW_CHANNELS = frozenset({"call", "sms", "email", "visit"})
#: Written channels that must carry the 1006.18(e) disclosures.
DISCLOSURE_CHANNELS = frozenset({"sms", "email", "letter"})
#: Electronic channels that must carry an opt-out (1006.6(e)).
OPT_OUT_CHANNELS = frozenset({"sms", "email"})
#: Outcomes of a placed call that never connected; such calls do not count (1006.14(b)(3)).
NOT_CONNECTED_OUTCOMES = frozenset({"not_connected", "failed", "bounced"})
CONVERSATION = "conversation"

FIRST_CONTACT = "first_contact"
SUBSEQUENT = "subsequent"


# --------------------------------------------------------------------------------------------
# What a check takes and returns
# --------------------------------------------------------------------------------------------


def _require_aware(value: datetime | None, name: str) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")


@dataclass(frozen=True)
class WordingPattern:
    """One phrase/pattern maintained as data; `rule` is the rule code a match violates.

    `prohibited_wording` patterns carry one of `WORDING_CATEGORIES`; `time_barred_threat`
    patterns (category "suit_threat") detect a threat of suit; `third_party_disclosure`
    patterns (category "debt_mention") detect a mention of the debt.
    """

    category: str
    language: str
    pattern: str
    rule: str = PROHIBITED_WORDING


@dataclass(frozen=True)
class WordingFinding:
    """A match the UI can highlight: `text[start:end] == span`."""

    category: str
    span: str
    start: int
    end: int
    pattern: str
    rule: str = PROHIBITED_WORDING


@dataclass(frozen=True)
class DisclosureRequirement:
    """One statement a written message must contain; any phrasing in `accepted` satisfies it.

    `stage` is "first_contact" or "subsequent"; `accepted` are case-insensitive regexes in
    `language`. 12 CFR 1006.18(e).
    """

    key: str
    stage: str
    language: str
    accepted: tuple[str, ...]
    description: str


@dataclass(frozen=True, kw_only=True)
class Profile:
    """A jurisdiction's rule set as plain data (the DB layer loads the same shape).

    A limit of ``None`` switches that rule off; empty disclosure/opt-out data means no such
    text is required. `citations` is keyed by rule code, or ``"rule:category"`` for a
    wording category (falls back to the rule code).
    """

    code: str
    window_start: time
    window_end: time
    weekly_call_limit: int | None = None
    weekly_window_days: int = 7
    post_conversation_quiet_days: int | None = None
    daily_connected_call_cap: int | None = None
    citations: Mapping[str, str] = field(default_factory=dict, hash=False)
    disclosures: tuple[DisclosureRequirement, ...] = ()
    opt_out_phrases: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    wording: tuple[WordingPattern, ...] = ()
    default_time_zones: tuple[str, ...] = ()

    def citation(self, rule: str, category: str | None = None) -> str:
        """The citation for `rule` (and wording `category`), or "" when none is configured."""
        if category is not None:
            specific = self.citations.get(f"{rule}:{category}")
            if specific:
                return specific
        return self.citations.get(rule, "")


@dataclass(frozen=True)
class PriorContact:
    """A logged contact on this debt (for CN profiles: on any debt of this debtor)."""

    at: datetime
    channel: str
    direction: str = "outbound"
    outcome: str = "no_answer"
    to_attorney: bool = False
    with_consent: bool = False

    def __post_init__(self) -> None:
        _require_aware(self.at, "PriorContact.at")


@dataclass(frozen=True)
class Restriction:
    """A communication restriction on file; `channel`/`contact_point_id` narrow its scope."""

    kind: str
    channel: str | None = None
    contact_point_id: int | None = None
    not_before: time | None = None
    not_after: time | None = None
    effective_from: date | datetime = date.min
    effective_to: date | datetime | None = None

    def __post_init__(self) -> None:
        for name in ("effective_from", "effective_to"):
            value = getattr(self, name)
            if isinstance(value, datetime):
                _require_aware(value, f"Restriction.{name}")


@dataclass(frozen=True, kw_only=True)
class ContactContext:
    """Everything the rules need to judge one proposed contact at `at`.

    `consent_until`: the consumer's direct consent to be called, valid while `at` is before
    it. The caller caps it at 7 days after it was given and clears it when revoked; when
    `consent_given_at` is supplied the rules also end it 7 days after it was given and at the
    first telephone conversation after it (COMPLIANCE.md, 1006.14(b)(3)).
    """

    at: datetime
    channel: str
    profile: Profile
    candidate_time_zones: tuple[str, ...] = ()
    prior_contacts: tuple[PriorContact, ...] = ()
    restrictions: tuple[Restriction, ...] = ()
    consent_until: datetime | None = None
    consent_given_at: datetime | None = None
    is_first_contact: bool = False
    message: str = ""
    language: str = "en"
    recipient_is_third_party: bool = False
    recipient_is_attorney: bool = False
    recipient_is_estate_representative: bool = False
    statute_of_limitations_date: date | None = None
    contact_point_opted_out: bool = False
    contact_point_id: int | None = None
    #: A message the customer asked for a moment ago (a verification code, the confirmation
    #: of their opt-out, the help text): a reply within a conversation they started, like an
    #: inbound call. Only the wording checks apply (no threats or insults, whatever the path).
    solicited: bool = False
    #: A letter's kind (``compliance.rules.letters``): its text must carry that kind's items.
    letter_kind: str = ""
    #: ``message`` as the wording checks read it, when it differs: with the portal links
    #: Settle signed masked (``compliance.services``); None reads ``message``.
    wording_message: str | None = None

    @property
    def wording_text(self) -> str:
        """The text the wording checks scan (threats, insults, disclosure to third parties)."""
        return self.message if self.wording_message is None else self.wording_message

    def __post_init__(self) -> None:
        _require_aware(self.at, "ContactContext.at")
        _require_aware(self.consent_until, "ContactContext.consent_until")
        _require_aware(self.consent_given_at, "ContactContext.consent_given_at")


@dataclass(frozen=True)
class Violation:
    """A broken rule. `earliest_ok` is the earliest UTC instant at which this rule alone
    would pass, or None when waiting does not help."""

    rule: str
    citation: str
    message: str
    earliest_ok: datetime | None = None
    category: str | None = None
    span: str | None = None
    #: ``message`` is ``template % dict(params)``: the English text stays the stored and API
    #: text, while pages show ``gettext(template) % params`` in the user's language.
    template: str = ""
    params: tuple[tuple[str, Any], ...] = ()

    def as_dict(self) -> dict[str, str]:
        """The API shape: rule, citation, message."""
        return {"rule": self.rule, "citation": self.citation, "message": self.message}


def _violation(
    rule: str,
    citation: str,
    template: str,
    earliest_ok: datetime | None = None,
    *,
    category: str | None = None,
    span: str | None = None,
    **params: Any,
) -> Violation:
    """A Violation whose message is ``template`` (marked with ``gettext_noop``) filled in;
    ``%(span)s`` in a template is the matched text."""
    if span is not None:
        params["span"] = span
    return Violation(
        rule,
        citation,
        template % params,
        earliest_ok,
        category=category,
        span=span,
        template=template,
        params=tuple(params.items()),
    )


@dataclass(frozen=True)
class Decision:
    """The outcome of `evaluate`; `next_allowed_at` is UTC, None if allowed or incurable."""

    allowed: bool
    violations: tuple[Violation, ...]
    next_allowed_at: datetime | None
