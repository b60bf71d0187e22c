"""Letters as documents: each kind's PDF carries its required items (read back from the PDF),
the gate refuses a letter missing one, a time-barred debt gets no legal letter, a letter is
stored once per key, batched per day with a manifest, and fetched from the case timeline by
its team only."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from accounts.models import PersonalDataReveal
from compliance import rules
from compliance.profiles import profile_for
from compliance.services import SAMPLE_VALUES, contact_check, template_render
from contacts.models import ContactLog, Letter, MessageTemplate, PrintBatch, Reminder
from outreach.backends import OutboundMessage
from outreach.letters.backend import LetterBackend
from outreach.letters.batch import MANIFEST_COLUMNS, print_batch_build
from outreach.reminders import reminders_send_batch
from outreach.services import message_template_save
from outreach.strategies import US_DISCLOSURE, templates_seed
from outreach.tasks import print_batch_task
from tests.plans.factories import owing_account
from workspace.timeline import account_timeline

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 10:00 in New York, 23:00 in Shanghai
US_ADDRESS = "12 Elm Street, Albany, NY 12207"
CN_ADDRESS = "上海市徐汇区漕溪北路88号"


@pytest.fixture(autouse=True)
def channels(settings, tmp_path):
    settings.SETTLE_OUTBOX_DIR = str(tmp_path / "outbox")
    settings.SETTLE_CHANNEL_BACKENDS = {
        "sms": "outreach.backends.FileBackend",
        "email": "outreach.backends.FileBackend",
        "letter": "outreach.letters.backend.LetterBackend",
    }
    templates_seed()
    return tmp_path / "outbox"


def _us_account(team, **extra):
    extra.setdefault("customer__address_line", US_ADDRESS)
    return owing_account(
        team,
        delinquent_since=date(2026, 9, 1),
        last_payment_date=date(2026, 10, 5),
        last_payment_amount=Decimal("150.00"),
        **extra,
    )


def _cn_account(team, **extra):
    return owing_account(
        team,
        currency="CNY",
        delinquent_since=date(2026, 9, 1),
        customer__name="张三",
        customer__jurisdiction="CN",
        customer__language="zh-hans",
        customer__time_zone="Asia/Shanghai",
        customer__address_line=CN_ADDRESS,
        **extra,
    )


def _letter_template(code, language):
    return (
        MessageTemplate.objects.filter(code=code, channel="letter", language=language)
        .order_by("tone")
        .first()
    )


def _letter_reminder(account, code, language, *, key="letter-1"):
    template = _letter_template(code, language)
    return Reminder.objects.create(
        account=account,
        kind=Reminder.Kind.STRATEGY,
        channel="letter",
        template=template,
        idempotency_key=key,
        due_at=NOW,
        next_attempt_at=NOW,
    )


def _send():
    return reminders_send_batch(now=NOW, worker_id="w1", batch_size=50)


def _pdf_text(letter: Letter) -> str:
    reader = pypdf.PdfReader(io.BytesIO(letter.path.read_bytes()))
    return "\n".join(page.extract_text() for page in reader.pages)


def _flat(text: str, language: str) -> str:
    """The text with the PDF's line breaks undone: wrapped English lines join with a space,
    wrapped Chinese lines with nothing."""
    if language.startswith("zh"):
        return "".join(text.split())
    return " ".join(text.split())


# --- Each kind's PDF carries each required item ----------------------------------------------

KINDS = [
    # (template code, jurisdiction, language, kind)
    ("validation-notice", "US", "en", rules.VALIDATION_NOTICE),
    ("legal-notice", "US", "en", rules.LEGAL_NOTICE),
    ("collection-notice", "US", "en", rules.COLLECTION_NOTICE),
    ("collection-notice", "CN", "zh-hans", rules.COLLECTION_NOTICE),
    ("legal-notice", "CN", "zh-hans", rules.LEGAL_NOTICE),
]


@pytest.mark.parametrize(("code", "jurisdiction", "language", "kind"), KINDS)
def test_each_letter_kind_is_a_pdf_carrying_every_required_item(
    team, other_team, code, jurisdiction, language, kind
):
    account = _us_account(team) if jurisdiction == "US" else _cn_account(other_team)
    reminder = _letter_reminder(account, code, language)

    summary = _send()

    assert summary.sent == 1
    letter = Letter.objects.get()
    assert (letter.kind, letter.language, letter.reminder_id) == (kind, language, reminder.pk)
    data = letter.path.read_bytes()
    assert data.startswith(b"%PDF-")
    assert hashlib.sha256(data).hexdigest() == letter.sha256
    assert letter.pages == len(pypdf.PdfReader(io.BytesIO(data)).pages) >= 1
    text = _flat(_pdf_text(letter), language)
    items = rules.letter_items(kind, jurisdiction)
    # The validation notice's 1006.34(c) items, 第69条's seven on every CN letter; a US
    # collection or legal letter needs the 1006.18(e) disclosure only.
    assert len(items) == {"validation_notice": 14}.get(kind, 0 if jurisdiction == "US" else 7)
    if jurisdiction == "US":
        assert "This message is from a debt collector." in text
    lang = "zh" if language.startswith("zh") else "en"
    for item in items:
        assert any(re.search(p, text, re.IGNORECASE) for p in item.accepted[lang]), item.key
    # What was printed is what the gate passed and the log keeps.
    entry = ContactLog.objects.get(account=account, channel="letter")
    assert _flat(entry.message, language) in text
    assert account.customer.name in text
    address = US_ADDRESS if jurisdiction == "US" else CN_ADDRESS
    assert _flat(address, language) in text


def test_the_validation_notice_states_the_itemization_from_the_account(team):
    account = _us_account(team)  # 9,000 + 700 interest + 300 fees; paid 150 on 2026-10-05
    _letter_reminder(account, "validation-notice", "en")

    _send()

    text = _flat(_pdf_text(Letter.objects.get()), "en")
    assert "As of 2026-10-05, you owed: 9,150.00 USD" in text
    assert "charged this amount in interest: + 700.00 USD" in text
    assert "charged this amount in fees: + 300.00 USD" in text
    assert "toward the debt: - 150.00 USD" in text
    assert "Total amount of the debt now: 10,000.00 USD" in text
    assert "write to us by 2027-01-02, we must stop collection" in text  # 40 days on
    assert "{" not in text


# --- The gate refuses a letter missing any item ----------------------------------------------

CASES = [
    (kind, jurisdiction, code, language, item)
    for code, jurisdiction, language, kind in KINDS
    for item in rules.letter_items(kind, jurisdiction)
]


def _template_text(code: str, language: str) -> str:
    """The template's text with sample values, as the template check renders it."""
    lang = "zh" if language.startswith("zh") else "en"
    return template_render(_letter_template(code, language), SAMPLE_VALUES[lang])


def _judge(text: str, kind: str, jurisdiction: str, language: str) -> rules.Decision:
    return rules.evaluate(
        rules.ContactContext(
            at=NOW,
            channel="letter",
            profile=profile_for(jurisdiction),
            message=text,
            language=language,
            letter_kind=kind,
        )
    )


@pytest.mark.parametrize(
    ("kind", "jurisdiction", "code", "language", "item"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{c[4].key}" for c in CASES],
)
def test_the_gate_refuses_a_letter_missing_any_item(kind, jurisdiction, code, language, item):
    text = _template_text(code, language)
    assert not [
        v
        for v in _judge(text, kind, jurisdiction, language).violations
        if v.rule == rules.MISSING_LETTER_ITEM
    ]
    lang = "zh" if language.startswith("zh") else "en"
    for pattern in item.accepted[lang]:
        text = re.sub(pattern, "", text, flags=re.IGNORECASE)

    decision = _judge(text, kind, jurisdiction, language)

    assert not decision.allowed
    missing = [v for v in decision.violations if v.rule == rules.MISSING_LETTER_ITEM]
    # (Taking out "creditor" takes the original creditor with it: each item is named.)
    assert item.key in [v.category for v in missing]
    assert {v.citation for v in missing if v.category == item.key} == {item.citation}
    assert decision.next_allowed_at is None


def test_a_letter_template_missing_an_item_is_not_saved():
    body = _template_text("validation-notice", "en").replace(
        "name and address of the original creditor", "original lender"
    )
    with pytest.raises(ValidationError) as raised:
        message_template_save(
            template=MessageTemplate(
                code="validation-notice",
                channel="letter",
                language="en",
                tone="high",
                name="shorter notice",
                jurisdiction="US",
                stage="first_contact",
                body=body,
            )
        )
    assert "original creditor" in str(raised.value)


def test_a_stored_letter_template_missing_an_item_is_blocked_when_sent(other_team, tmp_path):
    """A template saved before the rule (or edited around the service) is stopped at sending:
    the reminder path checks the printed text like any other."""
    template = MessageTemplate.objects.get(
        code="collection-notice", channel="letter", language="zh-hans", tone="high"
    )
    template.pk = None
    template.tone = "good"
    template.code = "old-notice"
    template.body = re.sub(r"异议处理：[^\n]*\n", "", template.body)
    template.save()
    account = _cn_account(other_team)
    reminder = Reminder.objects.create(
        account=account,
        kind=Reminder.Kind.STRATEGY,
        channel="letter",
        template=template,
        idempotency_key="old",
        due_at=NOW,
        next_attempt_at=NOW,
    )

    summary = _send()

    reminder.refresh_from_db()
    assert (summary.sent, summary.blocked) == (0, 1)
    assert reminder.status == Reminder.Status.BLOCKED
    assert rules.MISSING_LETTER_ITEM in reminder.last_error
    violations = reminder.decision.violations
    assert [v["citation"] for v in violations if v["rule"] == rules.MISSING_LETTER_ITEM] == [
        "《商业银行信用卡业务监督管理办法》第69条"
    ]
    assert not Letter.objects.exists()


# --- Time-barred: no legal letter ------------------------------------------------------------


def test_a_time_barred_account_gets_no_legal_letter(team):
    barred = _us_account(team, statute_of_limitations_date=date(2026, 6, 30))
    open_debt = _us_account(team, statute_of_limitations_date=date(2028, 6, 30))
    blocked = _letter_reminder(barred, "legal-notice", "en", key="barred")
    sent = _letter_reminder(open_debt, "legal-notice", "en", key="open")

    summary = _send()

    blocked.refresh_from_db()
    sent.refresh_from_db()
    assert (summary.sent, summary.blocked) == (1, 1)
    assert blocked.status == Reminder.Status.BLOCKED
    assert sent.status == Reminder.Status.SENT
    citations = {
        v["citation"] for v in blocked.decision.violations if v["rule"] == "time_barred_threat"
    }
    assert citations == {"12 CFR 1006.26(b)"}
    assert list(Letter.objects.values_list("account_id", flat=True)) == [open_debt.pk]


def test_a_legal_letter_is_refused_on_a_time_barred_debt_whatever_its_words(team):
    barred = _us_account(team, statute_of_limitations_date=date(2026, 6, 30))
    legal = _letter_template("legal-notice", "en")

    by_kind = contact_check(
        account=barred,
        channel="letter",
        at=NOW,
        message=f"Dear Pat, please call us about account ending 1234. {US_DISCLOSURE}",
        template=legal,
        store=False,
    )

    assert [(v.rule, v.category) for v in by_kind.violations] == [
        ("time_barred_threat", rules.LEGAL_NOTICE)
    ]


@pytest.mark.parametrize(
    "words",
    [
        "Your account is with our legal department.",
        "Your account has been referred to our attorneys.",
        "您的账户已转交法务部处理。",
        "我们将起诉您。",
    ],
)
def test_suit_wording_in_any_letter_is_refused_on_a_time_barred_debt(team, words):
    barred = _us_account(team, statute_of_limitations_date=date(2026, 6, 30))
    message = f"{words} {US_DISCLOSURE}"

    decision = contact_check(account=barred, channel="letter", at=NOW, message=message, store=False)
    in_time = contact_check(
        account=_us_account(team), channel="letter", at=NOW, message=message, store=False
    )

    assert [v.rule for v in decision.violations] == ["time_barred_threat"]
    assert decision.violations[0].citation == "12 CFR 1006.26(b)"
    assert in_time.allowed


# --- Exactly once --------------------------------------------------------------------------


def _message(account, key="k-1"):
    return OutboundMessage(
        idempotency_key=key,
        channel="letter",
        to=US_ADDRESS,
        body="Dear Pat, this message is from a debt collector.",
        account_id=account.pk,
        customer_name="Pat",
        letter_kind=rules.COLLECTION_NOTICE,
        language="en",
    )


def test_a_letter_is_stored_once_per_key(team, settings, channels):
    account = _us_account(team)

    LetterBackend().send(_message(account))
    LetterBackend().send(_message(account))  # a second instance, as after a restart
    LetterBackend().send(_message(account, key="k-2"))

    assert Letter.objects.count() == 2
    pdfs = sorted(p.name for p in letter_files(settings))
    assert len(pdfs) == 2
    lines = (channels / "letter.jsonl").read_text().splitlines()
    assert [json.loads(line)["key"] for line in lines] == ["k-1", "k-2"]


def letter_files(settings):
    return list(Path(settings.SETTLE_LETTER_DIR).rglob("*.pdf"))


def test_a_letter_is_evidence(team):
    account = _us_account(team)
    LetterBackend().send(_message(account))
    letter = Letter.objects.get()

    with pytest.raises(PermissionError):
        letter.save()
    with pytest.raises(PermissionError):
        Letter.objects.update(pages=9)
    with pytest.raises(PermissionError):
        letter.delete()


def test_a_reminder_sent_twice_prints_one_letter(team):
    account = _us_account(team)
    reminder = _letter_reminder(account, "collection-notice", "en")
    _send()
    # As after a crash between the send and the outcome: the reminder is due again.
    Reminder.objects.filter(pk=reminder.pk).update(status="pending", next_attempt_at=NOW)

    _send()

    assert Letter.objects.count() == 1


# --- The day's print batch -----------------------------------------------------------------


def test_the_print_batch_lists_the_days_letters_once(team, other_team, settings):
    us = _us_account(team, number="4000123412341111")
    cn = _cn_account(other_team, number="6200123412342222")
    with time_machine.travel(NOW, tick=False):
        LetterBackend().send(_message(us, key="a"))
        LetterBackend().send(
            OutboundMessage(
                idempotency_key="b",
                channel="letter",
                to=CN_ADDRESS,
                body="尊敬的张三：",
                account_id=cn.pk,
                customer_name="张三",
                letter_kind=rules.COLLECTION_NOTICE,
                language="zh-hans",
            )
        )
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        LetterBackend().send(_message(us, key="next-day"))
    day = NOW.date()

    batch, created = print_batch_build(day=day, now=NOW + timedelta(days=1))
    again, created_again = print_batch_build(day=day, now=NOW + timedelta(days=1))

    assert (created, created_again) == (True, False)
    assert again.pk == batch.pk and PrintBatch.objects.count() == 1
    letters = list(Letter.objects.filter(idempotency_key__in=["a", "b"]).order_by("id"))
    assert list(batch.letters.order_by("id")) == letters
    assert (batch.letter_count, batch.page_count) == (2, sum(x.pages for x in letters))
    raw = (Path(settings.SETTLE_LETTER_DIR) / batch.manifest).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == batch.manifest_sha256
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(rows[0]) == MANIFEST_COLUMNS
    assert rows[1:] == [
        [
            str(x.pk),
            f"{'•' * 12}{x.account.number[-4:]}",
            x.recipient,
            str(x.pages),
            x.sha256,
            x.file,
        ]
        for x in letters
    ]
    assert "4000123412341111" not in raw.decode("utf-8-sig")
    assert CN_ADDRESS in rows[2][2]


def test_the_task_and_the_command_build_one_batch(team, capsys):
    with time_machine.travel(NOW, tick=False):
        LetterBackend().send(_message(_us_account(team)))

    result = print_batch_task(NOW.date().isoformat())
    call_command("print_batch", "--day", NOW.date().isoformat())

    assert result == {"day": "2026-11-23", "letters": 1, "created": True}
    assert "Already built: print batch 2026-11-23: 1 letters" in capsys.readouterr().out
    assert PrintBatch.objects.count() == 1


# --- On the timeline; the PDF for the account's team only ----------------------------------


def test_the_letter_is_on_the_timeline_and_its_pdf_for_the_team_only(
    client, team, specialist, other_specialist
):
    account = _us_account(team, assigned_to=specialist)
    LetterBackend().send(_message(account))
    letter = Letter.objects.get()

    events = [e for e in account_timeline(account) if e.kind == "letter"]

    url = reverse("account-letter-pdf", kwargs={"account_id": account.pk, "pk": letter.pk})
    assert [(e.ref, e.recording) for e in events] == [(letter.pk, url)]
    assert letter.sha256 in events[0].detail
    client.force_login(other_specialist)
    assert client.get(url).status_code in (403, 404)
    assert not PersonalDataReveal.objects.exists()
    client.force_login(specialist)
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == letter.path.read_bytes()
    assert response["X-Content-SHA256"] == letter.sha256
    reveal = PersonalDataReveal.objects.get()
    assert (reveal.user, reveal.account_id, reveal.fields) == (
        specialist,
        account.pk,
        [f"letter:{letter.pk}"],
    )
    page = client.get(reverse("accounts:detail", args=[account.pk]))
    assert url in page.content.decode()
