"""Message templates are checked when saved (``outreach.services.message_template_save``, the
admin form): a failing one cannot be saved (or used)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from compliance.services import template_check
from contacts.models import MessageTemplate
from outreach.services import message_template_save
from tests.compliance.factories import MessageTemplateFactory

pytestmark = pytest.mark.django_db

GOOD_SMS = (
    "Acme Recovery is a debt collector. {name}, your payment of {amount} {currency} is due "
    "{due_date}. Reply STOP to opt out."
)
FIRST_LETTER = (
    "Dear {name},\nThis is an attempt to collect a debt and any information obtained will be "
    "used for that purpose. You owe {amount} {currency} on the account ending {account_last4}."
)


def template(**fields) -> MessageTemplate:
    values = {
        "code": "reminder",
        "name": "Reminder",
        "jurisdiction": "US",
        "channel": "sms",
        "language": "en",
        "tone": "general",
        "stage": "subsequent",
        "body": GOOD_SMS,
    }
    values.update(fields)
    return MessageTemplate(**values)


def test_a_compliant_sms_is_saved_and_stamped_as_checked():
    saved = template()
    message_template_save(template=saved)

    assert saved.pk is not None
    assert saved.checked_at is not None


def test_a_threat_of_jail_cannot_be_saved():
    bad = template(body=GOOD_SMS + " Pay or you'll go to jail.")

    with pytest.raises(ValidationError) as excinfo:
        message_template_save(template=bad)

    assert bad.pk is None
    assert "you'll go to jail" in " ".join(excinfo.value.message_dict["body"])
    assert MessageTemplate.objects.count() == 0


def test_an_sms_without_an_opt_out_cannot_be_saved():
    with pytest.raises(ValidationError) as excinfo:
        message_template_save(
            template=template(body="Acme Recovery is a debt collector. Your payment is due.")
        )

    assert "opt out" in " ".join(excinfo.value.message_dict["body"])


def test_a_first_contact_text_needs_the_first_contact_disclosures():
    violations = template_check(template(stage="first_contact"))

    assert [(v.rule, v.category) for v in violations] == [
        ("missing_disclosure", "attempt_to_collect"),
        ("missing_disclosure", "information_use"),
    ]


def test_a_first_letter_needs_no_opt_out():
    letter = template(channel="letter", stage="first_contact", body=FIRST_LETTER)

    assert template_check(letter) == []
    message_template_save(template=letter)


def test_the_email_subject_is_checked_too():
    email = template(channel="email", subject="Final warning, deadbeat")

    assert [(v.rule, v.span) for v in template_check(email)] == [("prohibited_wording", "deadbeat")]


def test_a_chinese_insult_cannot_be_saved_in_a_cn_template():
    bad = template(
        jurisdiction="CN",
        language="zh-hans",
        body="{name}你这个老赖，请于{due_date}前还款{amount}元。",
    )

    violations = template_check(bad)

    assert [(v.rule, v.category, v.span) for v in violations] == [
        ("prohibited_wording", "insult", "老赖")
    ]
    assert violations[0].citation == "《商业银行信用卡业务监督管理办法》第68条"
    with pytest.raises(ValidationError):
        message_template_save(template=bad)


def test_a_polite_chinese_reminder_is_saved():
    MessageTemplateFactory(
        jurisdiction="CN",
        language="zh-hans",
        body="{name}您好，您尾号{account_last4}的信用卡本期应还{amount}元，请于{due_date}前还款。",
    )


def test_a_us_chinese_language_text_needs_the_chinese_disclosure():
    text = template(language="zh-hans", body="{name}您好，请于{due_date}前还款。回复TD退订。")

    assert [v.rule for v in template_check(text)] == ["missing_disclosure"]


def test_editing_a_saved_template_into_a_failing_one_is_refused():
    saved = MessageTemplateFactory()
    saved.body = "We know where you live. " + saved.body

    with pytest.raises(ValidationError):
        message_template_save(template=saved)
    saved.refresh_from_db()
    assert "We know where you live" not in saved.body
