"""The case page's actions (htmx forms): each through the service the API uses, each checking who
may, each leaving its trace on the timeline; refusals are the form again with the reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import ContactPoint, PersonalDataReveal
from compliance.models import CommunicationRestriction
from compliance.services import restriction_create
from contacts.models import CallbackTask, ContactLog, Dispute
from outreach.services import complaint_open, dispute_open
from plans.models import HardshipArrangement, PlanStatus
from tests.compliance.factories import ContactLogFactory
from tests.factories import AccountFactory, ContactPointFactory, UserFactory
from tests.plans.factories import active_plan, draft_plan, owing_account

pytestmark = pytest.mark.django_db

# Monday 23 Nov 2026, 15:00 UTC = 10:00 in New York.
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}
OGG = b"OggS\0\x02" + b"\0" * 64


@pytest.fixture(autouse=True)
def _pinned(settings, tmp_path):
    settings.BUSINESS_DATE = "2026-11-23"
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def case(team, specialist):
    account = owing_account(
        team,
        assigned_to=specialist,
        customer__name="Jane Roe",
        customer__monthly_income=Decimal("4000.00"),
    )
    account.phone = ContactPointFactory(customer=account.customer, value="+12125550142")
    return account


@pytest.fixture
def teammate(team):
    user = UserFactory(username="tess", team=team)
    user.groups.add(Group.objects.get(name="specialist"))
    return user


def url(name, case, item=None):
    return reverse(f"accounts:{name}", args=[case.pk] if item is None else [case.pk, item])


def page(client, case) -> str:
    return client.get(reverse("accounts:detail", args=[case.pk])).content.decode()


def timeline(client, case) -> str:
    return page(client, case).split('id="timeline"')[1]


def test_a_done_action_answers_the_case_page_for_htmx_and_a_redirect_without(
    client, specialist, case
):
    client.force_login(specialist)
    data = {"budget-monthly_income": "3500.00", "budget-monthly_expenses": "3100.00"}
    response = client.post(url("budget", case), data, **HTMX)
    assert response.status_code == 200
    assert (response["HX-Retarget"], response["HX-Reselect"], response["HX-Reswap"]) == (
        "main",
        "main",
        "outerHTML",
    )
    html = response.content.decode()
    assert "Declared income and expenses saved." in html and "3100.00" in html
    response = client.post(url("budget", case), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:detail", args=[case.pk]) + "#customer"


# --- Declared budget -------------------------------------------------------------------------
def test_declared_income_and_expenses_are_saved_audited_and_on_the_timeline(
    client, specialist, case
):
    client.force_login(specialist)
    response = client.post(
        url("budget", case),
        {"budget-monthly_income": "3500.00", "budget-monthly_expenses": "3100.00"},
        **HTMX,
    )
    assert response.status_code == 200
    case.customer.refresh_from_db()
    assert (case.customer.monthly_income, case.customer.monthly_expenses) == (
        Decimal("3500.00"),
        Decimal("3100.00"),
    )
    assert LogEntry.objects.get_for_object(case.customer).filter(actor=specialist).exists()
    events = timeline(client, case)
    assert "Declared income and expenses changed" in events
    assert "income 4000.00 → 3500.00; expenses 3000.00 → 3100.00" in events


def test_a_negative_income_is_the_form_again_with_the_error(client, specialist, case):
    client.force_login(specialist)
    response = client.post(
        url("budget", case),
        {"budget-monthly_income": "-1", "budget-monthly_expenses": "100"},
        **HTMX,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert html.lstrip().startswith("<form") and 'id="budget-form"' in html
    assert "greater than or equal to 0" in html
    case.customer.refresh_from_db()
    assert case.customer.monthly_income == Decimal("4000.00")


# --- Contact points --------------------------------------------------------------------------
def test_a_contact_point_is_added_normalised_and_on_the_timeline(client, specialist, case):
    client.force_login(specialist)
    response = client.post(
        url("contact_point_add", case),
        {"point-kind": "phone", "point-value": "(212) 555-0199", "point-label": "work"},
        **HTMX,
    )
    assert response.status_code == 200
    point = ContactPoint.objects.get(customer=case.customer, label="work")
    assert point.value == "+12125550199"
    assert "Contact point added: Phone +1 ••••••0199" in timeline(client, case)


def test_a_bad_number_is_refused_with_the_reason(client, specialist, case):
    client.force_login(specialist)
    response = client.post(
        url("contact_point_add", case),
        {"point-kind": "phone", "point-value": "12", "point-label": "mobile"},
        **HTMX,
    )
    assert response.status_code == 400
    assert "not a valid phone number" in response.content.decode()
    assert case.customer.contact_points.count() == 1


def test_opting_out_is_for_anyone_opting_back_in_for_supervisors(
    client, specialist, supervisor, case
):
    client.force_login(specialist)
    target = url("contact_point_opt_out", case, case.phone.pk)
    assert client.post(target, {"opted_out": "1"}, **HTMX).status_code == 200
    case.phone.refresh_from_db()
    assert case.phone.opted_out and case.phone.opted_out_at == NOW
    assert "Contact point opted out: Phone +1 ••••••0142" in timeline(client, case)

    response = client.post(target, {"opted_out": "0"}, **HTMX)
    assert response.status_code == 403
    assert "Only a supervisor may opt a contact point back in." in response.content.decode()
    case.phone.refresh_from_db()
    assert case.phone.opted_out

    client.force_login(supervisor)
    assert client.post(target, {"opted_out": "0"}, **HTMX).status_code == 200
    case.phone.refresh_from_db()
    assert not case.phone.opted_out and case.phone.opted_out_at is None
    assert "Contact point opted back in" in timeline(client, case)


# --- Restrictions --------------------------------------------------------------------------
def test_a_restriction_is_recorded_by_any_role(client, specialist, case):
    client.force_login(specialist)
    response = client.post(
        url("restriction_add", case),
        {
            "restriction-kind": "inconvenient_time",
            "restriction-source": "customer_verbal",
            "restriction-not_before": "10:00",
            "restriction-notes": "Works nights",
        },
        **HTMX,
    )
    assert response.status_code == 200, response.content.decode()[:500]
    restriction = CommunicationRestriction.objects.get(customer=case.customer)
    assert (restriction.kind, restriction.created_by) == ("inconvenient_time", specialist)
    assert str(restriction.not_before) == "10:00:00"
    assert "Restriction: Inconvenient times" in timeline(client, case)


def test_an_attorney_restriction_without_the_attorney_is_refused(client, specialist, case):
    client.force_login(specialist)
    response = client.post(
        url("restriction_add", case),
        {"restriction-kind": "attorney_represented", "restriction-source": "attorney"},
        **HTMX,
    )
    assert response.status_code == 400
    assert "Name the attorney." in response.content.decode()
    assert not CommunicationRestriction.objects.exists()


def test_only_supervisors_end_restrictions_and_never_twice(client, specialist, supervisor, case):
    restriction = restriction_create(
        by=specialist, account=case, kind="cease_communication", source="customer_written"
    )
    target = url("restriction_end", case, restriction.pk)
    client.force_login(specialist)
    assert "End restriction" not in page(client, case)
    response = client.post(target, {"reason": "withdrawn"}, **HTMX)
    assert response.status_code == 403
    assert "Only a supervisor may end a restriction." in response.content.decode()

    client.force_login(supervisor)
    assert "End restriction" in page(client, case)
    assert client.post(target, {"reason": ""}, **HTMX).status_code == 400
    assert client.post(target, {"reason": "withdrawn in writing"}, **HTMX).status_code == 200
    restriction.refresh_from_db()
    assert restriction.ended_by == supervisor and restriction.end_reason == "withdrawn in writing"
    assert "Restriction lifted: Cease communication" in timeline(client, case)
    again = client.post(target, {"reason": "again"}, **HTMX)
    assert again.status_code == 409
    assert "already ended" in again.content.decode()


def test_a_disputes_hold_cannot_be_ended_by_hand(client, specialist, supervisor, case):
    dispute = dispute_open(account=case, description="Not mine", by=specialist, now=NOW)
    client.force_login(supervisor)
    assert "Ends when its dispute is resolved or rejected." in page(client, case)
    response = client.post(
        url("restriction_end", case, dispute.restriction_id), {"reason": "x"}, **HTMX
    )
    assert response.status_code == 409
    assert "when its dispute is resolved or rejected" in response.content.decode()


# --- Disputes and complaints ---------------------------------------------------------------
def test_a_dispute_is_reviewed_then_resolved_by_its_owner_or_a_supervisor(
    client, specialist, supervisor, case
):
    dispute = dispute_open(account=case, description="Not mine", by=specialist, now=NOW)
    target = url("dispute_transition", case, dispute.pk)
    client.force_login(specialist)  # the owner is the team's supervisor
    assert client.post(target, {"status": "under_review"}, **HTMX).status_code == 403

    client.force_login(supervisor)
    assert client.post(target, {"status": "under_review"}, **HTMX).status_code == 200
    response = client.post(target, {"status": "resolved", "note": ""}, **HTMX)
    assert response.status_code == 400
    assert "Say how it was resolved or why rejected." in response.content.decode()
    assert client.post(target, {"status": "resolved", "note": "Paid"}, **HTMX).status_code == 200
    dispute.refresh_from_db()
    assert dispute.status == "resolved" and dispute.restriction.ended_at is not None
    events = timeline(client, case)
    assert f"Dispute {dispute.pk}: Under review" in events
    assert f"Dispute {dispute.pk}: Resolved" in events

    again = client.post(target, {"status": "rejected", "note": "late"}, **HTMX)
    assert again.status_code == 409
    assert "cannot become Rejected" in again.content.decode()


def test_a_complaint_is_resolved_from_the_case_page(client, specialist, supervisor, case):
    complaint = complaint_open(account=case, description="Too many calls", by=specialist, now=NOW)
    client.force_login(supervisor)
    response = client.post(
        url("complaint_transition", case, complaint.pk),
        {"status": "resolved", "note": "Apologised; calls capped"},
        **HTMX,
    )
    assert response.status_code == 200
    complaint.refresh_from_db()
    assert complaint.status == "resolved" and complaint.resolution == "Apologised; calls capped"


# --- Plans ---------------------------------------------------------------------------------
def test_a_specialist_cancels_a_draft_but_not_an_active_plan(client, specialist, supervisor, case):
    draft = draft_plan(case, specialist, now=NOW)
    client.force_login(specialist)
    target = url("plan_cancel", case, draft.pk)
    assert client.post(target, {"reason": ""}, **HTMX).status_code == 400
    assert client.post(target, {"reason": "Customer chose a lump sum"}, **HTMX).status_code == 200
    draft.refresh_from_db()
    assert draft.status == PlanStatus.CANCELLED and draft.cancel_reason.startswith("Customer")
    assert f"Plan {draft.pk}: Cancelled" in timeline(client, case)
    assert client.post(target, {"reason": "again"}, **HTMX).status_code == 409

    active = active_plan(owing_account(case.team, assigned_to=specialist), specialist, now=NOW)
    other = active.account
    response = client.post(url("plan_cancel", other, active.pk), {"reason": "no"}, **HTMX)
    assert response.status_code == 403
    assert "Only a supervisor or an admin may cancel an active plan." in response.content.decode()
    client.force_login(supervisor)
    assert (
        client.post(url("plan_cancel", other, active.pk), {"reason": "fraud"}, **HTMX).status_code
        == 200
    )


# --- Hardship programmes --------------------------------------------------------------------
def test_a_hardship_programme_is_arranged_and_converted_into_a_plan(client, specialist, case):
    client.force_login(specialist)
    page = client.get(reverse("accounts:detail", args=[case.pk])).content.decode()
    assert 'id="arrange-hardship"' in page and "No hardship arrangements." in page

    # The service's limits come back by the field, and nothing is written.
    bad = {
        "hardship-kind": "reduced_payment",
        "hardship-months": "2",
        "hardship-reason": "Reduced hours.",
    }
    response = client.post(url("hardship_add", case), bad, **HTMX)
    assert response.status_code == 400
    assert "A reduced payment needs the monthly amount." in response.content.decode()
    assert not HardshipArrangement.objects.exists()

    good = {**bad, "hardship-monthly_amount": "150.00"}
    response = client.post(url("hardship_add", case), good, **HTMX)
    assert response.status_code == 200
    arrangement = HardshipArrangement.objects.get()
    case.refresh_from_db()
    assert (arrangement.kind, arrangement.months, case.minimum_due) == (
        "reduced_payment",
        2,
        Decimal("150.00"),
    )
    assert "Hardship arrangement: Reduced payment for 2 months" in timeline(client, case)
    # A second of the same kind is a conflict, said in the form.
    response = client.post(url("hardship_add", case), good, **HTMX)
    assert response.status_code == 409
    assert "already has an active reduced payment arrangement" in response.content.decode()

    end = url("hardship_end", case, arrangement.pk)
    response = client.post(end, {"outcome": "convert", "note": "Back at work"}, **HTMX)
    assert response.status_code == 400
    assert "A plan needs the number of installments." in response.content.decode()
    arrangement.refresh_from_db()
    assert arrangement.status == "active"  # all or nothing

    response = client.post(
        end, {"outcome": "convert", "installments": "12", "annual_rate": "12"}, **HTMX
    )
    assert response.status_code == 200
    arrangement.refresh_from_db()
    case.refresh_from_db()
    assert (arrangement.status, arrangement.outcome) == ("ended", "convert")
    assert arrangement.plan.status == PlanStatus.DRAFT and arrangement.plan.installment_count == 12
    assert case.minimum_due == Decimal("300.00")  # restored
    assert f"plan {arrangement.plan_id} drafted" in timeline(client, case)
    assert client.post(end, {"outcome": "revert"}, **HTMX).status_code == 409


# --- Recordings ----------------------------------------------------------------------------
def test_a_recording_is_kept_once_played_through_the_checked_endpoint(client, specialist, case):
    entry = ContactLogFactory(account=case, user=specialist, occurred_at=NOW - timedelta(hours=1))
    client.force_login(specialist)
    assert "Attach a recording" in timeline(client, case)
    target = url("contact_recording", case, entry.pk)
    response = client.post(
        target, {"file": SimpleUploadedFile("call.ogg", OGG, "audio/ogg")}, **HTMX
    )
    assert response.status_code == 200
    entry.refresh_from_db()
    assert entry.attachment.name.startswith("contact-evidence/")
    play = reverse("account-contact-attachment", kwargs={"account_id": case.pk, "pk": entry.pk})
    events = timeline(client, case)
    assert f'<audio controls preload="none" src="{play}">' in events
    assert f"Recording added to contact {entry.pk}" in events
    assert client.get(play)["Content-Type"] == "audio/ogg"
    assert PersonalDataReveal.objects.filter(fields=[f"attachment:{entry.pk}"]).count() == 1

    again = client.post(target, {"file": SimpleUploadedFile("other.ogg", OGG, "audio/ogg")}, **HTMX)
    assert again.status_code == 409
    assert "already has its evidence file" in again.content.decode()


def test_a_file_that_is_not_a_recording_is_refused(client, specialist, case):
    entry = ContactLogFactory(account=case, user=specialist)
    client.force_login(specialist)
    response = client.post(
        url("contact_recording", case, entry.pk),
        {"file": SimpleUploadedFile("call.ogg", b"#!/bin/sh\necho hi\n", "audio/ogg")},
        **HTMX,
    )
    assert response.status_code == 400
    assert "this file is none of them" in response.content.decode()
    entry.refresh_from_db()
    assert not entry.attachment


def test_the_api_adds_a_recording_to_an_entry_once(api, specialist, case):
    entry = ContactLogFactory(account=case, user=specialist)
    client = api.as_user(specialist)
    target = f"/api/v1/accounts/{case.pk}/contacts/{entry.pk}/attachment/"
    response = client.post(
        target, {"file": SimpleUploadedFile("call.ogg", OGG)}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["attachment"] == target
    again = client.post(target, {"file": SimpleUploadedFile("b.ogg", OGG)}, format="multipart")
    assert again.status_code == 409
    # The log itself stays append-only.
    with pytest.raises(PermissionError):
        ContactLog.objects.filter(pk=entry.pk).update(notes="edited")


# --- Callbacks -------------------------------------------------------------------------------
def test_the_owner_completes_and_reschedules_callbacks_from_the_case(
    client, specialist, teammate, case
):
    first = CallbackTask.objects.create(
        account=case, assigned_to=specialist, due_at=NOW + timedelta(hours=2)
    )
    second = CallbackTask.objects.create(
        account=case, assigned_to=specialist, due_at=NOW + timedelta(hours=3)
    )
    client.force_login(teammate)
    html = page(client, case).split('id="callbacks"')[1].split("</section>")[0]
    assert "Complete" not in html and "Reschedule" not in html
    assert client.post(url("callback_complete", case, first.pk), **HTMX).status_code == 403

    client.force_login(specialist)
    html = page(client, case).split('id="callbacks"')[1].split("</section>")[0]
    assert "Complete" in html and 'value="2026-11-23T12:00"' in html  # 17:00 UTC in New York
    assert client.post(url("callback_complete", case, first.pk), **HTMX).status_code == 200
    first.refresh_from_db()
    assert first.status == "done"

    target = url("callback_reschedule", case, second.pk)
    blocked = client.post(target, {"due_at": "2026-11-24T22:30"}, **HTMX)
    assert blocked.status_code == 400
    assert "Compliance does not allow a call" in blocked.content.decode()
    assert 'value="2026-11-24T22:30"' in blocked.content.decode()  # what was typed stays
    moved = client.post(target, {"due_at": "2026-11-24T09:30", "note": "after school run"}, **HTMX)
    assert moved.status_code == 200
    second.refresh_from_db()
    assert second.due_at == datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
    events = timeline(client, case)
    assert "Callback done" in events
    assert "Callback moved from 2026-11-23 13:00 to 2026-11-24 09:30 (America/New_York)" in events

    assert client.post(url("callback_complete", case, first.pk), **HTMX).status_code == 409


# --- Who may: another team's case ------------------------------------------------------------
def test_no_action_reaches_another_teams_case(client, other_specialist, case, specialist):
    entry = ContactLogFactory(account=case, user=specialist)
    callback = CallbackTask.objects.create(
        account=case, assigned_to=specialist, due_at=NOW + timedelta(hours=2)
    )
    dispute = dispute_open(account=case, description="x", by=specialist, now=NOW)
    client.force_login(other_specialist)
    for target in (
        url("budget", case),
        url("contact_point_add", case),
        url("contact_point_opt_out", case, case.phone.pk),
        url("restriction_add", case),
        url("restriction_end", case, dispute.restriction_id),
        url("dispute_transition", case, dispute.pk),
        url("contact_recording", case, entry.pk),
        url("callback_complete", case, callback.pk),
        url("callback_reschedule", case, callback.pk),
        url("hardship_add", case),
    ):
        assert client.post(target, {"opted_out": "1"}).status_code == 403, target
    case.phone.refresh_from_db()
    assert not case.phone.opted_out
    assert Dispute.objects.get().status == "open"


def test_an_item_of_another_account_is_not_found(client, specialist, case, team):
    elsewhere = AccountFactory(team=team, assigned_to=specialist)
    callback = CallbackTask.objects.create(
        account=elsewhere, assigned_to=specialist, due_at=NOW + timedelta(hours=2)
    )
    client.force_login(specialist)
    assert client.post(url("callback_complete", case, callback.pk)).status_code == 404


# --- A section's form is fetched when the section opens ----------------------------------------
SECTION_FORMS = {
    "budget": ("edit-budget", "budget-form"),
    "contact_point_add": ("add-contact-point", "contact-point-form"),
    "restriction_add": ("add-restriction", "restriction-form"),
    "hardship_add": ("arrange-hardship", "hardship-form"),
    "write_off_propose": ("propose-write-off", "write-off-form"),
}


def test_the_case_page_links_each_sections_form_instead_of_writing_it(client, specialist, case):
    client.force_login(specialist)
    html = page(client, case)
    for name, (section, form_id) in SECTION_FORMS.items():
        link = url(name, case)
        assert f'id="{section}" hx-get="{link}" hx-trigger="toggle once"' in html, name
        assert f'<a href="{link}">' in html, name  # without JavaScript, the form as a page
        assert f'id="{form_id}"' not in html, name


@pytest.mark.parametrize("name", sorted(SECTION_FORMS))
def test_opening_a_section_fetches_its_blank_form(client, specialist, other_specialist, case, name):
    form_id = SECTION_FORMS[name][1]
    client.force_login(specialist)
    fragment = client.get(url(name, case), **HTMX)
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert html.lstrip().startswith("<form") and f'id="{form_id}"' in html
    assert 'name="csrfmiddlewaretoken"' in html and "errorlist" not in html
    whole = client.get(url(name, case)).content.decode()  # no htmx: a page with the form
    assert "<html" in whole and f'id="{form_id}"' in whole and "Back to the case" in whole
    client.force_login(other_specialist)
    assert client.get(url(name, case), **HTMX).status_code == 403


def test_the_budget_form_shows_what_the_customer_declared(client, specialist, case):
    client.force_login(specialist)
    html = client.get(url("budget", case), **HTMX).content.decode()
    assert 'name="budget-monthly_income" value="4000.00"' in html
    case.customer.refresh_from_db()
    assert case.customer.monthly_income == Decimal("4000.00")  # a GET changes nothing


def test_a_contacts_recording_form_is_fetched_when_its_row_opens(
    client, specialist, other_specialist, case, team
):
    entry = ContactLogFactory(account=case, user=specialist, occurred_at=NOW - timedelta(hours=1))
    client.force_login(specialist)
    target = url("contact_recording", case, entry.pk)
    row = timeline(client, case)
    assert f'id="contact-{entry.pk}-attach" hx-get="{target}"' in row
    assert f'id="contact-{entry.pk}-recording"' not in row
    html = client.get(target, **HTMX).content.decode()
    assert f'id="contact-{entry.pk}-recording"' in html and 'type="file"' in html
    elsewhere = AccountFactory(team=team, assigned_to=specialist)
    assert client.get(url("contact_recording", elsewhere, entry.pk), **HTMX).status_code == 404
    client.force_login(other_specialist)
    assert client.get(target, **HTMX).status_code == 403
