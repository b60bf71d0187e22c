"""Pure compliance rules: may this outbound contact happen, and if not, when?

No Django here. Every check takes a `ContactContext` (and optionally a `Profile`; the
context's own profile is the default) and returns a list of `Violation`s. `evaluate` runs
the checks that apply to the channel and works out `next_allowed_at`.

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
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from types import MappingProxyType
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from django.utils.translation import gettext_noop
from phonenumbers import timezone as phone_timezone

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
)
_RULE_ORDER = {code: i for i, code in enumerate(RULE_CODES)}

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

_DAY_SECONDS = 86_400
#: How far ahead the contact-window search looks before giving up.
WINDOW_SEARCH_DAYS = 14
#: Bound on the fixed-point iteration in `evaluate`.
_MAX_ROUNDS = 64


# --------------------------------------------------------------------------------------------
# Data
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


# --------------------------------------------------------------------------------------------
# Default data: wording lists
# --------------------------------------------------------------------------------------------

_EN_WORDING: dict[str, tuple[str, ...]] = {
    "threat_of_harm": (
        r"\bwe\s+know\s+where\s+you\s+(?:live|work|sleep)\b",
        r"\bwe\s+know\s+where\s+your\s+(?:kids?|children|family|wife|husband|parents)\b",
        r"\b(?:kill|shoot|stab|beat\s+up|hunt\s+down)\s+you\b",
        r"\bbreak\s+your\s+(?:legs?|arms?|neck|face|bones?|fingers?)\b",
        r"\bwatch\s+your\s+back\b",
        r"\byou(?:['’]ll|\s+will)\s+(?:get\s+hurt|regret\s+(?:it|this))\b",
        r"\bsomething\s+(?:bad|terrible|unfortunate)\s+(?:will|could|might|may)\s+happen\s+to\s+"
        r"(?:you|your\s+family)\b",
        r"\bburn\s+(?:down\s+)?your\s+(?:house|home|car)\b",
    ),
    "insult": (
        r"\bdead\s?beats?\b",
        r"\b(?:scum(?:bag)?|low-?life|loser|idiot|moron|imbecile)s?\b",
        r"\b(?:thief|thieves|crook|liar|cheat)s?\b",
        r"\bf+u+c+k+\w*",
        r"\b(?:shit\w*|bullshit|bitch\w*|bastards?|ass(?:hole)?s?|dumbass)\b",
        r"\b(?:worthless|pathetic|disgusting)\b",
        r"\bpiece\s+of\s+(?:garbage|trash|crap|shit)\b",
    ),
    "false_legal_threat": (
        r"\byou(?:['’]ll|\s+will|['’]re\s+going\s+to|\s+are\s+going\s+to)\s+(?:go|be\s+sent)\s+"
        r"to\s+(?:jail|prison)\b",
        r"\b(?:go(?:ing)?|sent|put|end\s+up|land)\s+(?:to|in)\s+(?:jail|prison)\b",
        r"\b(?:jail|prison)\s+(?:time|sentence)\b",
        r"\b(?:be|get|getting|have\s+you)\s+arrested\b",
        r"\b(?:arrest\s+warrant|warrant\s+for\s+your\s+arrest)\b",
        r"\bcriminal\s+(?:charges?|prosecution|case|complaint|record)\b",
        r"\bgarnish(?:ee|ing)?\s+your\s+(?:wages?|pay(?:check)?|salary|income)\b",
        r"\bwage\s+garnishment\b",
        r"\b(?:seize|repossess|take\s+away)\s+your\s+(?:house|home|car|property|assets|belongings)\b",
        r"\bfreeze\s+(?:all\s+)?your\s+(?:bank\s+)?accounts?\b",
        r"\bdeport(?:ed|ation)?\b",
    ),
    "impersonation": (
        r"\bthis\s+is\s+(?:the\s+)?(?:police|sheriff(?:['’]s\s+office)?|fbi|irs|court|"
        r"district\s+attorney)\b",
        r"\b(?:i\s+am|i['’]m|we\s+are|we['’]re)\s+(?:an?\s+|the\s+)?(?:police(?:\s+officer)?|"
        r"officer|detective|sheriff|deputy|judge|marshal|federal\s+agent|court\s+officer)\b",
        r"\b(?:calling|writing)\s+(?:from|on\s+behalf\s+of)\s+(?:the\s+)?(?:court|police|sheriff|"
        r"district\s+attorney|county|state|government|irs|fbi)\b",
        r"\b(?:officer|detective|deputy|sheriff|judge|agent)\s+\w+\s+(?:here|speaking)\b",
        r"\bofficial\s+(?:court|government|police)\s+(?:notice|order|document|summons)\b",
        r"\bwe\s+are\s+(?:a|the)\s+(?:government|federal|state)\s+(?:agency|department|office)\b",
        r"\blaw\s+enforcement\s+(?:officer|agency|department)\b",
    ),
    "third_party_disclosure_threat": (
        r"\byour\s+(?:boss|employer|manager|supervisor|co-?workers?|colleagues?)\s+will\s+"
        r"(?:find\s+out|know|hear|be\s+told)\b",
        r"\b(?:call|contact|tell|notify|inform|email|text|visit)\s+your\s+(?:boss|employer|manager|"
        r"supervisor|hr|co-?workers?|colleagues?|workplace)\b",
        r"\b(?:call|contact|tell|notify|inform|email|text)\s+your\s+(?:family|parents|mother|"
        r"father|mom|dad|wife|husband|spouse|partner|children|kids|neighbou?rs|friends|relatives|"
        r"contacts)\b",
        r"\b(?:everyone|everybody)\s+(?:you\s+know|in\s+your\s+(?:family|contacts|phone|office))\s+"
        r"will\s+(?:know|find\s+out|hear)\b",
        r"\b(?:family|neighbou?rs|friends|relatives|church|community)\s+will\s+"
        r"(?:find\s+out|know|hear\s+about)\b",
        r"\b(?:post|put|publish|share|expose)\s+(?:it|this|you|your\s+(?:name|debt|photo|picture))"
        r"\s+(?:on|to)\s+(?:social\s+media|facebook|twitter|instagram|tiktok|the\s+internet|online)\b",
        r"\bpublicly\s+(?:shame|expose|name)\b",
        r"\bcall\s+everyone\s+in\s+your\s+(?:phone|contacts?|address\s+book)\b",
    ),
    "misstatement": (
        r"\b(?:debt|balance|amount|bill)\s+will\s+(?:double|triple)\b",
        r"\bblack-?\s?list(?:ed)?\b",
        r"\bruin\s+your\s+credit\s+(?:forever|for\s+life|permanently)\b",
        r"\b(?:stay|stays|remain|remains)\s+on\s+your\s+credit\s+(?:report\s+)?forever\b",
        r"\bnever\s+(?:be\s+able\s+to\s+)?(?:get|qualify\s+for)\s+(?:a\s+|any\s+)?(?:loan|credit|"
        r"mortgage|job|apartment)\s+again\b",
        r"\bcannot\s+be\s+(?:discharged|erased)\s+(?:in|by)\s+bankruptcy\b",
        r"\b(?:will\s+)?lose\s+your\s+(?:job|house|home|kids|children)\b",
    ),
}

_ZH_WORDING: dict[str, tuple[str, ...]] = {
    "threat_of_harm": (
        r"(?:我们|我)?知道你(?:家|住)在哪",
        r"知道你(?:的)?(?:孩子|小孩|儿子|女儿|家人|父母|老婆|老公)在哪",
        r"(?:打断|砍断|弄断|打折)你(?:的)?(?:腿|手|胳膊)",
        r"(?:弄死|打死|砍死|整死|杀了)你",
        r"(?:让|叫)你(?:好看|吃不了兜着走|不得好死)",
        r"(?:出门|走路|晚上)(?:小心|注意)(?:点|一点|些)",
        r"(?:收拾|教训)你",
        r"你(?:全家|家人|一家)(?:不得安宁|别想好过|小心)",
        r"后果自负",
        r"泼(?:红)?油漆",
    ),
    "insult": (
        r"老赖",
        r"骗子",
        r"不要脸|没脸没皮|厚脸皮",
        r"垃圾|人渣|败类|废物",
        r"混蛋|王八蛋|畜生|狗东西|杂种",
        r"傻[逼比屄B]|煞笔|脑残",
        r"他妈的|去死|滚蛋",
        r"无赖|赖皮|赖账鬼",
    ),
    "false_legal_threat": (
        r"坐牢",
        r"(?:抓|逮捕|拘留|铐)你",
        r"判刑|判你|蹲监狱|进监狱",
        r"(?:追究|承担)(?:你(?:的)?)?刑事责任",
        r"查封你(?:的)?(?:房子|房产|财产|车|家)?",
        r"(?:冻结|扣押|没收)你(?:的)?(?:所有|全部)?(?:银行卡|账户|财产|工资|房子|车)",
        r"(?:警察|公安|民警)(?:会|马上|就|将)?(?:上门|来抓|抓你|找你)",
        r"(?:涉嫌|构成)(?:信用卡)?(?:诈骗|恶意透支)",
        r"(?:马上|立即|即将)强制执行",
        r"(?:司法|刑事|行政)拘留",
    ),
    "impersonation": (
        r"我(?:们)?是(?:法院|公安|警察|派出所|检察院|律师|法官|政府)(?:的(?:人)?)?",
        r"这里是(?:法院|公安局?|派出所|检察院|律师事务所)",
        r"(?:法院|公安|警方|检察院)(?:的)?(?:工作人员|民警|法官)",
        r"(?:公安|法院|检察院|派出所)(?:通知|传唤)",
        r"(?:代表|受)(?:法院|公安|政府|检察院)(?:委托)?",
        r"(?:民警|警官|法官|检察官)\S{0,3}(?:来电|通知你)",
        r"政府(?:部门|机关)(?:通知|要求)",
    ),
    "third_party_disclosure_threat": (
        r"通知你(?:的)?(?:单位|公司|领导|老板|同事)",
        r"打(?:电话给)?你(?:的)?(?:通讯录|联系人|紧急联系人)",
        r"(?:爆|轰炸|群发)(?:你(?:的)?)?通讯录",
        r"(?:告诉|通知|联系|找)你(?:的)?(?:家人|父母|老婆|老公|妻子|丈夫|亲戚|朋友|邻居|子女|孩子)",
        r"(?:发|寄|贴)(?:到|去)你(?:的)?(?:单位|公司|老家|村里|小区)",
        r"(?:曝光|公开)你(?:的)?(?:信息|照片|欠款|身份)?",
        r"(?:让|叫)你(?:的)?(?:同事|领导|亲朋好友|家人|全村|所有人)(?:都)?知道",
        r"(?:发|贴)(?:到)?(?:朋友圈|微博|网上|群里)",
    ),
    "misstatement": (
        r"(?:欠款|债务|利息|罚息|金额)(?:会|将)?(?:翻倍|翻番|翻几倍)",
        r"(?:上|进|拉入|列入|纳入)(?:了)?(?:国家|银行|央行|失信)?黑名单",
        r"(?:影响|连累|牵连)(?:你(?:的)?)?(?:子女|孩子|后代)",
        r"(?:一辈子|终身|永远)(?:都)?(?:不能|无法|别想)(?:贷款|办卡|坐飞机|坐高铁|出国)",
        r"征信.{0,4}(?:永久|终身|一辈子)",
        r"(?:已经|已)(?:移交|转交)(?:法院|公安|司法机关|经侦)",
        r"(?:法院|公安)(?:已经|已)(?:立案|受理)",
        r"限制你?(?:的)?(?:高消费|出行|出境)",
    ),
}

#: Threats of suit; only a violation once the statute of limitations has run (1006.26(b)).
_SUIT_THREAT: dict[str, tuple[str, ...]] = {
    "en": (
        r"\bsu(?:e|ed|es|ing)\b",
        r"\blaw\s?suits?\b",
        r"\blegal\s+(?:action|proceedings?)\b",
        r"\b(?:take|taking|bring)\s+you\s+to\s+court\b",
        r"\b(?:file|filing)\s+(?:a\s+)?(?:suit|claim|case|complaint)\s+against\s+you\b",
        r"\blitigation\b",
        r"\bcourt\s+(?:action|proceedings?)\b",
    ),
    "zh": (
        r"起诉",
        r"诉讼",
        r"告你",
        r"法院见",
        r"(?:走|通过)法律(?:程序|途径)",
        r"打官司",
    ),
}

#: Mentions of the debt, which a third party must never hear (1006.10, 1006.6(d); 第68条).
_DEBT_MENTION: dict[str, tuple[str, ...]] = {
    "en": (
        r"\bdebts?\b",
        r"\b(?:owe[sd]?|owing)\b",
        r"\bpayments?\b",
        r"\b(?:past|over)[\s-]?due\b",
        r"\b(?:outstanding\s+balance|balance\s+due|amount\s+due)\b",
        r"\bcollect(?:ion|ions|or|ors|ing)?\b",
        r"\bdelinquen\w*",
        r"\barrears\b",
        r"\brepay\w*",
    ),
    "zh": (
        r"欠款|欠钱|欠债|欠费",
        r"还款|还钱",
        r"债务",
        r"逾期",
        r"催收",
        r"账单",
        r"透支",
    ),
}


def _wording_patterns(
    table: Mapping[str, tuple[str, ...]], language: str, rule: str = PROHIBITED_WORDING
) -> tuple[WordingPattern, ...]:
    return tuple(
        WordingPattern(category, language, pattern, rule)
        for category, patterns in table.items()
        for pattern in patterns
    )


#: The default prohibited-wording list (English and Chinese), shared by both profiles.
DEFAULT_WORDING: tuple[WordingPattern, ...] = _wording_patterns(
    _EN_WORDING, "en"
) + _wording_patterns(_ZH_WORDING, "zh")
SUIT_THREAT_PATTERNS: tuple[WordingPattern, ...] = tuple(
    WordingPattern("suit_threat", lang, p, TIME_BARRED_THREAT)
    for lang, patterns in _SUIT_THREAT.items()
    for p in patterns
)
DEBT_MENTION_PATTERNS: tuple[WordingPattern, ...] = tuple(
    WordingPattern("debt_mention", lang, p, THIRD_PARTY_DISCLOSURE)
    for lang, patterns in _DEBT_MENTION.items()
    for p in patterns
)

# --------------------------------------------------------------------------------------------
# Default data: profiles
# --------------------------------------------------------------------------------------------

US_DISCLOSURES: tuple[DisclosureRequirement, ...] = (
    DisclosureRequirement(
        key="attempt_to_collect",
        stage=FIRST_CONTACT,
        language="en",
        accepted=(
            r"\b(?:is\s+an?|an)\s+attempt\s+to\s+collect\s+a\s+debt\b",
            r"\b(?:is\s+)?(?:attempting|trying)\s+to\s+collect\s+a\s+debt\b",
        ),
        description="that this is an attempt to collect a debt",
    ),
    DisclosureRequirement(
        key="information_use",
        stage=FIRST_CONTACT,
        language="en",
        accepted=(
            r"\b(?:any\s+)?information\s+(?:obtained|we\s+obtain|you\s+provide)\s+(?:will|may)\s+be"
            r"\s+used\s+for\s+(?:that|this)\s+purpose\b",
        ),
        description="that any information obtained will be used for that purpose",
    ),
    DisclosureRequirement(
        key="from_debt_collector",
        stage=SUBSEQUENT,
        language="en",
        accepted=(
            r"\bfrom\s+a\s+debt\s+collector\b",
            r"(?:\b(?:is|am|are)|,)\s+a\s+debt\s+collector\b",
        ),
        description="that the message is from a debt collector",
    ),
    DisclosureRequirement(
        key="attempt_to_collect",
        stage=FIRST_CONTACT,
        language="zh",
        accepted=(
            r"(?:试图|尝试|旨在|正在)(?:追讨|催收|收取|追收)(?:一笔)?债务",
            r"这是(?:一次|一项)?(?:债务)?催收(?:行为|通知|尝试)",
        ),
        description="that this is an attempt to collect a debt (此为债务催收)",
    ),
    DisclosureRequirement(
        key="information_use",
        stage=FIRST_CONTACT,
        language="zh",
        accepted=(
            r"(?:所|我们)?(?:获得|获取|取得)的(?:任何)?信息(?:将|会)(?:仅)?(?:被)?用于(?:此|该|这一)目的",
        ),
        description="that information obtained will be used for that purpose (信息用于此目的)",
    ),
    DisclosureRequirement(
        key="from_debt_collector",
        stage=SUBSEQUENT,
        language="zh",
        accepted=(
            r"来自(?:一家|一名|一位)?(?:债务)?催收(?:机构|人员|人|方|公司)",
            r"(?:是|为)(?:一家|一名)?(?:债务)?催收(?:机构|人员|人|方|公司)",
        ),
        description="that the message is from a debt collector (来自债务催收方)",
    ),
)

US_OPT_OUT_PHRASES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "en": (
            r"\b(?:reply|text|send|respond\s+with)\s+[\"'“]?stop\b",
            r"\bunsubscribe\b",
            r"\bopt[\s-]?out\b",
            r"\bto\s+stop\s+(?:receiving\s+)?(?:these\s+|our\s+)?(?:texts|messages|emails|e-mails)\b",
        ),
        "zh": (
            r"回复\s*[\"“]?(?:TD|T|STOP|退订|取消)",
            r"退订",
            r"取消订阅",
            r"不再(?:接收|收到)(?:此类|这些)?(?:短信|邮件|消息)",
        ),
    }
)

_US_TIME_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
)

US_PROFILE = Profile(
    code="US",
    window_start=time(8, 0),
    window_end=time(21, 0),
    weekly_call_limit=7,
    weekly_window_days=7,
    post_conversation_quiet_days=7,
    daily_connected_call_cap=None,
    citations=MappingProxyType(
        {
            CONTACT_WINDOW: "12 CFR 1006.6(b)(1)(i)",
            CALL_FREQUENCY: "12 CFR 1006.14(b)(2)(i)(A)",
            POST_CONVERSATION: "12 CFR 1006.14(b)(2)(i)(B)",
            CEASE_COMMUNICATION: "12 CFR 1006.6(c)",
            ATTORNEY_REPRESENTED: "12 CFR 1006.6(b)(2)",
            DISPUTE_PENDING: "12 CFR 1006.38",
            CHANNEL_OPT_OUT: "12 CFR 1006.14(h)",
            MISSING_OPT_OUT: "12 CFR 1006.6(e)",
            MISSING_DISCLOSURE: "12 CFR 1006.18(e)",
            THIRD_PARTY_DISCLOSURE: "12 CFR 1006.10; 12 CFR 1006.6(d)",
            TIME_BARRED_THREAT: "12 CFR 1006.26(b)",
            DECEASED: "12 CFR 1006.2(e); 12 CFR 1006.6(a)(4)",
            PROHIBITED_WORDING: "12 CFR 1006.14; 12 CFR 1006.18",
            f"{PROHIBITED_WORDING}:threat_of_harm": "12 CFR 1006.14(c)",
            f"{PROHIBITED_WORDING}:insult": "12 CFR 1006.14(d)",
            f"{PROHIBITED_WORDING}:false_legal_threat": "12 CFR 1006.18(b)(4), (b)(5)",
            f"{PROHIBITED_WORDING}:impersonation": "12 CFR 1006.18(b)(1), (b)(3)",
            f"{PROHIBITED_WORDING}:third_party_disclosure_threat": (
                "12 CFR 1006.6(d); 12 CFR 1006.14(a)"
            ),
            f"{PROHIBITED_WORDING}:misstatement": "12 CFR 1006.18(b)(2)",
        }
    ),
    disclosures=US_DISCLOSURES,
    opt_out_phrases=US_OPT_OUT_PHRASES,
    wording=DEFAULT_WORDING + SUIT_THREAT_PATTERNS + DEBT_MENTION_PATTERNS,
    default_time_zones=_US_TIME_ZONES,
)

_CN_ART_68 = "《商业银行信用卡业务监督管理办法》第68条"
_CN_POLICY = "Restriction on file (bank policy)"

CN_PROFILE = Profile(
    code="CN",
    window_start=time(8, 0),
    window_end=time(22, 0),
    weekly_call_limit=None,
    weekly_window_days=7,
    post_conversation_quiet_days=None,
    daily_connected_call_cap=3,
    citations=MappingProxyType(
        {
            CONTACT_WINDOW: "GB/T 45251-2025",
            DAILY_CALL_CAP: "GB/T 45251-2025",
            THIRD_PARTY_DISCLOSURE: f"{_CN_ART_68}; GB/T 45251-2025",
            PROHIBITED_WORDING: _CN_ART_68,
            f"{PROHIBITED_WORDING}:third_party_disclosure_threat": f"{_CN_ART_68}; GB/T 45251-2025",
            CEASE_COMMUNICATION: _CN_POLICY,
            ATTORNEY_REPRESENTED: _CN_POLICY,
            DISPUTE_PENDING: _CN_POLICY,
            DECEASED: _CN_POLICY,
            CHANNEL_OPT_OUT: _CN_POLICY,
        }
    ),
    disclosures=(),
    opt_out_phrases=MappingProxyType({}),
    # No time-barred-suit patterns: that rule is US-only (COMPLIANCE.md).
    wording=DEFAULT_WORDING + DEBT_MENTION_PATTERNS,
    default_time_zones=("Asia/Shanghai",),
)

PROFILES: Mapping[str, Profile] = MappingProxyType({"US": US_PROFILE, "CN": CN_PROFILE})


# --------------------------------------------------------------------------------------------
# Compiled-pattern cache
# --------------------------------------------------------------------------------------------

_T = TypeVar("_T")
_CACHE_LIMIT = 256
_compiled_by_id: dict[tuple[str, int], tuple[Any, Any]] = {}


def _cached(kind: str, source: Any, build: Callable[[Any], _T]) -> _T:
    """Build once per source object; the cache keeps `source` alive so its id stays unique."""
    key = (kind, id(source))
    hit = _compiled_by_id.get(key)
    if hit is not None and hit[0] is source:
        return hit[1]  # type: ignore[no-any-return]
    value = build(source)
    if len(_compiled_by_id) >= _CACHE_LIMIT:
        _compiled_by_id.clear()
    _compiled_by_id[key] = (source, value)
    return value


def _compile(pattern: str) -> re.Pattern[str]:
    """Compile case-insensitively; a broken admin regex degrades to a literal phrase."""
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error:
        return re.compile(re.escape(pattern), re.IGNORECASE)


def pattern_error(pattern: str) -> str | None:
    """The regex error for an admin-entered pattern, or None if it compiles (for form checks)."""
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        return str(exc)
    return None


_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")


#: One pattern's literal requirement: every match contains at least one string of each set.
_Needs = tuple[frozenset[str], ...]


@dataclass(frozen=True)
class _Group:
    """Patterns of one language and category behind one combined prefilter regex, so text
    without a match costs one scan per group; None when the group cannot be combined.

    ``needs`` holds, per entry, lower-case strings every match of it contains (one of each
    set; None when unknown). On text whose lower-cased form lacks them the pattern cannot
    match, so only the entries whose needs are met are run: an ``in`` test costs far less
    than a regex scan and skipping cannot lose a finding.
    """

    prefilter: re.Pattern[str] | None
    entries: tuple[tuple[WordingPattern, re.Pattern[str]], ...]
    needs: tuple[_Needs | None, ...] = ()


def _is_uncased_or_ascii(char: str) -> bool:
    """ASCII, or without case: IGNORECASE matches it only to itself or to ASCII letters."""
    return char.isascii() or (char.lower() == char == char.upper() == char.casefold())


def _selectivity(candidate: frozenset[str]) -> tuple[int, int]:
    return (min(len(s) for s in candidate), -len(candidate))


def _sequence_needs(items: Any) -> list[frozenset[str]]:
    """Sets of strings such that every match of the parsed sequence contains one string of
    each set (lower-case; from literal runs, groups, repeats of at least one, alternations)."""
    needs: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            needs.append(frozenset({"".join(run)}))
            run.clear()

    for op, av in items:
        name = str(op)
        if name == "LITERAL" and _is_uncased_or_ascii(chr(av)):
            run.append(chr(av).lower())
            continue
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] >= 1:
            low, high, item = av
            only = list(item)
            if len(only) == 1 and str(only[0][0]) == "LITERAL":
                char = chr(only[0][1])
                if _is_uncased_or_ascii(char):
                    # "a+b": the run so far, an "a", then (after any more) "ab".
                    run.append(char.lower() * low)
                    if high != low:
                        flush()
                        run.append(char.lower())
                    continue
        flush()
        if name == "SUBPATTERN":
            needs.extend(_sequence_needs(av[-1]))
        elif name == "ATOMIC_GROUP":
            needs.extend(_sequence_needs(av))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] >= 1:
            needs.extend(_sequence_needs(av[2]))
        elif name == "BRANCH":
            options = [_sequence_needs(branch) for branch in av[1]]
            if options and all(options):
                needs.append(frozenset().union(*(max(o, key=_selectivity) for o in options)))
    flush()
    return [n for n in needs if n and all(n)]


def required_literals(pattern: str) -> _Needs | None:
    """Lower-case strings any case-insensitive match of ``pattern`` contains (one of each
    set, the most selective sets), or None when none is known: then the pattern always
    runs."""
    from re import _parser  # type: ignore[attr-defined]

    try:
        parsed = _parser.parse(pattern, re.IGNORECASE)
    except (re.error, RecursionError):
        return None
    needs = sorted(
        set(_sequence_needs(parsed)), key=lambda n: (_selectivity(n), sorted(n)), reverse=True
    )
    if not needs:
        return None
    # The best, and two more when telling (short common words cost more to track than they
    # save).
    return tuple(n for i, n in enumerate(needs[:3]) if i == 0 or _selectivity(n)[0] >= 3)


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _folded(text: str) -> str | None:
    """``text`` lower-cased for the literal test, or None when it holds a cased non-ASCII
    character (IGNORECASE may match that to an ASCII letter: then run every pattern)."""
    if not text.isascii():
        other = "".join(_NON_ASCII.findall(text))
        if not (other.lower() == other == other.upper() == other.casefold()):
            return None
    return text.lower()


def _build_group(entries: list[tuple[WordingPattern, re.Pattern[str]]]) -> _Group:
    needs = tuple(required_literals(rx.pattern) for _, rx in entries)
    # Back-references would be renumbered inside an alternation: such a group runs unfiltered.
    if any(_BACKREFERENCE.search(rx.pattern) for _, rx in entries):
        return _Group(None, tuple(entries), needs)
    try:
        prefilter = re.compile("|".join(f"(?:{rx.pattern})" for _, rx in entries), re.IGNORECASE)
    except re.error:
        return _Group(None, tuple(entries), needs)
    return _Group(prefilter, tuple(entries), needs)


@dataclass(frozen=True)
class _Matcher:
    """A rule's groups, and an index from each required literal to the (group, entry, need)
    it satisfies, so only the entries whose literals occur in a text are run on it.

    Finding the literals: the text is cut at separators (spaces, punctuation) that no literal
    contains, so every occurrence lies inside one piece; each distinct piece is looked up once
    per process (``_pieces``). Messages built from templates share most of their pieces, so
    in practice only the filled-in values are new.
    """

    groups: tuple[_Group, ...]
    literals: Mapping[str, tuple[tuple[int, int, int], ...]]
    need_counts: Mapping[tuple[int, int], int]
    always: frozenset[tuple[int, int]]
    #: Literals of two or more characters by their first two; the one-character ones.
    by_bigram: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    singles: tuple[str, ...] = ()
    separators: re.Pattern[str] | None = None
    split_on_space: bool = False
    first_chars: frozenset[str] = frozenset()
    _pieces: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    _runs: dict[frozenset[str], tuple[tuple[int, int], ...]] = field(
        default_factory=dict, compare=False
    )

    def _present_in(self, piece: str) -> tuple[str, ...]:
        if self.first_chars.isdisjoint(piece):  # e.g. amounts and digits: nothing can start
            return ()
        found = [lit for lit in self.singles if lit in piece]
        pairs = {piece[i : i + 2] for i in range(len(piece) - 1)}
        for pair in pairs.intersection(self.by_bigram):
            found.extend(lit for lit in self.by_bigram[pair] if lit in piece)
        return tuple(found)

    def present(self, folded: str) -> set[str]:
        """The literals occurring in ``folded`` (lower-cased text)."""
        if self.split_on_space:
            pieces = folded.split()  # no literal holds white space; the fastest cut
        elif self.separators is not None:
            pieces = self.separators.split(folded)
        else:
            pieces = [folded]
        cache = self._pieces
        if len(cache) > _PIECE_CACHE_LIMIT:
            cache.clear()
        found: set[str] = set()
        for piece in set(pieces):
            hit = cache.get(piece)
            if hit is None:
                hit = cache[piece] = self._present_in(piece)
            if hit:
                found.update(hit)
        return found

    def candidates(self, folded: str) -> tuple[tuple[int, int], ...]:
        """(group, entry) pairs whose literal needs ``folded`` meets, in pattern order.
        Remembered by the set of literals found: texts from one template share it."""
        present = frozenset(self.present(folded))
        cached = self._runs.get(present)
        if cached is not None:
            return cached
        met: dict[tuple[int, int], set[int]] = {}
        for literal in present:
            for g, e, n in self.literals[literal]:
                met.setdefault((g, e), set()).add(n)
        run = set(self.always)
        run.update(k for k, needs in met.items() if len(needs) == self.need_counts[k])
        if len(self._runs) > _PIECE_CACHE_LIMIT:
            self._runs.clear()
        result = self._runs[present] = tuple(sorted(run))
        return result


_PIECE_CACHE_LIMIT = 200_000
#: Where a text may be cut for the literal search (those no literal contains).
_SEPARATORS = ' \t\n\r\f\v.,;:!?"()[]{}<>/\\|，。！？；：、（）【】《》“”‘’…—·'


def _build_matcher(patterns: Sequence[WordingPattern]) -> _Matcher:
    grouped: dict[tuple[str, str], list[tuple[WordingPattern, re.Pattern[str]]]] = {}
    for p in patterns:
        grouped.setdefault((p.language, p.category), []).append((p, _compile(p.pattern)))
    groups = tuple(_build_group(entries) for entries in grouped.values())
    literals: dict[str, list[tuple[int, int, int]]] = {}
    counts: dict[tuple[int, int], int] = {}
    always: set[tuple[int, int]] = set()
    for g, group in enumerate(groups):
        for e, needs in enumerate(group.needs):
            if needs is None:
                always.add((g, e))
                continue
            counts[(g, e)] = len(needs)
            for n, need in enumerate(needs):
                for literal in need:
                    literals.setdefault(literal, []).append((g, e, n))
    by_bigram: dict[str, list[str]] = {}
    for literal in literals:
        if len(literal) > 1:
            by_bigram.setdefault(literal[:2], []).append(literal)
    used = set("".join(literals))
    cut = "".join(c for c in _SEPARATORS if c not in used)
    separators = re.compile(f"[{re.escape(cut)}]+") if cut else None
    return _Matcher(
        groups,
        MappingProxyType({k: tuple(v) for k, v in literals.items()}),
        MappingProxyType(counts),
        frozenset(always),
        MappingProxyType({k: tuple(v) for k, v in by_bigram.items()}),
        tuple(literal for literal in literals if len(literal) == 1),
        separators,
        not any(c.isspace() for c in used),
        frozenset(literal[0] for literal in literals),
    )


def _build_matchers(patterns: Sequence[WordingPattern]) -> dict[str, _Matcher]:
    by_rule: dict[str, list[WordingPattern]] = {}
    for p in patterns:
        by_rule.setdefault(p.rule, []).append(p)
    return {rule: _build_matcher(ps) for rule, ps in by_rule.items()}


@functools.lru_cache(maxsize=64)
def _matchers_by_content(patterns: tuple[WordingPattern, ...]) -> dict[str, _Matcher]:
    return _build_matchers(patterns)


def _matchers(patterns: Sequence[WordingPattern]) -> dict[str, _Matcher]:
    """Compiled matchers per rule code: cached by identity for tuples (a profile's
    `wording`), by content otherwise."""
    if isinstance(patterns, tuple):
        return _cached("wording", patterns, _build_matchers)
    return _matchers_by_content(tuple(patterns))


def _run_matcher(text: str, matcher: _Matcher, folded: str | None) -> list[WordingFinding]:
    if folded is not None:
        entries = [matcher.groups[g].entries[e] for g, e in matcher.candidates(folded)]
    else:
        entries = []
        for group in matcher.groups:
            if group.prefilter is None or group.prefilter.search(text) is not None:
                entries.extend(group.entries)
    found: list[WordingFinding] = []
    for wp, rx in entries:
        for m in rx.finditer(text):
            if m.end() > m.start():
                found.append(
                    WordingFinding(wp.category, m.group(0), m.start(), m.end(), wp.pattern, wp.rule)
                )
    return found


def _without_nested(findings: list[WordingFinding]) -> list[WordingFinding]:
    """Sort, and drop a finding lying inside another of the same rule and category."""
    findings.sort(key=lambda f: (f.start, -f.end, f.category, f.pattern))
    kept: list[WordingFinding] = []
    for f in findings:
        if any(
            k.rule == f.rule and k.category == f.category and k.start <= f.start and f.end <= k.end
            for k in kept
        ):
            continue
        kept.append(f)
    kept.sort(key=lambda f: (f.start, f.end, f.category, f.pattern))
    return kept


def find_prohibited_wording(
    text: str,
    patterns: Sequence[WordingPattern],
    *,
    rule: str | None = PROHIBITED_WORDING,
) -> list[WordingFinding]:
    """Every match of `patterns` (of `rule`; all rules if None) in `text`, for highlighting.

    Findings are ordered by position; a match nested in a longer match of the same category
    is dropped.
    """
    if not text:
        return []
    compiled = _matchers(patterns)
    matchers = compiled.values() if rule is None else [m for r, m in compiled.items() if r == rule]
    found: list[WordingFinding] = []
    folded = _folded(text)
    for matcher in matchers:
        found.extend(_run_matcher(text, matcher, folded))
    return _without_nested(found)


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


# --------------------------------------------------------------------------------------------
# Time helpers (all DST handling lives here)
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def candidate_time_zones(
    customer_tz: str | None,
    contact_point_tz: str | None = None,
    phone_number_e164: str | None = None,
) -> tuple[str, ...]:
    """Zones the consumer may be in: customer zone, contact-point override, phone zones.

    Deduplicated, in that order; "Etc/Unknown" and zones zoneinfo cannot load are skipped.
    Comment 6(b)(1)(i)-2: with conflicting evidence the window must hold in every zone.
    """
    names: list[str] = [n for n in (customer_tz, contact_point_tz) if n]
    if phone_number_e164:
        try:
            number = phonenumbers.parse(phone_number_e164, None)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None:
            names.extend(phone_timezone.time_zones_for_number(number))
    seen: dict[str, None] = {}
    for name in names:
        if name != "Etc/Unknown" and name not in seen and _zone(name) is not None:
            seen[name] = None
    return tuple(seen)


def _resolve_zones(ctx: ContactContext, profile: Profile) -> tuple[tuple[str, ZoneInfo], ...]:
    """Loadable candidate zones; the profile's defaults when none is known."""
    zones = tuple((n, z) for n in ctx.candidate_time_zones if (z := _zone(n)) is not None)
    if not zones:
        zones = tuple((n, z) for n in profile.default_time_zones if (z := _zone(n)) is not None)
    if not zones:
        zones = (("UTC", ZoneInfo("UTC")),)
    return zones


@functools.lru_cache(maxsize=8192)
def _local_to_utc(day: date, seconds: int, tz: tzinfo) -> datetime:
    """The first UTC instant whose wall-clock time in `tz` is at least `day` + `seconds`.

    In a DST gap (the wall time does not exist) that is the transition instant; in a fold
    (it exists twice) it is the first occurrence.
    """
    wall = datetime.combine(day, time(), tzinfo=tz) + timedelta(seconds=seconds)
    first = wall.replace(fold=0).astimezone(UTC)
    second = wall.replace(fold=1).astimezone(UTC)
    if first <= second:
        return first
    # Gap: the wall clock jumps over `wall` between `second` and `first`; bisect (whole
    # seconds) for the jump.
    target = wall.replace(tzinfo=None)
    lo, hi = int(second.timestamp()), int(first.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= target:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    return _local_to_utc(day, 0, tz)


def _seconds_of_day(moment: datetime) -> float:
    return moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6


def _secs(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


Intervals = tuple[tuple[int, int], ...]


def _span(start: time | None, end: time | None) -> Intervals:
    """Allowed local interval(s) [start, end) in seconds of day; wraps past midnight."""
    a = 0 if start is None else _secs(start)
    b = _DAY_SECONDS if end is None else _secs(end)
    if a < b:
        return ((a, b),)
    if start is not None and end is not None:  # overnight, e.g. 18:00-09:00
        return tuple(iv for iv in ((a, _DAY_SECONDS), (0, b)) if iv[0] < iv[1])
    return ()


def _intersect(x: Intervals, y: Intervals) -> Intervals:
    out = []
    for a1, b1 in x:
        for a2, b2 in y:
            a, b = max(a1, a2), min(b1, b2)
            if a < b:
                out.append((a, b))
    return tuple(sorted(out))


def _inside(moment_local: datetime, intervals: Intervals) -> bool:
    s = _seconds_of_day(moment_local)
    return any(a <= s < b for a, b in intervals)


def _allowed_everywhere(
    at: datetime, zones: Sequence[tuple[str, ZoneInfo]], intervals: Intervals
) -> bool:
    return all(_inside(at.astimezone(z), intervals) for _, z in zones)


def _earliest_in_window(
    at: datetime,
    zones: Sequence[tuple[str, ZoneInfo]],
    intervals: Intervals,
    horizon_days: int = WINDOW_SEARCH_DAYS,
) -> datetime | None:
    """The earliest instant >= `at` inside `intervals` in every zone, or None within horizon.

    The allowed set is an intersection of half-open intervals, so its earliest point after
    `at` is `at` itself or the start of some zone's interval: test those in order.
    """
    at = at.astimezone(UTC)
    if _allowed_everywhere(at, zones, intervals):
        return at
    candidates: set[datetime] = set()
    for _, tz in zones:
        first_day = at.astimezone(tz).date()
        for k in range(-1, horizon_days + 1):
            day = first_day + timedelta(days=k)
            for start, _end in intervals:
                moment = _local_to_utc(day, start, tz)
                if moment > at:
                    candidates.add(moment)
    for moment in sorted(candidates):
        if _allowed_everywhere(moment, zones, intervals):
            return moment
    return None


def _bound_start(value: date | datetime, tz: tzinfo) -> datetime:
    if isinstance(value, datetime):
        return value
    if value == date.min:
        return datetime.min.replace(tzinfo=UTC)
    return _local_midnight(value, tz)


def _bound_end(value: date | datetime, tz: tzinfo) -> datetime:
    """Exclusive end instant: a date covers its whole local day."""
    if isinstance(value, datetime):
        return value
    if value == date.max:
        return datetime.max.replace(tzinfo=UTC)
    return _local_midnight(value + timedelta(days=1), tz)


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


def check_contact_window(ctx: ContactContext, profile: Profile | None = None) -> list[Violation]:
    """Calls, texts, emails and visits only inside the window in every candidate zone, and
    outside times the customer said are inconvenient. 12 CFR 1006.6(b)(1)(i); GB/T 45251-2025.
    """
    profile = profile or ctx.profile
    return _window_violations(ctx, profile, _resolve_zones(ctx, profile))


def _frequency_violations(
    ctx: ContactContext, profile: Profile, tz: tzinfo, history: _CallHistory
) -> list[Violation]:
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


def check_call_frequency(ctx: ContactContext, profile: Profile | None = None) -> list[Violation]:
    """No more than 7 calls in 7 consecutive calendar days per debt. 12 CFR 1006.14(b)(2)(i)(A).

    Counts outbound calls that connected (any outcome but not_connected/failed/bounced; a
    wrong_number call connected, so it counts - the stricter reading), except calls to the
    consumer's attorney or made with consent (1006.14(b)(3)). The proposed call itself is
    exempt when made with valid consent or to the attorney.
    """
    profile = profile or ctx.profile
    tz = _resolve_zones(ctx, profile)[0][1]
    return _frequency_violations(ctx, profile, tz, _CallHistory.build(ctx.prior_contacts, tz))


def _post_conversation_violations(
    ctx: ContactContext, profile: Profile, tz: tzinfo, history: _CallHistory
) -> list[Violation]:
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


def check_post_conversation(ctx: ContactContext, profile: Profile | None = None) -> list[Violation]:
    """No call within 7 days after a telephone conversation (inbound or outbound); the
    conversation's day is day 1. Calls with valid consent are excluded (1006.14(b)(3)).
    12 CFR 1006.14(b)(2)(i)(B).
    """
    profile = profile or ctx.profile
    tz = _resolve_zones(ctx, profile)[0][1]
    history = _CallHistory.build(ctx.prior_contacts, tz)
    return _post_conversation_violations(ctx, profile, tz, history)


def _daily_cap_violations(
    ctx: ContactContext, profile: Profile, tz: tzinfo, history: _CallHistory
) -> list[Violation]:
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


def check_daily_call_cap(ctx: ContactContext, profile: Profile | None = None) -> list[Violation]:
    """At most 3 effective (conversation) outbound calls per debtor per local day.
    GB/T 45251-2025. For CN, pass the debtor's calls on all debts as `prior_contacts`.
    """
    profile = profile or ctx.profile
    tz = _resolve_zones(ctx, profile)[0][1]
    return _daily_cap_violations(ctx, profile, tz, _CallHistory.build(ctx.prior_contacts, tz))


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
}


def _restriction_violations(ctx: ContactContext, profile: Profile, tz: tzinfo) -> list[Violation]:
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


def check_restrictions(ctx: ContactContext, profile: Profile | None = None) -> list[Violation]:
    """Cease (1006.6(c)), attorney (1006.6(b)(2)), dispute (1006.38), deceased (1006.6(a)(4))
    and channel opt-out (1006.14(h)) block the contact; waiting helps only when the
    restriction has an end.
    """
    profile = profile or ctx.profile
    return _restriction_violations(ctx, profile, _resolve_zones(ctx, profile)[0][1])


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


def _time_barred_violations(ctx: ContactContext, profile: Profile, tz: tzinfo) -> list[Violation]:
    sol = ctx.statute_of_limitations_date
    if sol is None or not ctx.message or ctx.at.astimezone(tz).date() <= sol:
        return []
    out: list[Violation] = []
    seen: set[str] = set()
    for f in find_prohibited_wording(ctx.message, profile.wording, rule=TIME_BARRED_THREAT):
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


def check_time_barred(ctx: ContactContext, profile: Profile | None = None) -> list[Violation]:
    """No threat of suit once the statute of limitations date has passed. 12 CFR 1006.26(b)."""
    profile = profile or ctx.profile
    return _time_barred_violations(ctx, profile, _resolve_zones(ctx, profile)[0][1])


def check_third_party(ctx: ContactContext, profile: Profile | None = None) -> list[Violation]:
    """A third party may be asked only for location information; the message must not
    mention the debt. 12 CFR 1006.10, 1006.6(d); 第68条.

    Only the outgoing `message` is scanned (internal notes are not said to anyone).
    """
    profile = profile or ctx.profile
    if not ctx.recipient_is_third_party or not ctx.message:
        return []
    out: list[Violation] = []
    seen: set[str] = set()
    for f in find_prohibited_wording(ctx.message, profile.wording, rule=THIRD_PARTY_DISCLOSURE):
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
    zones = _resolve_zones(ctx, profile)
    history = _CallHistory.build(ctx.prior_contacts, zones[0][1])

    violations = _time_dependent(ctx, profile, zones, history)
    if ctx.message:
        violations += check_wording(ctx.message, profile)
        violations += check_disclosures(ctx, profile)
        violations += check_third_party(ctx, profile)
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
