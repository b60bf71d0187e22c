"""The built-in prohibited-wording data: phrase patterns per language and category, threats of
suit and mentions of the debt. Plain data; `wording` compiles and scans it, and
`builtin_profiles` puts it into the US and CN profiles.
"""

from __future__ import annotations

from collections.abc import Mapping

from compliance.rules.vocabulary import (
    PROHIBITED_WORDING,
    THIRD_PARTY_DISCLOSURE,
    TIME_BARRED_THREAT,
    WordingPattern,
)

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
        r"\blegal\s+(?:department|team|review)\b",
        r"\b(?:refer(?:red|ral)?|turn(?:ed)?\s+over)\s+(?:\w+\s+){0,3}to\s+(?:an?\s+|our\s+)?"
        r"(?:attorneys?|lawyers?|legal)\b",
    ),
    "zh": (
        r"起诉",
        r"诉讼",
        r"告你",
        r"法院见",
        r"(?:走|通过)法律(?:程序|途径)",
        r"打官司",
        r"法务部门?",
        r"法律(?:部门|审查)",
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
