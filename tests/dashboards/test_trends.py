"""Weekly trends, targets and attainment on a hand-built three-week history with known answers.

Weeks (ISO, Monday start; 2026): W45 = 2–8 Nov, W46 = 9–15 Nov, W47 = 16–22 Nov. The range
ends on Sunday 22 Nov, so W47 is the latest of the 26 weeks. Team us-east (sam, supervised by
sue) and cn-sh (li).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contacts.models import Complaint
from dashboards import targets, trends
from dashboards.facts import facts_refresh
from dashboards.kpis import Filters
from dashboards.models import DailyActivity, Target
from plans.models import Payment, PromiseToPay
from tests.dashboards.conftest import at, contact, stay
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

END = date(2026, 11, 22)  # a Sunday
W45, W46, W47 = date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)
NOVEMBER = date(2026, 11, 1)


@pytest.fixture
def history(settings, team, other_team, specialist, other_specialist):
    settings.BUSINESS_DATE = "2026-11-23"
    a1 = AccountFactory(team=team, assigned_to=specialist, delinquent_since=date(2026, 11, 1))
    a2 = AccountFactory(team=team, assigned_to=specialist, delinquent_since=date(2026, 10, 1))
    a3 = AccountFactory(team=team, assigned_to=specialist, delinquent_since=date(2026, 10, 20))
    a4 = AccountFactory(team=team, assigned_to=specialist, delinquent_since=None)
    b1 = AccountFactory(
        team=other_team,
        assigned_to=other_specialist,
        currency="CNY",
        product="personal_loan",
        customer__jurisdiction="CN",
        customer__time_zone="Asia/Shanghai",
        delinquent_since=date(2026, 10, 25),
    )

    # W46: sam 4 attempts, 2 reached (conversation, third party), 1 right party; an SMS is no
    # attempt. W47: 2 attempts, both conversations. A call on Monday 23 Nov is after the range.
    contact(a1, specialist, when=at(11, 10), outcome="conversation")
    contact(a1, specialist, when=at(11, 10), outcome="third_party")
    contact(a2, specialist, when=at(11, 11), outcome="no_answer")
    contact(a2, specialist, when=at(11, 11), outcome="busy")
    contact(a2, specialist, when=at(11, 11), outcome="delivered", channel="sms")
    contact(a2, specialist, when=at(11, 17), outcome="conversation")
    contact(a3, specialist, when=at(11, 18), outcome="conversation", channel="visit")
    contact(a3, specialist, when=at(11, 23), outcome="conversation")
    # li (cn-sh) in W47: 1 attempt, not reached.
    contact(b1, other_specialist, when=at(11, 18), outcome="no_answer")

    def promise(account, due, status, by=specialist):
        return PromiseToPay.objects.create(
            account=account,
            amount=Decimal("10.00"),
            due_date=due,
            status=status,
            created_by=by,
            created_at=at(11, 1),
        )

    # W46: due 12 Nov kept, 13 Nov broken → 1/2. W47: due 18 kept, 19 partially kept, 20
    # pending (left out) → 1/2.
    promise(a1, date(2026, 11, 12), "kept")
    promise(a2, date(2026, 11, 13), "broken")
    promise(a3, date(2026, 11, 18), "kept")
    promise(a1, date(2026, 11, 19), "partially_kept")
    promise(a2, date(2026, 11, 20), "pending")

    for ref, account, amount, when in (
        ("T1", a1, "100.00", at(11, 11)),
        ("T2", a2, "30.50", at(11, 20)),
        ("T3", b1, "50.00", at(11, 12)),
    ):
        Payment.objects.create(
            account=account, reference=ref, amount=Decimal(amount), received_at=when, source="api"
        )
    Complaint.objects.create(
        account=a1,
        customer=a1.customer,
        description="Rude",
        opened_at=at(11, 11),
        due_date=date(2026, 11, 30),
    )

    # Buckets. a1 M1 from 1 Nov, cured to M0 on 12 Nov. a2 M2 throughout. a3 M1 from 20 Oct,
    # paid off on 19 Nov. a4 current throughout. b1 (cn-sh) M1 throughout.
    stay(a1, "M1", date(2026, 11, 1), date(2026, 11, 12), "M0")
    stay(a1, "M0", date(2026, 11, 12))
    stay(a2, "M2", date(2026, 10, 1))
    stay(a3, "M1", date(2026, 10, 20), date(2026, 11, 19), "paid")
    stay(a4, "M0", date(2026, 1, 1))
    stay(b1, "M1", date(2026, 10, 25))

    facts_refresh(day=END, activity_days=40, snapshot=False)
    return {"a1": a1, "a2": a2, "b1": b1}


def week(result, start):
    return next(w for w in result.weeks if w.start == start)


def test_the_window_is_26_iso_weeks_ending_with_the_end_dates_week():
    starts = trends.week_starts(date(2026, 11, 25))  # a Wednesday
    assert len(starts) == 26
    assert starts[-1] == date(2026, 11, 23)
    assert starts[0] == date(2026, 6, 1)
    assert all(s.weekday() == 0 for s in starts)
    assert trends.week_starts(END)[-1] == W47  # Sunday belongs to the week before


def test_weekly_series_of_one_team(history, team):
    result = trends.trends(Filters(date_from=END, date_to=END, team_id=team.pk))
    assert [w.label for w in result.weeks][-3:] == ["2026-W45", "2026-W46", "2026-W47"]
    w45, w46, w47 = week(result, W45), week(result, W46), week(result, W47)

    assert (w46.attempts, w46.contacts, w46.contact_rate) == (4, 2, Decimal("0.5"))
    assert (w47.attempts, w47.contacts, w47.contact_rate) == (2, 2, Decimal("1"))
    assert w45.attempts == 0 and w45.contact_rate is None

    assert (w46.kept, w46.resolved, w46.kept_rate) == (1, 2, Decimal("0.5"))
    assert (w47.kept, w47.resolved, w47.kept_rate) == (1, 2, Decimal("0.5"))

    assert w46.collected == {"USD": Decimal("100.00")}
    assert w47.collected == {"USD": Decimal("30.50")}
    assert result.currencies == ["USD"]

    assert (w46.complaints, w46.rpc, w46.complaint_rate) == (1, 1, Decimal("1000.00"))
    assert (w47.complaints, w47.rpc, w47.complaint_rate) == (0, 2, Decimal("0.00"))

    # Cure: W45 a1, a2, a3 delinquent on Sun 1 Nov, none cured by 8 Nov. W46: a1 cured (M0 on
    # 15 Nov) of 3. W47: a3 paid off on 19 Nov, of a2 and a3.
    assert (w45.delinquent, w45.cured) == (3, 0)
    assert (w46.delinquent, w46.cured, w46.cure_rate) == (3, 1, Decimal("0.3333"))
    assert (w47.delinquent, w47.cured, w47.cure_rate) == (2, 1, Decimal("0.5"))


def test_every_team_and_the_other_filters(history):
    everyone = trends.trends(Filters(date_from=END, date_to=END))
    w47 = week(everyone, W47)
    assert (w47.attempts, w47.contacts) == (3, 2)  # li's unanswered call counts
    assert everyone.currencies == ["CNY", "USD"]
    assert week(everyone, W46).collected == {"CNY": Decimal("50.00"), "USD": Decimal("100.00")}
    assert (w47.delinquent, w47.cured) == (3, 1)  # b1 delinquent, not cured

    cn = trends.trends(Filters(date_from=END, date_to=END, jurisdiction="CN"))
    assert week(cn, W47).attempts == 1 and week(cn, W47).delinquent == 1
    assert cn.currencies == ["CNY"]
    loans = trends.trends(Filters(date_from=END, date_to=END, product="personal_loan"))
    assert week(loans, W46).collected == {"CNY": Decimal("50.00")}

    scoped = trends.trends(Filters(date_from=END, date_to=END, team_ids=(history["a1"].team_id,)))
    assert scoped.currencies == ["USD"] and week(scoped, W47).attempts == 2


def test_the_query_count_does_not_grow_with_the_weeks(history):
    f = Filters(date_from=END, date_to=END)
    counts = []
    for n in (2, 26):
        with CaptureQueriesContext(connection) as ctx:
            trends.trends(f, count=n)
        counts.append(len(ctx.captured_queries))
    assert counts == [1, 1]  # one grouped query over the daily facts


def test_trends_csv(client, supervisor, history):
    client.force_login(supervisor)
    response = client.get(reverse("dashboards:export", args=["trends"]), {"date_to": "2026-11-22"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="trends-')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, body = rows[0], rows[1:]
    assert len(body) == 26
    assert header[-1] == "Collected USD" and "Collected CNY" not in header  # own team only
    w46 = dict(zip(header, body[-2], strict=True))
    assert w46["Week"] == "2026-W46"
    assert w46["First day"] == "2026-11-09" and w46["Last day"] == "2026-11-15"
    assert (w46["Attempts"], w46["Contacts"], w46["Contact rate"]) == ("4", "2", "50.0%")
    assert w46["Promise-kept rate"] == "50.0%"
    assert (w46["Delinquent at start"], w46["Cured"], w46["Cure rate"]) == ("3", "1", "33.3%")
    assert w46["Complaints per 1,000 right-party contacts"] == "1000.00"
    assert w46["Collected USD"] == "100.00"


def test_the_dashboard_shows_a_chart_per_kpi(client, supervisor, history):
    client.force_login(supervisor)
    html = client.get(reverse("dashboards:dashboard"), {"date_to": "2026-11-22"}).content.decode()
    section = html[html.index('id="trends"') : html.index('id="portfolio"')]
    for key in ("contact_rate", "kept_rate", "cure_rate", "collected-USD", "complaint_rate"):
        assert f'data-trend="{key}"' in section
    assert section.count("<svg") == 5
    assert 'class="latest-value"' in section and "2026-W47" in section
    assert "style=" not in section  # the Content-Security-Policy allows no inline styles
    # The latest contact rate (W47: 100%) is the one printed as latest.
    contact_chart = section[section.index('data-trend="contact_rate"') :]
    assert contact_chart[: contact_chart.index("</svg>")].count(">100.0%</text>") >= 1


# --- Targets and attainment ---------------------------------------------------------------
@pytest.fixture
def goals(history, team, other_team, specialist, other_specialist, supervisor):
    def target(metric, value, currency="", **who):
        return Target.objects.create(
            month=NOVEMBER,
            metric=metric,
            value=Decimal(value),
            currency=currency,
            created_by=supervisor,
            **who,
        )

    return {
        "sam_collected": target("collected", "261.00", "USD", team=team, specialist=specialist),
        "sam_contacts": target("contacts", "8", team=team, specialist=specialist),
        "sam_kept": target("promises_kept", "4", team=team, specialist=specialist),
        "team_contacts": target("contacts", "10", team=team),
        "li_contacts": target("contacts", "2", team=other_team, specialist=other_specialist),
        "october": Target.objects.create(
            month=date(2026, 10, 1), metric="contacts", value=Decimal("1"), team=team
        ),
    }


def test_attainment_with_known_answers(goals, team, settings):
    settings.SETTLE_COST_PER_HEAD_MONTHLY = {"USD": Decimal("4500.00")}
    result = targets.attainment(Filters(date_from=END, date_to=END, team_ids=(team.pk,)))
    assert result.month == NOVEMBER
    got = {(r["specialist"], r["metric"]): (r["actual"], r["attainment"]) for r in result.rows}
    assert got == {
        # sam: 100.00 + 30.50 collected on his accounts; 2 + 2 reached; kept 12 and 18 Nov.
        ("sam", "collected"): (Decimal("130.50"), Decimal("0.5")),
        ("sam", "contacts"): (Decimal("4"), Decimal("0.5")),
        ("sam", "promises_kept"): (Decimal("2"), Decimal("0.5")),
        ("", "contacts"): (Decimal("4"), Decimal("0.4")),  # the team; li's target is not ours
    }
    # Up to 15 Nov only the W45–W46 activity counts.
    mid = targets.attainment(
        Filters(date_from=END, date_to=date(2026, 11, 15), team_ids=(team.pk,))
    )
    assert {(r["specialist"], r["metric"]): r["actual"] for r in mid.rows}[
        ("sam", "collected")
    ] == Decimal("100.00")
    # Collected per head: us-east has one specialist (sam).
    assert result.per_head == [
        {
            "team_id": team.pk,
            "team": "US East",
            "currency": "USD",
            "collected": Decimal("130.50"),
            "heads": 1,
            "per_head": Decimal("130.50"),
            "cost_per_head": Decimal("4500.00"),
            "per_head_to_cost": Decimal("0.0290"),
        }
    ]


def test_an_admin_sees_every_teams_targets(goals, other_team):
    result = targets.attainment(Filters(date_from=END, date_to=END))
    li = next(r for r in result.rows if r["specialist"] == "li")
    assert (li["actual"], li["attainment"]) == (Decimal("0"), Decimal("0"))  # not reached
    only_theirs = targets.attainment(Filters(date_from=END, date_to=END, team_id=other_team.pk))
    assert [r["specialist"] for r in only_theirs.rows] == ["li"]


def test_the_dashboard_and_its_csv_show_attainment(client, supervisor, goals):
    client.force_login(supervisor)
    html = client.get(reverse("dashboards:dashboard"), {"date_to": "2026-11-22"}).content.decode()
    section = html[html.index('id="attainment"') : html.index('id="specialists"')]
    assert f'data-target="{goals["sam_collected"].pk}"' in section
    assert f'data-target="{goals["li_contacts"].pk}"' not in section
    assert "4,500.00" in section  # cost per head beside collected per head
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    reverse("dashboards:export", args=["attainment"]), {"date_to": "2026-11-22"}
                ).content.decode()
            )
        )
    )
    assert rows[0][-3:] == ["Target", "Actual to date", "Attainment"]
    sams = ["2026-11", "US East", "sam", "Amount collected", "USD", "261.00", "130.50", "50.0%"]
    assert sams in rows[1:]


def test_the_specialists_home_page_shows_their_attainment(client, specialist, goals, settings):
    settings.BUSINESS_DATE = "2026-11-22"
    client.force_login(specialist)
    html = client.get(reverse("home")).content.decode()
    table = html[html.index('id="attainment"') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == 5  # header, sam's three, the team's contacts
    assert "261.00 USD" in table and "130.50 USD" in table and "50%" in table
    assert "40%" in table  # the team: 4 of 10 contacts


def test_home_without_targets_has_no_attainment(client, specialist, history):
    client.force_login(specialist)
    assert 'id="attainment"' not in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("table", ["trends", "attainment"])
def test_specialists_get_403_on_the_new_exports(client, specialist, table):
    client.force_login(specialist)
    assert client.get(reverse("dashboards:export", args=[table])).status_code == 403


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"metric": "collected", "value": Decimal("5"), "currency": ""}, "currency"),
        ({"metric": "contacts", "value": Decimal("5"), "currency": "USD"}, "currency"),
        ({"metric": "contacts", "value": Decimal("5.5")}, "value"),
        ({"metric": "contacts", "value": Decimal("5"), "month": date(2026, 11, 2)}, "month"),
        ({"metric": "collected", "value": Decimal("5"), "currency": "XYZ"}, "currency"),
        ({"metric": "collected", "value": Decimal("500.5"), "currency": "JPY"}, "value"),
    ],
)
def test_a_target_names_the_field_that_is_wrong(team, fields, field):
    target = Target(**{"month": NOVEMBER, "team": team, **fields})
    with pytest.raises(ValidationError) as exc:
        target.full_clean()
    assert field in exc.value.message_dict


def test_a_specialists_target_is_in_their_team(team, other_specialist):
    target = Target(month=NOVEMBER, team=team, specialist=other_specialist, metric="contacts")
    target.value = Decimal("3")
    with pytest.raises(ValidationError) as exc:
        target.full_clean()
    assert "specialist" in exc.value.message_dict


def test_a_supervisor_sets_a_target_in_the_admin_for_their_team_only(
    client, supervisor, specialist, other_team
):
    from auditlog.models import LogEntry

    client.force_login(supervisor)
    url = reverse("admin:dashboards_target_add")
    data = {
        "month": "2026-11-01",
        "team": supervisor.team_id,
        "specialist": specialist.pk,
        "metric": "collected",
        "value": "1000.00",
        "currency": "USD",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    target = Target.objects.get()
    assert target.created_by == supervisor
    assert LogEntry.objects.get_for_object(target).count() == 1
    refused = client.post(url, {**data, "team": other_team.pk, "specialist": ""})
    assert refused.status_code == 200 and Target.objects.count() == 1  # not a choice


def test_a_weeks_cure_is_written_when_its_sunday_is_refreshed(history, team):
    f = Filters(date_from=END, date_to=END, team_id=team.pk)
    DailyActivity.objects.filter(metric="cure_base").delete()
    facts_refresh(day=date(2026, 11, 18), activity_days=7, snapshot=False)  # a Wednesday
    facts_refresh(day=date(2026, 11, 18), activity_days=7, snapshot=False)  # idempotent
    result = trends.trends(f)
    assert (week(result, W46).delinquent, week(result, W46).cured) == (3, 1)
    assert week(result, W47).delinquent == 0 and week(result, W47).cure_rate is None
    facts_refresh(day=END, activity_days=1, snapshot=False)  # Sunday 22 Nov
    assert (week(trends.trends(f), W47).delinquent, week(trends.trends(f), W47).cured) == (2, 1)
