"""Server-rendered pages: login, scope by team, masking, reveal, language switch."""

from datetime import date

import pytest
from django.urls import reverse

from accounts.models import PersonalDataReveal
from tests.factories import AccountFactory, ContactPointFactory

pytestmark = pytest.mark.django_db


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get("/accounts/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_login_page_renders_with_csrf(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content


def test_specialist_logs_in_and_sees_their_team_only(client, specialist, team, other_team):
    mine = AccountFactory(team=team, customer__name="Mine Customer")
    AccountFactory(team=other_team, customer__name="Their Customer")
    response = client.post("/login/", {"username": "sam", "password": "pw-for-tests-123"})
    assert response.status_code == 302
    page = client.get("/accounts/")
    assert b"Mine Customer" in page.content
    assert b"Their Customer" not in page.content
    assert mine.number.encode() not in page.content  # masked
    assert mine.number[-4:].encode() in page.content


def test_another_teams_case_is_403(client, specialist, other_team):
    theirs = AccountFactory(team=other_team)
    client.force_login(specialist)
    response = client.get(reverse("accounts:detail", args=[theirs.pk]))
    assert response.status_code == 403
    assert b"another team" in response.content


def test_case_page_masks_personal_data(client, specialist, team):
    account = AccountFactory(team=team, customer__national_id="900-44-5678")
    ContactPointFactory(customer=account.customer, value="+12125550199")
    client.force_login(specialist)
    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert "900-44-5678" not in html and "5678" in html
    assert "+12125550199" not in html and "0199" in html
    assert "Reveal personal data" not in html  # specialists lack the permission


def test_reveal_button_shows_data_and_records_the_reveal(client, supervisor, team):
    account = AccountFactory(team=team, customer__national_id="900-44-5678")
    client.force_login(supervisor)
    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert "Reveal personal data" in html
    response = client.post(reverse("accounts:reveal", args=[account.pk]))
    assert response.status_code == 200
    assert b"900-44-5678" in response.content
    assert PersonalDataReveal.objects.filter(user=supervisor, channel="web").count() == 1


def test_specialist_cannot_reveal_by_posting_directly(client, specialist, team):
    account = AccountFactory(team=team)
    client.force_login(specialist)
    assert client.post(reverse("accounts:reveal", args=[account.pk])).status_code == 403
    assert PersonalDataReveal.objects.count() == 0


def test_account_list_filters_by_bucket_and_paginates(client, admin_user, team, settings):
    settings.BUSINESS_DATE = "2026-11-23"
    AccountFactory.create_batch(30, team=team, delinquent_since=date(2026, 11, 10))
    AccountFactory(team=team, delinquent_since=date(2026, 1, 1), customer__name="Old Debt")
    client.force_login(admin_user)
    page = client.get("/accounts/?bucket=M6")
    assert b"Old Debt" in page.content and page.context["page"].paginator.count == 1
    first = client.get("/accounts/")
    assert len(first.context["page"].object_list) == 25
    assert b"Page 1 of 2" in first.content


def test_language_switch_renders_chinese(client, specialist):
    client.force_login(specialist)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'lang="zh-hans"' in html
    assert "退出" in html  # "Log out"


def test_nav_shows_admin_only_to_staff(client, specialist, supervisor):
    client.force_login(specialist)
    assert b"/admin/" not in client.get("/").content
    client.force_login(supervisor)
    assert b"/admin/" in client.get("/").content


def test_case_page_links_plans_and_shows_open_disputes(client, specialist, team):
    from datetime import UTC, datetime

    from outreach.services import dispute_open
    from tests.plans.factories import draft_plan, owing_account

    account = owing_account(team)
    plan = draft_plan(account, specialist)
    dispute_open(
        account=account,
        description="Not mine",
        by=specialist,
        kind="not_mine",
        now=datetime(2026, 11, 20, 15, tzinfo=UTC),
    )
    client.force_login(specialist)
    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert reverse("plans:agreement", args=[plan.pk]) in html
    assert "Not my debt" in html


def test_account_list_puts_the_most_delinquent_first(client, admin_user, team):
    AccountFactory(team=team, delinquent_since=None, customer__name="Current Carl")
    AccountFactory(team=team, delinquent_since=date(2026, 1, 1), customer__name="Oldest Olga")
    AccountFactory(team=team, delinquent_since=date(2026, 9, 1), customer__name="Middle Mia")
    client.force_login(admin_user)
    names = [a.customer.name for a in client.get("/accounts/").context["page"]]
    assert names == ["Oldest Olga", "Middle Mia", "Current Carl"]
