"""The plan pages: the printable agreement (English and Chinese) and the plan detail page."""

import re
from decimal import Decimal

import pytest

from plans.models import PlanPolicy
from tests.plans.factories import active_plan, draft_plan, owing_account

pytestmark = pytest.mark.django_db


def figure_class(html: str, figure: str) -> str:
    """The class attribute of the element carrying ``data-figure="<figure>"``."""
    match = re.search(rf'<(\w+) class="([^"]+)" data-figure="{figure}">', html)
    assert match, f"no {figure} figure in the page"
    return f"{match.group(1)}.{match.group(2)}"


def figure_text(html: str, figure: str) -> str:
    match = re.search(rf'data-figure="{figure}">([^<]+)<', html)
    return match.group(1).replace("&nbsp;", " ")


def test_the_agreement_shows_the_schedule_totals_and_apr(client, specialist, team):
    plan = active_plan(owing_account(team), specialist)
    client.force_login(specialist)
    response = client.get(f"/plans/{plan.pk}/agreement/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Installment plan agreement" in html
    assert figure_text(html, "apr") == "12.00 %"
    assert figure_text(html, "annual_rate") == "12.00 %"
    assert figure_text(html, "total_payable") == "10,661.86"
    assert figure_text(html, "finance_charge") == "661.86"
    assert html.count('<td class="num">888.49</td>') == 11
    assert '<td class="num">888.47</td>' in html
    assert "Jan. 1, 2027" in html
    assert "{% " not in html and "{{" not in html


def test_the_apr_is_as_prominent_as_the_rate_and_the_fees(client, specialist, team):
    fee_plan = draft_plan(
        owing_account(team),
        specialist,
        method="flat_fee",
        annual_rate=None,
        period_fee_rate=Decimal("0.006"),
    )
    client.force_login(specialist)
    html = client.get(f"/plans/{fee_plan.pk}/agreement/").content.decode()

    assert figure_text(html, "fee_rate") == "0.60 %"
    assert figure_text(html, "apr") == "13.03 %"
    apr = figure_class(html, "apr")
    assert apr == figure_class(html, "fee_rate") == figure_class(html, "finance_charge")
    assert apr == "strong.key-figure"
    # The APR comes first: nothing states a rate or fee before it does.
    assert html.index('data-figure="apr"') < html.index('data-figure="fee_rate"')
    assert "Proposal: not in force" in html


def test_the_agreement_is_in_the_customers_language(client, specialist, team):
    account = owing_account(team)
    account.customer.language = "zh-hans"
    account.customer.save()
    plan = active_plan(account, specialist)
    client.force_login(specialist)

    html = client.get(f"/plans/{plan.pk}/agreement/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "本金" in html  # "Principal", already in the catalog
    assert "2027年1月1日" in html  # dates in the Chinese format
    english = client.get(f"/plans/{plan.pk}/agreement/?language=en").content.decode()
    assert '<html lang="en">' in english


def test_the_agreement_is_for_the_accounts_team_only(client, other_specialist, specialist, team):
    plan = draft_plan(owing_account(team), specialist)
    client.force_login(other_specialist)
    assert client.get(f"/plans/{plan.pk}/agreement/").status_code == 403
    assert client.get(f"/plans/{plan.pk}/").status_code == 403
    assert client.get("/plans/999999/").status_code == 404


def test_the_agreement_needs_a_login(client, specialist, team):
    plan = draft_plan(owing_account(team), specialist)
    response = client.get(f"/plans/{plan.pk}/agreement/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_detail_page_shows_schedule_history_and_payments(client, specialist, team):
    from tests.plans.factories import pay

    account = owing_account(team)
    plan = active_plan(account, specialist)
    pay(account, "100.00", reference="SEEN-1")
    client.force_login(specialist)
    response = client.get(f"/plans/{plan.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "SEEN-1" in html
    assert "Activated" in html
    assert "888.47" in html
    assert f"/plans/{plan.pk}/agreement/" in html


def test_the_admin_lists_plans_payments_and_policies(client, admin_user, specialist, team):
    from tests.plans.factories import pay

    account = owing_account(team)
    plan = active_plan(account, specialist)
    pay(account, "100.00", reference="ADMIN-1")
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    for url in (
        "/admin/plans/plan/",
        f"/admin/plans/plan/{plan.pk}/change/",
        "/admin/plans/payment/",
        "/admin/plans/allocation/",
        "/admin/plans/planevent/",
        "/admin/plans/promisetopay/",
        "/admin/plans/planpolicy/",
        f"/admin/plans/planpolicy/{PlanPolicy.objects.get(jurisdiction='US').pk}/change/",
    ):
        assert client.get(url).status_code == 200, url
