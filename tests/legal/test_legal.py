"""Legal referral and cases: who may refer what, authority, the case's life, the queue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib import import_module

import pytest
import time_machine
from auditlog.models import LogEntry
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Account, PersonalDataReveal, Stage
from compliance.models import RestrictionKind, RestrictionSource
from compliance.services import restriction_create
from contacts.models import MessageTemplate, Reminder
from core.conflicts import DomainConflict
from legal import services
from legal.models import CaseStatus, LegalCase, LegalReferral, ReferralStatus, StepKind
from outreach.reminders import reminders_generate, reminders_send_due
from outreach.strategies import templates_seed
from tests.factories import ContactPointFactory, UserFactory
from tests.plans.factories import owing_account
from workspace.queue import QueueFilters, work_queue

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TODAY = NOW.date()
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _pinned(settings, tmp_path):
    # The default authorities (a data migration a live-server test's flush may have removed).
    import_module("legal.migrations.0001_legal_referral_and_cases").forwards(apps, None)
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW, tick=False):
        yield


def _user(role, team, username):
    user = UserFactory(username=username, team=team)
    user.groups.add(Group.objects.get(name=role))
    return user


def _account(team, specialist, **extra):
    extra.setdefault("delinquent_since", date(2026, 6, 1))
    return owing_account(team, assigned_to=specialist, stage=Stage.LATE, **extra)


def _refer(account, by, **extra):
    extra.setdefault("reasons", ["wilful"])
    return services.referral_create(account=account, by=by, **extra)


# --- Referral ---------------------------------------------------------------------------------


def test_a_referral_within_authority_opens_the_case_and_takes_the_account_to_legal(
    team, specialist, supervisor
):
    account = _account(team, specialist)  # 10,000.00 USD: the default supervisor limit

    referral = _refer(
        account,
        supervisor,
        note="Owns a house, refuses every plan.",
        documents=[SimpleUploadedFile("agreement.pdf", PDF)],
    )

    assert referral.status == ReferralStatus.APPROVED
    case = LegalCase.objects.get(referral=referral)
    assert case.claim_amount == Decimal("10000.00") and case.status == CaseStatus.PREPARING
    assert case.stage_before == Stage.LATE
    account.refresh_from_db()
    assert account.stage == Stage.LEGAL
    document = referral.documents.get()
    assert document.sha256 == __import__("hashlib").sha256(PDF).hexdigest()
    assert document.file.read() == PDF
    # audited: who referred, who approved, the account's stage
    assert LogEntry.objects.get_for_object(referral).filter(actor=supervisor).exists()
    assert LogEntry.objects.get_for_object(account).filter(actor=supervisor).exists()


def test_above_authority_the_referral_waits_for_someone_whose_authority_covers_it(
    team, specialist, supervisor, admin_user
):
    account = _account(team, specialist, principal="20000.00")  # 21,000.00 > 10,000.00
    other = _user("supervisor", team, "sid")

    referral = _refer(account, supervisor)

    assert referral.status == ReferralStatus.PENDING
    assert Account.objects.get(pk=account.pk).stage == Stage.LATE
    with pytest.raises(PermissionDenied):  # the referrer never decides
        services.referral_decide(referral=referral, by=supervisor, approve=True, note="ok")
    with pytest.raises(PermissionDenied, match="authority"):  # 10,000 does not cover 21,000
        services.referral_decide(referral=referral, by=other, approve=True, note="ok")
    with pytest.raises(ValidationError):
        services.referral_decide(referral=referral, by=admin_user, approve=True, note=" ")

    services.referral_decide(referral=referral, by=admin_user, approve=True, note="Go ahead.")

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.APPROVED and referral.decided_by == admin_user
    assert Account.objects.get(pk=account.pk).stage == Stage.LEGAL
    with pytest.raises(DomainConflict):
        services.referral_decide(referral=referral, by=admin_user, approve=False, note="no")


def test_a_time_barred_debt_cannot_be_referred(team, specialist, supervisor, client):
    account = _account(team, specialist, statute_of_limitations_date=TODAY - timedelta(days=1))

    with pytest.raises(DomainConflict, match="statute of limitations"):
        _refer(account, supervisor)
    assert not LegalReferral.objects.exists()
    assert Account.objects.get(pk=account.pk).stage == Stage.LATE

    client.force_login(supervisor)
    page = client.get(reverse("legal:refer", args=[account.pk]))
    assert "time-barred" in page.content.decode() and b"referral-form" not in page.content
    posted = client.post(reverse("legal:refer", args=[account.pk]), {"reasons": ["wilful"]})
    assert posted.status_code == 409 and not LegalReferral.objects.exists()


def test_the_last_day_of_the_limitation_period_may_still_be_referred(team, specialist, supervisor):
    account = _account(team, specialist, statute_of_limitations_date=TODAY)

    assert _refer(account, supervisor).status == ReferralStatus.APPROVED


@pytest.mark.parametrize(
    "kind", [RestrictionKind.BANKRUPTCY, RestrictionKind.DECEASED, RestrictionKind.DISPUTE_PENDING]
)
def test_no_referral_under_a_bankruptcy_stay_a_death_or_a_dispute(
    team, specialist, supervisor, kind
):
    account = _account(team, specialist)
    restriction_create(
        account=account,
        kind=kind,
        source=RestrictionSource.COURT,
        by=supervisor,
        effective_from=TODAY - timedelta(days=3),
    )

    with pytest.raises(DomainConflict, match="no claim may be brought"):
        _refer(account, supervisor)


def test_only_accounts_in_collections_and_only_supervisors(team, specialist, supervisor, client):
    account = _account(team, specialist)
    with pytest.raises(PermissionDenied):
        _refer(account, specialist)
    client.force_login(specialist)
    assert client.get(reverse("legal:refer", args=[account.pk])).status_code == 403

    Account.objects.filter(pk=account.pk).update(stage=Stage.ON_PLAN)
    with pytest.raises(DomainConflict, match="Only an account in collections"):
        _refer(account, supervisor)


def test_reasons_and_documents_are_checked_and_nothing_is_half_kept(
    team, specialist, supervisor, client
):
    account = _account(team, specialist)
    with pytest.raises(ValidationError) as error:
        _refer(account, supervisor, reasons=[])
    assert "reasons" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        _refer(account, supervisor, reasons=["other"])
    assert "note" in error.value.message_dict

    client.force_login(supervisor)
    response = client.post(
        reverse("legal:refer", args=[account.pk]),
        {
            "reasons": ["wilful"],
            "documents": [
                SimpleUploadedFile("ok.pdf", PDF),
                SimpleUploadedFile("notes.txt", b"just text"),
            ],
        },
    )
    assert response.status_code == 400
    assert "notes.txt" in response.content.decode()
    assert not LegalReferral.objects.exists()
    assert Account.objects.get(pk=account.pk).stage == Stage.LATE


# --- The case ---------------------------------------------------------------------------------


def test_steps_costs_and_closing(team, specialist, supervisor):
    account = _account(team, specialist)
    case = _refer(account, supervisor).case

    filing = services.step_add(case=case, by=supervisor, kind=StepKind.FILING, due_on=TODAY)
    services.step_done(step=filing, by=supervisor, done_on=TODAY)
    case.refresh_from_db()
    assert case.status == CaseStatus.FILED and case.filed_on == TODAY
    with pytest.raises(DomainConflict):
        services.step_done(step=filing, by=supervisor, done_on=TODAY)
    services.case_update(
        case=case, by=supervisor, data={"court": "Kings County Civil Court", "case_number": "CV-1"}
    )
    services.cost_add(
        case=case,
        by=supervisor,
        kind="court_fee",
        amount=Decimal("95.00"),
        incurred_on=TODAY,
        recoverable=True,
    )
    services.cost_add(
        case=case,
        by=supervisor,
        kind="lawyer",
        amount=Decimal("400.10"),
        incurred_on=TODAY,
        recoverable=False,
    )
    with pytest.raises(ValidationError) as error:
        services.cost_add(
            case=case,
            by=supervisor,
            kind="lawyer",
            amount=Decimal("1.00"),
            incurred_on=TODAY + timedelta(days=1),
            recoverable=False,
        )
    assert "incurred_on" in error.value.message_dict
    assert services.cost_totals(case) == {
        "recoverable": Decimal("95.00"),
        "unrecoverable": Decimal("400.10"),
        "total": Decimal("495.10"),
    }

    services.case_close(case=case, by=supervisor, outcome="withdrawn")

    account.refresh_from_db()
    assert account.stage == Stage.LATE  # 175 days past due: back to late collections
    with pytest.raises(DomainConflict):
        services.step_add(case=case, by=supervisor, kind=StepKind.HEARING, due_on=TODAY)
    # a new referral is possible once the case is closed
    assert _refer(account, supervisor).status == ReferralStatus.APPROVED


def test_the_case_page_records_what_the_court_says(team, specialist, supervisor, client):
    account = _account(team, specialist)
    case = _refer(account, supervisor, documents=[SimpleUploadedFile("a.pdf", PDF)]).case
    client.force_login(supervisor)
    url = reverse("legal:case", args=[case.pk])

    assert client.get(url).status_code == 200
    response = client.post(
        url, {"action": "step", "step-kind": "hearing", "step-due_on": "2026-12-01"}
    )
    assert response.status_code == 302
    bad = client.post(url, {"action": "cost", "cost-kind": "court_fee", "cost-amount": "-1"})
    assert bad.status_code == 400 and case.costs.count() == 0
    step = case.steps.get()
    assert step.kind == "hearing" and step.due_on == date(2026, 12, 1)
    client.post(url, {"action": "done", "step": step.pk, "done_on": "2026-11-23"})
    assert case.steps.get().done_on == TODAY

    document = case.referral.documents.get()
    download = client.get(reverse("legal:document", args=[document.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert PersonalDataReveal.objects.filter(
        user=supervisor, fields=[f"legal_document:{document.pk}"]
    ).exists()


# --- Out of the specialists' queue and strategies, legal dates in the supervisors' ------------


def test_an_account_in_legal_leaves_the_specialists_queue_and_its_dates_reach_the_supervisors(
    team, specialist, supervisor
):
    kept = _account(team, specialist)
    legal = _account(team, specialist)
    placed = _account(team, specialist)
    Account.objects.filter(pk=placed.pk).update(stage=Stage.PLACED)
    case = _refer(legal, supervisor).case

    def ids(user):
        queue = work_queue(user, as_of=TODAY, filters=QueueFilters())
        return [a.pk for a in queue[0:50]]

    assert ids(specialist) == [kept.pk]
    assert placed.pk not in ids(supervisor)
    assert legal.pk in ids(supervisor)

    services.step_add(case=case, by=supervisor, kind=StepKind.HEARING, due_on=TODAY + timedelta(3))
    queue = work_queue(supervisor, as_of=TODAY, filters=QueueFilters(reason="legal_date"))
    assert [a.pk for a in queue[0:50]] == [legal.pk]
    assert queue.counts()["legal_date"] == 1
    assert ids(specialist) == [kept.pk]


def test_strategies_stop_for_an_account_in_legal_even_a_reminder_already_queued(
    team, specialist, supervisor
):
    import_module("contacts.migrations.0008_reminder_defaults").strategies_create(apps, None)
    import_module("contacts.migrations.0018_strategy_versions").forwards(apps, None)
    templates_seed()
    account = _account(team, specialist, risk_tier="general", delinquent_since=date(2026, 11, 10))
    ContactPointFactory(customer=account.customer)
    reminders_generate(as_of=TODAY, now=NOW)
    queued = Reminder.objects.get(account=account, kind=Reminder.Kind.STRATEGY)
    Account.objects.filter(pk=account.pk).update(stage=Stage.EARLY)
    account.refresh_from_db()

    _refer(account, supervisor)
    reminders_send_due(now=NOW, worker_id="w1")
    reminders_generate(as_of=TODAY + timedelta(days=7), now=NOW + timedelta(days=7))

    queued.refresh_from_db()
    assert queued.status == Reminder.Status.CANCELLED and queued.last_error == "account legal"
    assert Reminder.objects.filter(account=account).count() == 1
    assert MessageTemplate.objects.exists()


def test_the_admin_shows_a_case_with_its_steps_and_costs_read_only(
    team, specialist, supervisor, admin_user, client
):
    case = _refer(_account(team, specialist), supervisor).case
    services.step_add(case=case, by=supervisor, kind=StepKind.HEARING, due_on=TODAY)
    client.force_login(admin_user)

    page = client.get(reverse("admin:legal_legalcase_change", args=[case.pk]))

    assert page.status_code == 200
    assert "Hearing" in page.content.decode()
    assert b'name="steps-0-due_on"' not in page.content  # shown, not editable
