"""Pure compliance rules: may this outbound contact happen, and if not, when?

No Django here. `evaluate` takes a `ContactContext`, runs the checks that apply to the
channel and returns a `Decision`: the `Violation`s and `next_allowed_at`. `check_wording` and
`check_disclosures` also judge a template's text on its own.

Conventions (see COMPLIANCE.md for the rules themselves):

* All instants are aware datetimes; results (`earliest_ok`, `next_allowed_at`) are in UTC.
  Naive datetimes are rejected with ``ValueError``.
* Contact windows are half-open local intervals: 08:00 is allowed, 21:00:00 (US) or
  22:00:00 (CN) is not. When the consumer's location is uncertain the time must be inside the
  window in every candidate zone (12 CFR 1006.6(b)(1)(i), comment 6(b)(1)(i)-2).
* Calendar days (frequency, quiet period, daily cap, restriction dates) are days in the
  customer's zone: the first candidate zone, else the profile's first default zone.
* A restriction bound given as a ``date`` covers that whole local day (``effective_to`` is
  inclusive); a ``datetime`` bound is an instant (``effective_to`` exclusive).
* What counts as a call (1006.14(b)(3)): an outbound "call" whose outcome is anything but
  not_connected/failed/bounced. wrong_number counts (it connected; the stricter reading).
  Calls to the attorney or made with consent do not count. Any "conversation" (outbound call
  or inbound_call, not with the attorney) starts the 7-day quiet period. A proposed call with
  valid consent is exempt from both frequency rules; one to the attorney likewise.
* CN's daily cap is per debtor: for CN, pass the debtor's calls on all debts.
* Regex patterns (wording, disclosures, opt-out) are matched case-insensitively against the
  raw text, so finding offsets are offsets into the text the UI shows. All languages' wording
  patterns run on every message; disclosures and opt-out must be in the message's language.
  Patterns are compiled once per pattern tuple / profile object (cached by identity), so keep
  Profile objects long-lived.
* Hard rules (restrictions without an end, wording, disclosures, third parties, time-barred
  threats) have ``earliest_ok=None``; one of them makes ``next_allowed_at`` None.

Where things are (everything public is re-exported here, so ``from compliance import rules``
and ``rules.evaluate(...)`` work as before):

* ``vocabulary``: rule codes, wording categories, channels, and the dataclasses
  (`Profile`, `ContactContext`, `Violation`, `Decision` …).
* ``wording_data``: the built-in prohibited-wording, suit-threat and debt-mention patterns.
* ``builtin_profiles``: the built-in US and CN profiles (``PROFILES``); not to be confused with
  ``compliance.profiles``, which builds the profiles in use from the admin-edited rows.
* ``wording``: the compiled-pattern cache, the literal prefilter and the wording scan.
* ``zones``: candidate time zones, local time across DST, contact-window intervals.
* ``letters``: letter kinds and the items each must contain (1006.34(c); 第69条).
* ``checks``: the checks and `evaluate`.
"""

from __future__ import annotations

from compliance.rules.builtin_profiles import (
    CN_PROFILE,
    PROFILES,
    US_DISCLOSURES,
    US_OPT_OUT_PHRASES,
    US_PROFILE,
)
from compliance.rules.checks import (
    check_disclosures,
    check_letter_items,
    check_wording,
    evaluate,
    time_barred,
)
from compliance.rules.letters import (
    COLLECTION_NOTICE,
    LEGAL_NOTICE,
    LETTER_ITEMS,
    LETTER_KINDS,
    VALIDATION_NOTICE,
    LetterItem,
    letter_items,
    letter_kind_for,
)
from compliance.rules.vocabulary import (
    ATTORNEY_REPRESENTED,
    BANKRUPTCY,
    CALL,
    CALL_FREQUENCY,
    CEASE_COMMUNICATION,
    CHANNEL_OPT_OUT,
    CONTACT_WINDOW,
    CONVERSATION,
    DAILY_CALL_CAP,
    DECEASED,
    DISCLOSURE_CHANNELS,
    DISPUTE_PENDING,
    FIRST_CONTACT,
    INBOUND_CALL,
    MISSING_DISCLOSURE,
    MISSING_LETTER_ITEM,
    MISSING_OPT_OUT,
    NOT_CONNECTED_OUTCOMES,
    OPT_OUT_CHANNELS,
    POST_CONVERSATION,
    PROHIBITED_WORDING,
    RULE_CODES,
    SUBSEQUENT,
    THIRD_PARTY_DISCLOSURE,
    TIME_BARRED_THREAT,
    WINDOW_CHANNELS,
    WORDING_CATEGORIES,
    ContactContext,
    Decision,
    DisclosureRequirement,
    PriorContact,
    Profile,
    Restriction,
    Violation,
    WordingFinding,
    WordingPattern,
)
from compliance.rules.wording import (
    find_prohibited_wording,
    pattern_error,
    required_literals,
)
from compliance.rules.wording_data import (
    DEBT_MENTION_PATTERNS,
    DEFAULT_WORDING,
    SUIT_THREAT_PATTERNS,
)
from compliance.rules.zones import (
    WINDOW_SEARCH_DAYS,
    candidate_time_zones,
)

__all__ = [
    "COLLECTION_NOTICE",
    "LEGAL_NOTICE",
    "LETTER_ITEMS",
    "LETTER_KINDS",
    "VALIDATION_NOTICE",
    "LetterItem",
    "letter_items",
    "letter_kind_for",
    "ATTORNEY_REPRESENTED",
    "CALL",
    "CALL_FREQUENCY",
    "CEASE_COMMUNICATION",
    "CHANNEL_OPT_OUT",
    "CN_PROFILE",
    "CONTACT_WINDOW",
    "CONVERSATION",
    "ContactContext",
    "DAILY_CALL_CAP",
    "DEBT_MENTION_PATTERNS",
    "BANKRUPTCY",
    "DECEASED",
    "DEFAULT_WORDING",
    "DISCLOSURE_CHANNELS",
    "DISPUTE_PENDING",
    "Decision",
    "DisclosureRequirement",
    "FIRST_CONTACT",
    "INBOUND_CALL",
    "MISSING_DISCLOSURE",
    "MISSING_LETTER_ITEM",
    "MISSING_OPT_OUT",
    "NOT_CONNECTED_OUTCOMES",
    "OPT_OUT_CHANNELS",
    "POST_CONVERSATION",
    "PROFILES",
    "PROHIBITED_WORDING",
    "PriorContact",
    "Profile",
    "RULE_CODES",
    "Restriction",
    "SUBSEQUENT",
    "SUIT_THREAT_PATTERNS",
    "THIRD_PARTY_DISCLOSURE",
    "TIME_BARRED_THREAT",
    "US_DISCLOSURES",
    "US_OPT_OUT_PHRASES",
    "US_PROFILE",
    "Violation",
    "WINDOW_CHANNELS",
    "WINDOW_SEARCH_DAYS",
    "WORDING_CATEGORIES",
    "WordingFinding",
    "WordingPattern",
    "candidate_time_zones",
    "check_disclosures",
    "check_letter_items",
    "check_wording",
    "evaluate",
    "time_barred",
    "find_prohibited_wording",
    "pattern_error",
    "required_literals",
]
