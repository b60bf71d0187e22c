"""Regression tests for the security probe's admin findings.

2. The Django admin is limited by team exactly like the pages: lists, objects and foreign-key
   choices; personal data (national ID, account number, phone, email) is never shown unmasked
   in an admin list or form, nor guessable by filtering on it in the URL.
3. The contact-point admin (full phones and emails, no reveal recorded, any team) likewise.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from accounts.models import Account, PersonalDataReveal
from contacts.models import CallbackTask
from dashboards.models import Target
from plans.models import PromiseToPay
from tests.compliance.factories import ContactLogFactory, RestrictionFactory
from tests.factories import ContactPointFactory
from tests.plans.factories import draft_plan, owing_account

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = "2026-11-23"
    with time_machine.travel(NOW, tick=False):
        yield


def world(team, specialist, *, number, phone, email, national_id) -> dict:
    """One of everything a team's admin pages show, for ``team``."""
    account = owing_account(
        team, assigned_to=specialist, number=number, customer__national_id=national_id
    )
    customer = account.customer
    return {
        "account": account,
        "customer": customer,
        "phone": ContactPointFactory(customer=customer, value=phone),
        "email": ContactPointFactory(customer=customer, kind="email", value=email),
        "contactlog": ContactLogFactory(account=account, user=specialist),
        "callbacktask": CallbackTask.objects.create(
            account=account, assigned_to=specialist, due_at=NOW
        ),
        "restriction": RestrictionFactory(customer=customer),
        "plan": draft_plan(account, specialist),
        "promise": PromiseToPay.objects.create(
            account=account, amount=Decimal("100.00"), due_date=date(2026, 11, 30)
        ),
        "reveal": PersonalDataReveal.objects.create(
            user=specialist, customer=customer, account=account, fields=["national_id"]
        ),
        "user": specialist,
        "team": team,
        "target": Target.objects.create(
            month=date(2026, 11, 1),
            team=team,
            specialist=specialist,
            metric="contacts",
            value=Decimal("5"),
        ),
    }


@pytest.fixture
def mine(team, specialist):
    return world(
        team,
        specialist,
        number="4111000011112222",
        phone="+12125550142",
        email="jane.roe@example.com",
        national_id="900-55-1234",
    )


@pytest.fixture
def theirs(other_team, other_specialist):
    return world(
        other_team,
        other_specialist,
        number="6222000033334444",
        phone="+8613812345678",
        email="li.wei@example.cn",
        national_id="310101199001011234",
    )


LISTS = [
    ("accounts/customer", "customer"),
    ("accounts/account", "account"),
    ("accounts/user", "user"),
    ("accounts/team", "team"),
    ("accounts/personaldatareveal", "reveal"),
    ("accounts/contactpoint", "phone"),
    ("contacts/contactlog", "contactlog"),
    ("contacts/callbacktask", "callbacktask"),
    ("compliance/communicationrestriction", "restriction"),
    ("plans/plan", "plan"),
    ("plans/promisetopay", "promise"),
    ("dashboards/target", "target"),
]


def listed(client, path) -> set[int]:
    response = client.get(f"/admin/{path}/")
    assert response.status_code == 200, path
    return {obj.pk for obj in response.context["cl"].result_list}


@pytest.mark.parametrize(("path", "key"), LISTS)
def test_a_supervisor_lists_only_their_teams_rows(client, supervisor, mine, theirs, path, key):
    client.force_login(supervisor)
    rows = listed(client, path)
    assert mine[key].pk in rows
    assert theirs[key].pk not in rows


@pytest.mark.parametrize(("path", "key"), LISTS)
def test_an_admin_lists_every_team(client, admin_user, mine, theirs, path, key):
    client.force_login(admin_user)
    assert {mine[key].pk, theirs[key].pk} <= listed(client, path)


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("accounts/customer", "customer"),
        ("accounts/account", "account"),
        ("accounts/contactpoint", "phone"),
        ("contacts/contactlog", "contactlog"),
        ("plans/plan", "plan"),
    ],
)
def test_another_teams_object_answers_like_a_missing_one(
    client, supervisor, mine, theirs, path, key
):
    client.force_login(supervisor)
    assert client.get(f"/admin/{path}/{mine[key].pk}/change/").status_code == 200
    hidden = client.get(f"/admin/{path}/{theirs[key].pk}/change/")
    missing = client.get(f"/admin/{path}/999999/change/")
    assert (hidden.status_code, hidden["Location"]) == (missing.status_code, missing["Location"])
    assert hidden.status_code == 302
    assert client.get(f"/admin/{path}/{theirs[key].pk}/history/").status_code == 302


SECRETS = {
    "customer": ("national_id", "900-55-1234", "•••••••1234"),
    "account": ("number", "4111000011112222", "••••••••••••2222"),
    "phone": ("value", "+12125550142", "+1 ••••••0142"),
    "email": ("value", "jane.roe@example.com", "j•••@example.com"),
}
PATHS = {
    "customer": "accounts/customer",
    "account": "accounts/account",
    "phone": "accounts/contactpoint",
    "email": "accounts/contactpoint",
}


@pytest.mark.parametrize("who", ["supervisor", "admin_user"])
@pytest.mark.parametrize("key", list(SECRETS))
def test_personal_data_is_never_unmasked_in_admin_lists_or_forms(request, client, mine, who, key):
    client.force_login(request.getfixturevalue(who))
    field, secret, masked = SECRETS[key]

    listing = client.get(f"/admin/{PATHS[key]}/").content.decode()
    form = client.get(f"/admin/{PATHS[key]}/{mine[key].pk}/change/")

    assert secret not in listing and masked in listing
    html = form.content.decode()
    assert form.status_code == 200
    assert secret not in html and masked in html
    assert field not in form.context["adminform"].form.fields  # shown read-only, never editable


def test_saving_a_change_form_keeps_the_personal_data(client, supervisor, mine):
    client.force_login(supervisor)
    point = mine["phone"]
    response = client.post(
        f"/admin/accounts/contactpoint/{point.pk}/change/",
        {
            "customer": point.customer_id,
            "kind": "phone",
            "label": "home",
            "region": "US",
            "time_zone": "",
            "is_primary": "",
            "opted_out": "",
            "is_valid": "on",
            "invalid_reason": "",
            "valid_from": "",
            "valid_until": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    point.refresh_from_db()
    assert (point.label, point.value) == ("home", "+12125550142")


@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/account/?number__startswith=4111",
        "/admin/accounts/account/?number__endswith=12222",
        "/admin/accounts/account/?number=4111000011112222",
        "/admin/accounts/customer/?national_id__startswith=900",
        "/admin/accounts/contactpoint/?value__startswith=%2B1212",
    ],
)
def test_personal_data_cannot_be_guessed_by_filtering_the_list(client, supervisor, mine, url):
    client.force_login(supervisor)
    assert client.get(url).status_code == 400


def test_foreign_key_choices_are_limited_to_the_team(
    client, supervisor, specialist, team, mine, theirs
):
    client.force_login(supervisor)
    fields = client.get("/admin/accounts/account/add/").context["adminform"].form.fields
    assert list(fields["team"].queryset) == [team]
    assert set(fields["assigned_to"].queryset) == {specialist, supervisor}
    assert mine["customer"] in fields["customer"].queryset
    assert theirs["customer"] not in fields["customer"].queryset

    response = client.post(
        "/admin/accounts/account/add/",
        {
            "customer": theirs["customer"].pk,
            "number": "4111999988887777",
            "product": "credit_card",
            "currency": "USD",
            "principal_balance": "1.00",
            "interest_balance": "0",
            "fee_balance": "0",
            "past_due_amount": "0",
            "minimum_due": "0",
            "stage": "early",
            "team": team.pk,
            "queue_priority": "0",
        },
    )

    assert response.status_code == 200
    assert "customer" in response.context["adminform"].form.errors
    assert not Account.objects.filter(number="4111999988887777").exists()


def test_old_contact_point_admin_links_lead_to_the_moved_admin(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/admin/contacts/contactpoint/?kind=phone")
    assert response.status_code == 302
    assert response["Location"] == "/admin/accounts/contactpoint/?kind=phone"


def test_import_batches_are_for_admins_only(client, supervisor, admin_user):
    """A feed covers every team and its errors name their customers."""
    from accounts.models import ImportBatch

    batch = ImportBatch.objects.create(file_name="feed.csv", sha256="0" * 64)
    client.force_login(supervisor)
    assert client.get("/admin/accounts/importbatch/").status_code == 403
    assert client.get(f"/admin/accounts/importbatch/{batch.pk}/change/").status_code == 403
    client.force_login(admin_user)
    assert client.get("/admin/accounts/importbatch/").status_code == 200


def test_the_audit_trail_masks_account_numbers(client, supervisor, mine):
    from auditlog.models import LogEntry

    account = mine["account"]
    Account.objects.filter(pk=account.pk).update(number="4111000011119999")
    account.refresh_from_db()
    account.number = "4111000011118888"
    account.save()

    entry = LogEntry.objects.get_for_object(account).order_by("-pk").first()
    old, new = entry.changes_dict["number"]
    # auditlog's mask (the importer writes the same): the first half hidden.
    assert (old, new) == ("********11119999", "********11118888")


def test_the_admin_login_page_opens_for_a_signed_out_visitor(client):
    assert client.get("/admin/login/").status_code == 200
