"""The built-in statutory rule sets (US: Regulation F; CN: 第68条 and GB/T 45251-2025) as
plain data.

These are the defaults the ``0002_load_profiles`` migration loaded into the database and the
fallback ``compliance.profiles.profile_build`` uses when a jurisdiction has no active profile
row; at run time the admin-edited rows (``compliance.profiles``) are what the checks get.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from types import MappingProxyType

from compliance.rules.vocabulary import (
    ATTORNEY_REPRESENTED,
    BANKRUPTCY,
    CALL_FREQUENCY,
    CEASE_COMMUNICATION,
    CHANNEL_OPT_OUT,
    CONTACT_WINDOW,
    DAILY_CALL_CAP,
    DECEASED,
    DISPUTE_PENDING,
    FIRST_CONTACT,
    MISSING_DISCLOSURE,
    MISSING_OPT_OUT,
    POST_CONVERSATION,
    PROHIBITED_WORDING,
    SUBSEQUENT,
    THIRD_PARTY_DISCLOSURE,
    TIME_BARRED_THREAT,
    DisclosureRequirement,
    Profile,
)
from compliance.rules.wording_data import (
    DEBT_MENTION_PATTERNS,
    DEFAULT_WORDING,
    SUIT_THREAT_PATTERNS,
)

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

BANKRUPTCY_STAY_US = "11 U.S.C. 362(a) (automatic stay)"

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
            BANKRUPTCY: BANKRUPTCY_STAY_US,
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
            BANKRUPTCY: _CN_POLICY,
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
