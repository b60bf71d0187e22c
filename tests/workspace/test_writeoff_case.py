"""Proposing a write-off from the case page, and what the case page shows of one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Stage
from plans import services
from plans.models import WriteOff, WriteOffStatus
from tests.factories import ContactPointFactory
from tests.plans.factories import active_plan, owing_account

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = "2026-11-23"
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def case(team, specialist):
    """Owes 1,075.00, 60 days past due."""
    account = owing_account(
        team,
        assigned_to=specialist,
        delinquent_since=date(2026, 9, 24),
        principal="1000.00",
        interest="50.00",
        fees="25.00",
    )
    ContactPointFactory(customer=account.customer)
    return account


def propose(client, case, **data):
    form = {f"write_off-{k}": v for k, v in data.items()}
    return client.post(reverse("accounts:write_off_propose", args=[case.pk]), form, **HTMX)


def page(client, case) -> str:
    return client.get(reverse("accounts:detail", args=[case.pk])).content.decode()


def test_a_specialist_proposes_a_write_off_from_the_case(client, specialist, case):
    client.force_login(specialist)
    assert "Propose write-off" in page(client, case)

    response = propose(client, case, reason="Customer deceased, no estate", stop_collecting="on")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Write-off proposed" in html
    proposal = WriteOff.objects.get(account=case)
    assert (proposal.status, proposal.proposed_by, proposal.stop_collecting) == (
        WriteOffStatus.PROPOSED,
        specialist,
        True,
    )
    assert f'data-write-off-proposed="{proposal.pk}"' in html
    assert "waits for a supervisor" in html
    assert 'id="propose-write-off"' not in html  # one proposal at a time


def test_a_proposal_without_a_reason_is_the_form_again(client, specialist, case):
    client.force_login(specialist)
    response = propose(client, case, reason="")
    assert response.status_code == 400
    assert 'id="write-off-form"' in response.content.decode()
    assert not WriteOff.objects.exists()


def test_an_account_on_a_plan_says_why_and_refuses(client, specialist, case):
    plan = active_plan(case, specialist, now=NOW, start_date=NOW.date())
    client.force_login(specialist)
    html = page(client, case)
    assert f"The account has plan {plan.pk}, which is active" in html
    assert 'id="propose-write-off"' not in html
    response = propose(client, case, reason="Uncollectable")
    assert response.status_code == 409
    assert "waits for it to end" in response.content.decode()
    assert not WriteOff.objects.exists()


def test_the_case_shows_the_applied_write_off(client, specialist, supervisor, case):
    proposal = services.write_off_propose(account=case, by=specialist, reason="Fraud", now=NOW)
    services.write_off_approve(write_off=proposal, by=supervisor, note="ok", now=NOW)
    client.force_login(specialist)
    html = page(client, case).split('id="write-off"')[1]
    assert f'data-write-off="{proposal.pk}"' in html
    assert "2026-11-23" in html or "Nov. 23, 2026" in html
    assert "1,075.00" in html and "By decision" in html
    assert supervisor.username in html and specialist.username in html
    assert "collections go on" in html


def test_the_case_page_query_count_does_not_grow_with_a_write_off(
    client, specialist, supervisor, case, django_assert_max_num_queries
):
    proposal = services.write_off_propose(account=case, by=specialist, reason="Fraud", now=NOW)
    services.write_off_approve(write_off=proposal, by=supervisor, note="ok", now=NOW)
    client.force_login(specialist)
    url = reverse("accounts:detail", args=[case.pk])
    client.get(url)
    # The case page's bound (test_workspace_pages): one query reads the account's write-offs
    # with who proposed and approved them, whatever they are.
    with django_assert_max_num_queries(35):
        assert client.get(url).status_code == 200


def test_a_written_off_account_that_stopped_collecting_leaves_the_queue(
    client, specialist, supervisor, case
):
    proposal = services.write_off_propose(
        account=case, by=specialist, reason="x", stop_collecting=True, now=NOW
    )
    services.write_off_approve(write_off=proposal, by=supervisor, note="ok", now=NOW + timedelta(1))
    case.refresh_from_db()
    assert case.stage == Stage.WRITTEN_OFF
    client.force_login(specialist)
    assert "Collections stopped" in page(client, case)


def test_the_nightly_run_charges_off_by_policy_once(team, specialist):
    from workspace import nightly

    as_of = date(2027, 6, 1)
    now = datetime(2027, 6, 1, 2, 0, tzinfo=UTC)
    late = owing_account(team, delinquent_since=as_of - timedelta(days=180))
    early = owing_account(team, delinquent_since=as_of - timedelta(days=179))
    with time_machine.travel(now, tick=False):
        first = nightly.nightly_run(as_of=as_of, now=now, chunk_size=1)
        second = nightly.nightly_run(as_of=as_of, now=now, chunk_size=1)
    assert first.step("write_off").changed == 1
    assert second.step("write_off").changed == 0
    late.refresh_from_db()
    early.refresh_from_db()
    assert (late.charge_off_date, early.charge_off_date) == (as_of, None)
    assert late.stage == Stage.EARLY  # collections go on
    # The write-off runs before the bucket moves: the night's moves are recorded as usual.
    names = [step.name for step in first.steps]
    assert names.index("write_off") < names.index("bucket_moves")
