"""Default treatment content: the reminder message templates (US English, CN Chinese; SMS,
email and letter; tones good, general and high) that the seeded ``TreatmentStrategy`` rows
(migration ``contacts.0008``) and the installment and promise reminders refer to by code.

Seeded with ``manage.py send_reminders --seed-templates`` (or ``templates_seed()``), not by a
data migration: ``tests/compliance/test_templates.py`` expects an empty template table.
"""

from __future__ import annotations

from contacts.models import MessageTemplate
from outreach.services import message_template_save

CHANNELS = ("sms", "email", "letter")

# Every US text carries the initial-communication disclosures, so it may be the first
# communication (1006.18(e)(1)) as well as a later one (1006.18(e)(2)); SMS and email also
# say how to opt out (1006.6(e)).
US_DISCLOSURE = (
    "This is an attempt to collect a debt and any information obtained will be used for that "
    "purpose. This message is from a debt collector."
)
US_FOOTER_SMS = f" {US_DISCLOSURE} Reply STOP to opt out."
US_FOOTER_EMAIL = (
    f"\n\n{US_DISCLOSURE} To stop receiving these emails, reply STOP or use the unsubscribe link."
)
# A CN letter is a written collection notice and carries
# what 第69条 requires (compliance.rules.letters: the gate refuses a letter without them).
# {contact_phone}, {collector_address} … are the letter values (outreach.letters.values).
US_FOOTER_LETTER = f"\n\n{US_DISCLOSURE}"
CN_FOOTER_SMS = " 回复TD退订。"
CN_FOOTER_EMAIL = "\n\n如不希望再收到此类邮件，请回复退订。"
CN_HEAD_LETTER = "尊敬的{name}：\n\n"
CN_FOOTER_LETTER = (
    "\n\n欠款金额：{amount}{currency}。"
    "\n催收原因：您尾号{account_last4}的信用卡账户逾期未还款。"
    "\n逾期后果：逾期欠款将按合同继续计收利息和费用，还款记录将按规定报送金融信用信息基础数据库。"
    "\n您的权利：您依法享有了解欠款明细、申请个性化分期还款和投诉的权利。"
    "\n异议处理：如您对欠款金额或本通知有异议，可致电或书面向我行提出，我行核实后答复。"
    "\n联系方式：{contact_phone}，{collector_address}（{collector_name}）"
)

#: The validation notice (12 CFR 1006.34(c)), worded as the model form B-1: sent by letter as
#: the first communication about a debt (US only).
US_VALIDATION_NOTICE = (
    "{collector_name} is a debt collector. We are trying to collect a debt that you owe to "
    "{creditor}. We will use any information you give us to help collect the debt.\n\n"
    "Our information shows:\n"
    "You had an account with {creditor} with account number ending {account_last4}.\n"
    "As of {itemization_date}, you owed: {itemization_amount} {currency}\n"
    "Between {itemization_date} and today:\n"
    "You were charged this amount in interest: + {interest_since} {currency}\n"
    "You were charged this amount in fees: + {fees_since} {currency}\n"
    "You paid or were credited this amount toward the debt: - {paid_since} {currency}\n"
    "Total amount of the debt now: {amount_now} {currency}\n\n"
    "How can you dispute the debt?\n"
    "Call or write to us by {validation_end}, to dispute all or part of the debt. If you do "
    "not, we will assume that our information is correct.\n"
    "If you write to us by {validation_end}, we must stop collection on any amount you "
    "dispute until we send you information that shows you owe the debt. You may use the form "
    "below or write to us without the form.\n\n"
    "What else can you do?\n"
    "Write to ask for the name and address of the original creditor, if different from the "
    "current creditor. If you write by {validation_end}, we must stop collection until we "
    "send you that information.\n"
    "Go to www.cfpb.gov/debt-collection to learn more about your rights under federal law.\n"
    "Contact us about your payment options.\n\n"
    "How do you want to respond?\n"
    "Mail this form to: {collector_name}, {collector_address} (our mailing address).\n"
    "[ ] I want to dispute the debt because I think: this is not my debt / the amount is "
    "wrong / other.\n"
    "[ ] I want you to send me the name and address of the original creditor.\n"
    "[ ] I enclosed this amount: ____"
)

#: (code, language) → tone → (subject, body). US texts are English, CN texts Chinese.
TEXTS = {
    ("payment-due", "en"): {
        "good": (
            "Payment reminder",
            "Hi {name}, a friendly reminder: your payment of {amount} {currency} on account "
            "ending {account_last4} is due on {due_date}.",
        ),
        "general": (
            "Payment due soon",
            "{name}, your payment of {amount} {currency} on account ending {account_last4} "
            "is due on {due_date}. Please pay on time.",
        ),
        "high": (
            "Payment due",
            "{name}, {amount} {currency} on account ending {account_last4} is due on "
            "{due_date}. Please pay by then or contact us to discuss your options.",
        ),
    },
    ("payment-missed", "en"): {
        "good": (
            "We missed your payment",
            "Hi {name}, we have not received {amount} {currency} on account ending "
            "{account_last4}. If you have already paid, thank you.",
        ),
        "general": (
            "Missed payment",
            "{name}, your payment of {amount} {currency} on account ending {account_last4} "
            "is past due. Please pay or call us to arrange a plan.",
        ),
        "high": (
            "Payment past due",
            "{name}, {amount} {currency} on account ending {account_last4} remains unpaid. "
            "Please contact us today to resolve your account.",
        ),
    },
    ("promise-due", "en"): {
        "good": (
            "Your promised payment",
            "Hi {name}, thank you for your promise to pay {amount} {currency} on account "
            "ending {account_last4}. It is due on {due_date}.",
        ),
        "general": (
            "Your promised payment",
            "{name}, your promised payment of {amount} {currency} on account ending "
            "{account_last4} is due on {due_date}.",
        ),
        "high": (
            "Your promised payment",
            "{name}, please keep your promise to pay {amount} {currency} on account ending "
            "{account_last4} by {due_date}.",
        ),
    },
    ("collection-notice", "en"): {
        "good": (
            "About your account",
            "Hi {name}, your account ending {account_last4} has {amount} {currency} past "
            "due. We are here to help if you need a payment plan.",
        ),
        "general": (
            "Your account is past due",
            "{name}, your account ending {account_last4} is {amount} {currency} past due. "
            "Please pay or contact us to set up a plan.",
        ),
        "high": (
            "Your account needs attention",
            "{name}, your account ending {account_last4} is seriously past due with "
            "{amount} {currency} owing. Please contact us without delay.",
        ),
    },
    ("legal-notice", "en"): {
        "high": (
            "Notice of referral",
            "Dear {name}, your account ending {account_last4} with {amount} {currency} past "
            "due is being reviewed by our legal department. Please contact us to resolve "
            "the balance before the review is completed.",
        ),
    },
    ("validation-notice", "en"): {
        "general": ("Validation notice", US_VALIDATION_NOTICE),
    },
    ("payment-due", "zh-hans"): {
        "good": (
            "还款提醒",
            "{name}您好，您尾号{account_last4}的账户应还{amount}{currency}，到期日{due_date}。",
        ),
        "general": (
            "还款提醒",
            "{name}您好，尾号{account_last4}账户有{amount}{currency}将于{due_date}到期，请按时还款。",
        ),
        "high": (
            "还款提醒",
            "{name}，尾号{account_last4}账户{amount}{currency}将于{due_date}到期，请按时还款或联系我们。",
        ),
    },
    ("payment-missed", "zh-hans"): {
        "good": (
            "逾期提醒",
            "{name}您好，尾号{account_last4}账户{amount}{currency}尚未收到，如已还款请忽略。",
        ),
        "general": (
            "逾期提醒",
            "{name}您好，尾号{account_last4}账户{amount}{currency}已逾期，请尽快还款或联系我们办理分期。",
        ),
        "high": (
            "逾期提醒",
            "{name}，尾号{account_last4}账户{amount}{currency}仍未还款，请今日联系我们处理。",
        ),
    },
    ("promise-due", "zh-hans"): {
        "good": (
            "承诺还款提醒",
            "{name}您好，感谢您承诺还款{amount}{currency}（尾号{account_last4}），到期日{due_date}。",
        ),
        "general": (
            "承诺还款提醒",
            "{name}您好，您承诺的还款{amount}{currency}（尾号{account_last4}）将于{due_date}到期。",
        ),
        "high": (
            "承诺还款提醒",
            "{name}，请于{due_date}前履行承诺，还款{amount}{currency}（尾号{account_last4}）。",
        ),
    },
    ("collection-notice", "zh-hans"): {
        "good": (
            "账户提醒",
            "{name}您好，尾号{account_last4}账户逾期{amount}{currency}，如需分期还款我们可以协助。",
        ),
        "general": (
            "账户逾期",
            "{name}您好，尾号{account_last4}账户逾期{amount}{currency}，请还款或联系我们办理分期。",
        ),
        "high": (
            "账户严重逾期",
            "{name}，尾号{account_last4}账户已严重逾期，欠款{amount}{currency}，请尽快联系我们。",
        ),
    },
    ("legal-notice", "zh-hans"): {
        "high": (
            "法务审查通知",
            "{name}您好，您尾号{account_last4}的账户逾期{amount}{currency}，已转交我行法务部门审查，请尽快联系我们处理。",
        ),
    },
}


#: Template codes written as letters only.
LETTER_ONLY = ("legal-notice", "validation-notice")


def _body(channel, language, text):
    if language == "en":
        footer = {"sms": US_FOOTER_SMS, "email": US_FOOTER_EMAIL, "letter": US_FOOTER_LETTER}
        return text + footer[channel]
    if channel == "letter":
        return CN_HEAD_LETTER + text + CN_FOOTER_LETTER
    return text + {"sms": CN_FOOTER_SMS, "email": CN_FOOTER_EMAIL}[channel]


def templates_seed() -> int:
    """Create the default templates that are missing; return how many were created.

    Each goes through ``message_template_save``, so the compliance check runs on every text
    (a failing default raises ``ValidationError``).
    """
    existing = set(MessageTemplate.objects.values_list("code", "channel", "language", "tone"))
    created = 0
    for (code, language), tones in TEXTS.items():
        jurisdiction = "US" if language == "en" else "CN"
        channels = ("letter",) if code in LETTER_ONLY else CHANNELS
        for tone, (subject, body) in tones.items():
            for channel in channels:
                if (code, channel, language, tone) in existing:
                    continue
                message_template_save(
                    template=MessageTemplate(
                        code=code,
                        channel=channel,
                        language=language,
                        tone=tone,
                        name=f"{code} ({tone})",
                        jurisdiction=jurisdiction,
                        stage="first_contact" if code == "validation-notice" else "subsequent",
                        subject=subject if channel == "email" else "",
                        body=_body(channel, language, body),
                    )
                )
                created += 1
    return created
