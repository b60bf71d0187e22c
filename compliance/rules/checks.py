"""The checks: may this outbound contact happen, and if not, when?

Each check reads a `ContactContext` (`check_wording`: only the text) and a `Profile` and
returns a list of `Violation`s; `evaluate` runs the checks that apply to the channel and works
out `next_allowed_at`. `check_wording` and `check_disclosures` also serve the template check.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_noop

from compliance.rules.letters import LEGAL_NOTICE, LETTER_KINDS, letter_items
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
    _violation,
)
from compliance.rules.wording import _cached, _compile, find_prohibited_wording
from compliance.rules.zones import (
    _bound_end,
    _bound_start,
    _earliest_in_window,
    _inside,
    _intersect,
    _local_midnight,
    _resolve_zones,
    _span,
)

_RULE_ORDER = {code: i for i, code in enumerate(RULE_CODES)}
#: Bound on the fixed-point iteration in `evaluate`.
_MAX_ROUNDS = 64


# --------------------------------------------------------------------------------------------
# Compiled disclosure and opt-out patterns; restriction scope
# --------------------------------------------------------------------------------------------


def _compiled_disclosures(
    profile: Profile,
) -> tuple[tuple[DisclosureRequirement, tuple[re.Pattern[str], ...]], ...]:
    return _cached(
        "disclosures",
        profile.disclosures,
        lambda reqs: tuple((r, tuple(_compile(a) for a in r.accepted)) for r in reqs),
    )


def _compiled_opt_out(profile: Profile) -> dict[str, tuple[re.Pattern[str], ...]]:
    return _cached(
        "opt_out",
        profile.opt_out_phrases,
        lambda phrases: {lang: tuple(_compile(p) for p in ps) for lang, ps in phrases.items()},
    )


def _restriction_active(r: Restriction, at: datetime, tz: tzinfo) -> bool:
    if at < _bound_start(r.effective_from, tz):
        return False
    return r.effective_to is None or at < _bound_end(r.effective_to, tz)


def _restriction_in_scope(r: Restriction, ctx: ContactContext) -> bool:
    if r.channel is not None and r.channel != ctx.channel:
        return False
    return r.contact_point_id is None or r.contact_point_id == ctx.contact_point_id


def _fmt_time(t: time) -> str:
    return t.strftime("%H:%M")


# --------------------------------------------------------------------------------------------
# Call history (built once per context, O(n) over prior contacts)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CallHistory:
    counted_per_day: Mapping[date, int]
    conversation_days: tuple[date, ...]
    connected_per_day: Mapping[date, int]

    @classmethod
    def build(cls, contacts: Iterable[PriorContact], tz: tzinfo) -> _CallHistory:
        counted: Counter[date] = Counter()
        connected: Counter[date] = Counter()
        conversations: set[date] = set()
        for c in contacts:
            is_call = c.channel in (CALL, INBOUND_CALL)
            if not is_call or c.to_attorney:
                continue
            day = c.at.astimezone(tz).date()
            if c.outcome == CONVERSATION:
                # Inbound or outbound, a conversation starts the quiet period (1006.14(b)(2)(i)(B)).
                conversations.add(day)
            outbound = c.channel == CALL and c.direction == "outbound"
            if not outbound or c.outcome in NOT_CONNECTED_OUTCOMES:
                continue
            if not c.with_consent:
                counted[day] += 1  # 1006.14(b)(3): connected, not to attorney, not consented
            if c.outcome == CONVERSATION:
                connected[day] += 1  # GB/T 45251-2025 "effective" call
        return cls(counted, tuple(sorted(conversations)), connected)


def _has_call_consent(ctx: ContactContext) -> bool:
    """Consent given directly within 7 days, not revoked, not ended by a conversation."""
    if ctx.consent_until is None or ctx.at >= ctx.consent_until:
        return False
    given = ctx.consent_given_at
    if given is None:
        return True
    if ctx.at < given or ctx.at - given > timedelta(days=7):
        return False
    return not any(
        c.outcome == CONVERSATION and c.channel in (CALL, INBOUND_CALL) and given < c.at <= ctx.at
        for c in ctx.prior_contacts
    )


# --------------------------------------------------------------------------------------------
# Checks: time-based
# --------------------------------------------------------------------------------------------


def _window_violations(
    ctx: ContactContext, profile: Profile, zones: Sequence[tuple[str, ZoneInfo]]
) -> list[Violation]:
    """Calls, texts, emails and visits only inside the window in every candidate zone, and
    outside times the customer said are inconvenient. 12 CFR 1006.6(b)(1)(i); GB/T 45251-2025.
    """
    if ctx.channel not in WINDOW_CHANNELS:
        return []
    base = _span(profile.window_start, profile.window_end)
    customer_tz = zones[0][1]
    preferences = [
        r
        for r in ctx.restrictions
        if r.kind == "inconvenient_time"
        and _restriction_in_scope(r, ctx)
        and _restriction_active(r, ctx.at, customer_tz)
    ]
    allowed = base
    for r in preferences:
        allowed = _intersect(allowed, _span(r.not_before, r.not_after))

    locals_ = [(name, ctx.at.astimezone(z)) for name, z in zones]
    outside_window = [(n, lt) for n, lt in locals_ if not _inside(lt, base)]
    outside_preference = [
        r
        for r in preferences
        if any(not _inside(lt, _span(r.not_before, r.not_after)) for _, lt in locals_)
    ]
    if not outside_window and not outside_preference:
        return []

    earliest = _earliest_in_window(ctx.at, zones, allowed) if allowed else None
    citation = profile.citation(CONTACT_WINDOW)
    window = f"{_fmt_time(profile.window_start)}-{_fmt_time(profile.window_end)}"
    out: list[Violation] = []
    if outside_window:
        where = ", ".join(f"{lt.strftime('%H:%M')} in {n}" for n, lt in outside_window)
        out.append(
            _violation(
                CONTACT_WINDOW,
                citation,
                gettext_noop(
                    "Outside the allowed contact hours %(window)s local time (%(where)s)."
                ),
                earliest,
                window=window,
                where=where,
            )
        )
    for r in outside_preference:
        if r.not_before is not None and r.not_after is not None:
            template = gettext_noop(
                "The customer asked not to be contacted before %(before)s or after %(after)s."
            )
        elif r.not_before is not None:
            template = gettext_noop("The customer asked not to be contacted before %(before)s.")
        else:
            template = gettext_noop("The customer asked not to be contacted after %(after)s.")
        params = {
            "before": _fmt_time(r.not_before) if r.not_before is not None else "",
            "after": _fmt_time(r.not_after) if r.not_after is not None else "",
        }
        out.append(_violation(CONTACT_WINDOW, citation, template, earliest, **params))
    return out


def _frequency_violations(
    ctx: ContactContext, profile: Profile, tz: tzinfo, history: _CallHistory
) -> list[Violation]:
    """No more than 7 calls in 7 consecutive calendar days per debt. 12 CFR 1006.14(b)(2)(i)(A).

    Counts outbound calls that connected (any outcome but not_connected/failed/bounced; a
    wrong_number call connected, so it counts - the stricter reading), except calls to the
    consumer's attorney or made with consent (1006.14(b)(3)). The proposed call itself is
    exempt when made with valid consent or to the attorney.
    """
    limit = profile.weekly_call_limit
    if ctx.channel != CALL or limit is None or ctx.recipient_is_attorney:
        return []
    if _has_call_consent(ctx):
        return []
    days = profile.weekly_window_days
    counts = history.counted_per_day
    day = ctx.at.astimezone(tz).date()
    first = day - timedelta(days=days - 1)
    placed = sum(counts.get(first + timedelta(days=i), 0) for i in range(days))
    if placed < limit:
        return []
    # Slide the window forward until the proposed call would be within the limit.
    last_logged = max(counts) if counts else day
    ok_day, running = day, placed
    while running >= limit and ok_day <= last_logged + timedelta(days=days):
        running -= counts.get(ok_day - timedelta(days=days - 1), 0)
        ok_day += timedelta(days=1)
        running += counts.get(ok_day, 0)
    earliest = _local_midnight(ok_day, tz) if running < limit else None
    return [
        _violation(
            CALL_FREQUENCY,
            profile.citation(CALL_FREQUENCY),
            gettext_noop(
                "%(placed)s calls already placed on this debt from %(first)s to %(last)s;"
                " the limit is %(limit)s calls in %(days)s consecutive days."
            ),
            earliest,
            placed=placed,
            first=first.isoformat(),
            last=day.isoformat(),
            limit=limit,
            days=days,
        )
    ]


def _post_conversation_violations(
    ctx: ContactContext, profile: Profile, tz: tzinfo, history: _CallHistory
) -> list[Violation]:
    """No call within 7 days after a telephone conversation (inbound or outbound); the
    conversation's day is day 1. Calls with valid consent are excluded (1006.14(b)(3)).
    12 CFR 1006.14(b)(2)(i)(B).
    """
    quiet = profile.post_conversation_quiet_days
    if ctx.channel != CALL or quiet is None or ctx.recipient_is_attorney:
        return []
    if _has_call_consent(ctx):
        return []
    day = ctx.at.astimezone(tz).date()
    i = bisect.bisect_right(history.conversation_days, day)
    if i == 0:
        return []
    talked = history.conversation_days[i - 1]
    reopens = talked + timedelta(days=quiet)
    if day >= reopens:
        return []
    return [
        _violation(
            POST_CONVERSATION,
            profile.citation(POST_CONVERSATION),
            gettext_noop(
                "A telephone conversation about this debt took place on %(talked)s;"
                " no calls until %(reopens)s."
            ),
            _local_midnight(reopens, tz),
            talked=talked.isoformat(),
            reopens=reopens.isoformat(),
        )
    ]


def _daily_cap_violations(
    ctx: ContactContext, profile: Profile, tz: tzinfo, history: _CallHistory
) -> list[Violation]:
    """At most 3 effective (conversation) outbound calls per debtor per local day.
    GB/T 45251-2025. For CN, pass the debtor's calls on all debts as `prior_contacts`.
    """
    cap = profile.daily_connected_call_cap
    if ctx.channel != CALL or cap is None:
        return []
    day = ctx.at.astimezone(tz).date()
    connected = history.connected_per_day.get(day, 0)
    if connected < cap:
        return []
    return [
        _violation(
            DAILY_CALL_CAP,
            profile.citation(DAILY_CALL_CAP),
            gettext_noop(
                "%(connected)s connected calls already made on %(day)s; at most %(cap)s a day."
            ),
            _local_midnight(day + timedelta(days=1), tz),
            connected=connected,
            day=day.isoformat(),
            cap=cap,
        )
    ]


_RESTRICTION_TEXT = {
    CEASE_COMMUNICATION: gettext_noop(
        "The customer asked us to stop communicating; only a notice that collection efforts "
        "end or of a specific remedy may be sent."
    ),
    ATTORNEY_REPRESENTED: gettext_noop(
        "The customer is represented by an attorney; contact the attorney, not the customer."
    ),
    DISPUTE_PENDING: gettext_noop(
        "The debt is disputed; collection is paused until verification is sent."
    ),
    DECEASED: gettext_noop("The customer is deceased; contact only the estate's representative."),
    BANKRUPTCY: gettext_noop(
        "The customer is in bankruptcy; the stay halts all collection until it is lifted."
    ),
    CHANNEL_OPT_OUT: gettext_noop(
        "The customer asked not to be contacted through this channel or address."
    ),
}
# The same texts when the restriction has an end (one whole sentence pair to translate).
_RESTRICTION_TEXT_UNTIL = {
    CEASE_COMMUNICATION: gettext_noop(
        "The customer asked us to stop communicating; only a notice that collection efforts "
        "end or of a specific remedy may be sent. The restriction ends at %(ends)s."
    ),
    ATTORNEY_REPRESENTED: gettext_noop(
        "The customer is represented by an attorney; contact the attorney, not the customer."
        " The restriction ends at %(ends)s."
    ),
    DISPUTE_PENDING: gettext_noop(
        "The debt is disputed; collection is paused until verification is sent."
        " The restriction ends at %(ends)s."
    ),
    DECEASED: gettext_noop(
        "The customer is deceased; contact only the estate's representative."
        " The restriction ends at %(ends)s."
    ),
    CHANNEL_OPT_OUT: gettext_noop(
        "The customer asked not to be contacted through this channel or address."
        " The restriction ends at %(ends)s."
    ),
    BANKRUPTCY: gettext_noop(
        "The customer is in bankruptcy; the stay halts all collection until it is lifted."
        " The restriction ends at %(ends)s."
    ),
}


def _restriction_violations(ctx: ContactContext, profile: Profile, tz: tzinfo) -> list[Violation]:
    """Cease (1006.6(c)), attorney (1006.6(b)(2)), dispute (1006.38), deceased (1006.6(a)(4)),
    channel opt-out (1006.14(h)) and a bankruptcy stay (11 U.S.C. 362(a)) block the contact;
    waiting helps only when the restriction has an end.
    """
    out: list[Violation] = []
    if ctx.contact_point_opted_out:
        out.append(
            _violation(
                CHANNEL_OPT_OUT,
                profile.citation(CHANNEL_OPT_OUT),
                gettext_noop("This phone number or address is opted out."),
            )
        )
    for r in ctx.restrictions:
        if r.kind not in _RESTRICTION_TEXT:
            continue  # inconvenient_time is part of the contact window
        if not _restriction_in_scope(r, ctx) or not _restriction_active(r, ctx.at, tz):
            continue
        if ctx.recipient_is_attorney and r.kind in (CEASE_COMMUNICATION, ATTORNEY_REPRESENTED):
            continue
        if ctx.recipient_is_estate_representative and r.kind == DECEASED:
            continue
        ends = None if r.effective_to is None else _bound_end(r.effective_to, tz).astimezone(UTC)
        if ends is None:
            out.append(_violation(r.kind, profile.citation(r.kind), _RESTRICTION_TEXT[r.kind]))
        else:
            out.append(
                _violation(
                    r.kind,
                    profile.citation(r.kind),
                    _RESTRICTION_TEXT_UNTIL[r.kind],
                    ends,
                    ends=ends.isoformat(),
                )
            )
    return out


# --------------------------------------------------------------------------------------------
# Checks: content
# --------------------------------------------------------------------------------------------


def _language(code: str) -> str:
    code = (code or "en").lower()
    return "zh" if code.startswith("zh") else code.split("-")[0].split("_")[0]


def check_wording(message: str, profile: Profile) -> list[Violation]:
    """Threats, insults, false legal threats, impersonation, disclosure threats and
    misstatements, in English and Chinese. 12 CFR 1006.14, 1006.18; 第68条.
    """
    out: list[Violation] = []
    seen: set[tuple[str, str]] = set()
    for f in find_prohibited_wording(message, profile.wording):
        key = (f.category, f.span.casefold())
        if key in seen:
            continue
        seen.add(key)
        label = WORDING_CATEGORIES.get(f.category, f.category)
        out.append(
            _violation(
                PROHIBITED_WORDING,
                profile.citation(PROHIBITED_WORDING, f.category),
                gettext_noop('%(label)s: "%(span)s" must not be used.'),
                category=f.category,
                span=f.span,
                label=label,
            )
        )
    return out


def check_disclosures(ctx: ContactContext, profile: Profile | None = None) -> list[Violation]:
    """Texts, emails and letters carry the 1006.18(e) disclosures in the message's language
    (first contact: attempt to collect a debt + information use; later: from a debt
    collector); texts and emails carry an opt-out (1006.6(e)). Empty messages are not checked.
    """
    profile = profile or ctx.profile
    text = ctx.message or ""
    if ctx.channel not in DISCLOSURE_CHANNELS or not text.strip():
        return []
    lang = _language(ctx.language)
    out: list[Violation] = []

    stage = FIRST_CONTACT if ctx.is_first_contact else SUBSEQUENT
    required = [(r, rx) for r, rx in _compiled_disclosures(profile) if r.stage == stage]
    if required:
        in_language = [(r, rx) for r, rx in required if _language(r.language) == lang]
        if not in_language:
            out.append(
                _violation(
                    MISSING_DISCLOSURE,
                    profile.citation(MISSING_DISCLOSURE),
                    gettext_noop("No approved disclosure text exists for language '%(language)s'."),
                    language=lang,
                )
            )
        for r, patterns in in_language:
            if not any(p.search(text) for p in patterns):
                out.append(
                    _violation(
                        MISSING_DISCLOSURE,
                        profile.citation(MISSING_DISCLOSURE),
                        gettext_noop("The message must state %(description)s."),
                        category=r.key,
                        description=r.description,
                    )
                )

    if ctx.channel in OPT_OUT_CHANNELS:
        opt_out = _compiled_opt_out(profile)
        if any(opt_out.values()):
            patterns = opt_out.get(lang, ())
            if not any(p.search(text) for p in patterns):
                out.append(
                    _violation(
                        MISSING_OPT_OUT,
                        profile.citation(MISSING_OPT_OUT),
                        gettext_noop(
                            'The message must say clearly how to opt out (e.g. "Reply STOP").'
                        ),
                    )
                )
    return out


def check_letter_items(ctx: ContactContext, profile: Profile | None = None) -> list[Violation]:
    """A letter carries every item its kind requires in its jurisdiction, in the letter's
    language (``compliance.rules.letters``: 12 CFR 1006.34(c); 第69条). Not a letter, no kind,
    or an empty text: nothing to check."""
    profile = profile or ctx.profile
    text = ctx.message or ""
    if ctx.channel != "letter" or not ctx.letter_kind or not text.strip():
        return []
    lang = _language(ctx.language)
    out: list[Violation] = []
    for item in letter_items(ctx.letter_kind, profile.code):
        patterns = _cached(
            "letter_item", item.accepted.get(lang, ()), lambda ps: tuple(_compile(p) for p in ps)
        )
        if any(p.search(text) for p in patterns):
            continue
        out.append(
            _violation(
                MISSING_LETTER_ITEM,
                item.citation,
                gettext_noop("%(kind)s: the letter must state %(description)s."),
                category=item.key,
                kind=LETTER_KINDS.get(ctx.letter_kind, ctx.letter_kind),
                description=item.description,
            )
        )
    return out


def time_barred(statute_of_limitations_date: date | None, day: date) -> bool:
    """Whether a debt is time-barred on ``day``: its statute of limitations ran before it.
    The one rule for the letters, the wording check and legal referral (12 CFR 1006.26(b))."""
    return statute_of_limitations_date is not None and day > statute_of_limitations_date


def _time_barred_violations(ctx: ContactContext, profile: Profile, tz: tzinfo) -> list[Violation]:
    """No threat of suit once the statute of limitations date has passed. 12 CFR 1006.26(b).

    A legal-review letter is such a threat whatever its words: refused outright where the
    profile has the rule (it cites it)."""
    sol = ctx.statute_of_limitations_date
    if sol is None or not ctx.message or not time_barred(sol, ctx.at.astimezone(tz).date()):
        return []
    out: list[Violation] = []
    citation = profile.citation(TIME_BARRED_THREAT)
    if ctx.channel == "letter" and ctx.letter_kind == LEGAL_NOTICE and citation:
        out.append(
            _violation(
                TIME_BARRED_THREAT,
                citation,
                gettext_noop(
                    "The statute of limitations ran on %(sol)s; a legal-review letter threatens"
                    " suit on a time-barred debt."
                ),
                category=LEGAL_NOTICE,
                sol=sol.isoformat(),
            )
        )
    seen: set[str] = set()
    for f in find_prohibited_wording(ctx.wording_text, profile.wording, rule=TIME_BARRED_THREAT):
        if f.span.casefold() in seen:
            continue
        seen.add(f.span.casefold())
        out.append(
            _violation(
                TIME_BARRED_THREAT,
                profile.citation(TIME_BARRED_THREAT),
                gettext_noop(
                    'The statute of limitations ran on %(sol)s; "%(span)s" threatens suit'
                    " on a time-barred debt."
                ),
                category=f.category,
                span=f.span,
                sol=sol.isoformat(),
            )
        )
    return out


def _third_party_violations(ctx: ContactContext, profile: Profile) -> list[Violation]:
    """A third party may be asked only for location information; the message must not
    mention the debt. 12 CFR 1006.10, 1006.6(d); 第68条.

    Only the outgoing `message` is scanned (internal notes are not said to anyone).
    """
    if not ctx.recipient_is_third_party or not ctx.message:
        return []
    out: list[Violation] = []
    seen: set[str] = set()
    text = ctx.wording_text
    for f in find_prohibited_wording(text, profile.wording, rule=THIRD_PARTY_DISCLOSURE):
        if f.span.casefold() in seen:
            continue
        seen.add(f.span.casefold())
        out.append(
            _violation(
                THIRD_PARTY_DISCLOSURE,
                profile.citation(THIRD_PARTY_DISCLOSURE),
                gettext_noop('The recipient is a third party; "%(span)s" mentions the debt.'),
                category=f.category,
                span=f.span,
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# Aggregator
# --------------------------------------------------------------------------------------------


def _sort_key(v: Violation) -> tuple[int, str, str, str]:
    return (_RULE_ORDER.get(v.rule, len(_RULE_ORDER)), v.category or "", v.span or "", v.message)


_window_memo: dict[tuple[Any, ...], tuple[Profile, tuple[Violation, ...]]] = {}
_WINDOW_MEMO_LIMIT = 50_000


def _window_violations_cached(
    ctx: ContactContext, profile: Profile, zones: Sequence[tuple[str, ZoneInfo]]
) -> list[Violation]:
    """``_window_violations``, remembered by everything it reads (a batch checks thousands
    of contacts at the same instant in the same few zones). The profile is kept with the
    result so its id cannot be reused by another profile while cached."""
    key = (
        id(profile),
        ctx.at,
        ctx.channel,
        tuple(name for name, _ in zones),
        ctx.restrictions,
        ctx.contact_point_id if ctx.restrictions else None,
    )
    hit = _window_memo.get(key)
    if hit is not None and hit[0] is profile:
        return list(hit[1])
    found = _window_violations(ctx, profile, zones)
    if len(_window_memo) >= _WINDOW_MEMO_LIMIT:
        _window_memo.clear()
    _window_memo[key] = (profile, tuple(found))
    return found


def _time_dependent(
    ctx: ContactContext,
    profile: Profile,
    zones: Sequence[tuple[str, ZoneInfo]],
    history: _CallHistory,
) -> list[Violation]:
    tz = zones[0][1]
    return [
        *_window_violations_cached(ctx, profile, zones),
        *_frequency_violations(ctx, profile, tz, history),
        *_post_conversation_violations(ctx, profile, tz, history),
        *_daily_cap_violations(ctx, profile, tz, history),
        *_restriction_violations(ctx, profile, tz),
        *_time_barred_violations(ctx, profile, tz),
    ]


def evaluate(ctx: ContactContext) -> Decision:
    """Run every check that applies to the channel; stricter rules win, so the contact is
    allowed only with no violation at all.

    `next_allowed_at` is the earliest UTC instant at which every time-based rule passes,
    found by moving to the latest `earliest_ok` and re-checking until stable; None when
    allowed now or when any violation cannot be cured by waiting.
    """
    if ctx.channel == INBOUND_CALL:
        return Decision(True, (), None)  # the consumer called us; nothing to judge
    profile = ctx.profile
    if ctx.solicited:
        found = sorted(check_wording(ctx.wording_text, profile), key=_sort_key)
        return Decision(not found, tuple(found), None)
    zones = _resolve_zones(ctx, profile)
    history = _CallHistory.build(ctx.prior_contacts, zones[0][1])

    violations = _time_dependent(ctx, profile, zones, history)
    if ctx.message:
        violations += check_wording(ctx.wording_text, profile)
        violations += check_disclosures(ctx, profile)
        violations += check_letter_items(ctx, profile)
        violations += _third_party_violations(ctx, profile)
    violations.sort(key=_sort_key)
    if not violations:
        return Decision(True, (), None)

    next_allowed: datetime | None = None
    if all(v.earliest_ok is not None for v in violations):
        moment = max(v.earliest_ok for v in violations if v.earliest_ok is not None)
        for _ in range(_MAX_ROUNDS):
            again = _time_dependent(replace(ctx, at=moment), profile, zones, history)
            if not again:
                next_allowed = moment.astimezone(UTC)
                break
            if any(v.earliest_ok is None for v in again):
                break
            later = max(v.earliest_ok for v in again if v.earliest_ok is not None)
            if later <= moment:
                break  # a check that cannot make progress: treat as not curable
            moment = later
    return Decision(False, tuple(violations), next_allowed)
