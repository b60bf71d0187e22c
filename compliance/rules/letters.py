"""What a letter must say, per kind and jurisdiction: one definition, read by the gate
(``checks.check_letter_items``, run by ``evaluate`` on every letter and by the template check).

A letter template's kind follows from its code (``letter_kind_for``). Each required item is a
statement the text must contain, accepted in any of its phrasings (case-insensitive regexes in
the letter's language) and cited to the rule that requires it:

* ``validation_notice`` (US): the validation information of 12 CFR 1006.34(c), in the order
  and wording of the model form (Appendix B to part 1006, form B-1).
* every CN written notice (``collection_notice``, ``legal_notice``): what
  《商业银行信用卡业务监督管理办法》第69条 requires a card issuer's written collection notice to
  carry: the cardholder, the amount owed, the reason, the consequences, the cardholder's
  rights, how to raise an objection, and the bank's contact.
* a US collection or legal-review letter: no items beyond the 1006.18(e) disclosures that
  every letter carries (``checks.check_disclosures``).

A ``legal_notice`` speaks of legal review: on a time-barred debt it is refused whatever its
wording (``checks._time_barred_violations``, 12 CFR 1006.26(b)).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from django.utils.translation import gettext_noop

VALIDATION_NOTICE = "validation_notice"
COLLECTION_NOTICE = "collection_notice"
LEGAL_NOTICE = "legal_notice"

#: Letter kinds and their label.
LETTER_KINDS: Mapping[str, str] = MappingProxyType(
    {
        VALIDATION_NOTICE: gettext_noop("Validation notice"),
        COLLECTION_NOTICE: gettext_noop("Collection notice"),
        LEGAL_NOTICE: gettext_noop("Legal-review notice"),
    }
)

#: A letter template's code → its kind; any other letter template is a collection notice.
_KIND_BY_TEMPLATE_CODE: Mapping[str, str] = MappingProxyType(
    {
        "validation-notice": VALIDATION_NOTICE,
        "legal-notice": LEGAL_NOTICE,
    }
)


def letter_kind_for(template_code: str) -> str:
    """The kind of the letter a template with ``template_code`` writes."""
    return _KIND_BY_TEMPLATE_CODE.get(template_code, COLLECTION_NOTICE)


@dataclass(frozen=True)
class LetterItem:
    """One statement a letter must contain; any regex in ``accepted[language]`` satisfies it."""

    key: str
    description: str
    citation: str
    accepted: Mapping[str, tuple[str, ...]]


_REG_F = "12 CFR 1006.34"
_ART_69 = "《商业银行信用卡业务监督管理办法》第69条"


def _item(key: str, description: str, citation: str, **accepted: tuple[str, ...]) -> LetterItem:
    return LetterItem(key, description, citation, MappingProxyType(accepted))


#: The validation notice: 1006.34(c)(1)-(4) as the model form words them.
_US_VALIDATION = (
    _item(
        "debt_collector",
        gettext_noop("that the letter is from a debt collector"),
        f"{_REG_F}(c)(1)",
        en=(r"\bfrom a debt collector\b",),
    ),
    _item(
        "collector_address",
        gettext_noop("the debt collector's name and mailing address"),
        f"{_REG_F}(c)(2)(i)",
        en=(r"\bmailing address\b", r"\bmail (?:this form|your dispute) to\b"),
    ),
    _item(
        "account_number",
        gettext_noop("the account number"),
        f"{_REG_F}(c)(2)(iv)",
        en=(r"\baccount (?:number )?ending\b", r"\baccount number\b"),
    ),
    _item(
        "current_creditor",
        gettext_noop("the name of the creditor to whom the debt is owed"),
        f"{_REG_F}(c)(2)(iii), (c)(2)(v)",
        en=(r"\b(?:current )?creditor\b",),
    ),
    _item(
        "itemization_date_amount",
        gettext_noop("the itemization date and the amount owed on it"),
        f"{_REG_F}(c)(2)(vi), (c)(2)(vii)",
        en=(r"\bas of [^,.]{4,40}, you owed\b",),
    ),
    _item(
        "interest_since",
        gettext_noop("the interest charged since the itemization date"),
        f"{_REG_F}(c)(2)(viii)",
        en=(r"\bcharged this amount in interest\b", r"\binterest charged\b"),
    ),
    _item(
        "fees_since",
        gettext_noop("the fees charged since the itemization date"),
        f"{_REG_F}(c)(2)(viii)",
        en=(r"\bcharged this amount in fees\b", r"\bfees charged\b"),
    ),
    _item(
        "payments_since",
        gettext_noop("the payments and credits since the itemization date"),
        f"{_REG_F}(c)(2)(viii)",
        en=(r"\bpaid or (?:were )?credited\b", r"\bpayments and credits\b"),
    ),
    _item(
        "current_amount",
        gettext_noop("the current amount of the debt"),
        f"{_REG_F}(c)(2)(ix)",
        en=(r"\btotal amount of the debt now\b", r"\bcurrent amount of the debt\b"),
    ),
    _item(
        "validation_period_end",
        gettext_noop("the end of the validation period and that collection stops on a dispute"),
        f"{_REG_F}(c)(3)(i)",
        en=(r"\bstop collection on any amount you dispute\b",),
    ),
    _item(
        "original_creditor",
        gettext_noop("that the consumer may request the original creditor's name and address"),
        f"{_REG_F}(c)(3)(ii)",
        en=(r"\bname and address of the original creditor\b",),
    ),
    _item(
        "how_to_dispute",
        gettext_noop("how to dispute all or part of the debt, and by when"),
        f"{_REG_F}(c)(3)(iii)",
        en=(r"\bby [^,.]{4,40}, to dispute all or part of the debt\b",),
    ),
    _item(
        "cfpb_reference",
        gettext_noop("the CFPB website on debt collection rights"),
        f"{_REG_F}(c)(3)(v)",
        en=(r"\bconsumerfinance\.gov\b", r"\bcfpb\.gov\b"),
    ),
    _item(
        "response_form",
        gettext_noop("the consumer-response section with the dispute prompts"),
        f"{_REG_F}(c)(4)",
        en=(r"\bhow do you want to respond\?", r"\bI want to dispute the debt\b"),
    ),
)

#: 第69条: what a card issuer's written collection notice carries.
_CN_ART_69 = (
    _item(
        "cardholder",
        gettext_noop("the cardholder's name"),
        _ART_69,
        zh=(r"尊敬的\s*\S{1,30}?[：:，,]",),
        en=(r"\bDear\s+\S",),
    ),
    _item(
        "amount_owed",
        gettext_noop("the amount owed"),
        _ART_69,
        zh=(r"欠款(?:金额|总额)?[为：:\s]*\d",),
        en=(r"\bamount owed\b",),
    ),
    _item(
        "reason",
        gettext_noop("the reason for the collection"),
        _ART_69,
        zh=(r"催收(?:原因|事由)",),
        en=(r"\breason for (?:this|the) (?:notice|collection)\b",),
    ),
    _item(
        "consequences",
        gettext_noop("the consequences of not paying"),
        _ART_69,
        zh=(r"(?:逾期|未还款|不还款)[^。]{0,10}后果", r"可能产生的后果"),
        en=(r"\bconsequences\b",),
    ),
    _item(
        "rights",
        gettext_noop("the cardholder's rights"),
        _ART_69,
        zh=(r"(?:依法)?享有[^。]{0,20}权利", r"您的权利"),
        en=(r"\byour rights\b",),
    ),
    _item(
        "objection",
        gettext_noop("how to raise an objection"),
        _ART_69,
        zh=(r"(?:如|若)[^。]{0,20}异议",),
        en=(r"\bif you dispute\b", r"\bto dispute\b"),
    ),
    _item(
        "bank_contact",
        gettext_noop("the bank's contact"),
        _ART_69,
        zh=(r"联系(?:电话|方式|地址)[：:]",),
        en=(r"\bcontact (?:us|the bank) (?:at|on)\b",),
    ),
)

#: (kind, jurisdiction) → the items its text must contain. A pair not listed requires none.
#: A CN validation notice is no kind of its own there: it is a written notice like any other.
LETTER_ITEMS: Mapping[tuple[str, str], tuple[LetterItem, ...]] = MappingProxyType(
    {
        (VALIDATION_NOTICE, "US"): _US_VALIDATION,
        (VALIDATION_NOTICE, "CN"): _CN_ART_69,
        (COLLECTION_NOTICE, "CN"): _CN_ART_69,
        (LEGAL_NOTICE, "CN"): _CN_ART_69,
    }
)


def letter_items(kind: str, jurisdiction: str) -> tuple[LetterItem, ...]:
    """The items a letter of ``kind`` in ``jurisdiction`` must contain."""
    return LETTER_ITEMS.get((kind, jurisdiction), ())
