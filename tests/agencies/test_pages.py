"""The agency pages: supervisors place, see KPIs, recall and download; specialists get 403."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Account
from agencies.models import ExportDownload, Placement, PlacementBatch
from tests.agencies.factories import NOW, TODAY, agency, place
from tests.conftest import _user
from tests.factories import AccountFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.BUSINESS_DATE = TODAY.isoformat()
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("agencies:list", "get"),
        ("agencies:place", "get"),
        ("agencies:place_submit", "post"),
    ],
)
def test_a_specialist_gets_403(client, specialist, name, method):
    client.force_login(specialist)
    assert getattr(client, method)(reverse(name)).status_code == 403


def test_a_specialist_may_not_recall_or_download(client, team, supervisor, specialist):
    batch = place([AccountFactory(team=team)], agency(), supervisor)
    client.force_login(specialist)
    placement = batch.placements.get()
    assert (
        client.post(reverse("agencies:recall", args=[placement.pk]), {"reason": "x"}).status_code
        == 403
    )
    assert client.get(reverse("agencies:batch_export", args=[batch.pk])).status_code == 403
    assert client.get(reverse("agencies:detail", args=[batch.agency_id])).status_code == 403
    assert Placement.objects.get().status == "placed" and not ExportDownload.objects.exists()


def test_a_supervisor_places_the_selected_accounts_and_gets_the_batch(client, team, supervisor):
    acme = agency()
    chosen = [AccountFactory(team=team) for _ in range(3)]
    AccountFactory(team=team)  # not chosen
    client.force_login(supervisor)

    page = client.get(reverse("agencies:place"), {"agency": acme.pk})
    assert page.status_code == 200
    assert all(f'value="{a.pk}"' in page.content.decode() for a in chosen)

    response = client.post(
        reverse("agencies:place_submit"),
        {"agency": acme.pk, "recall_on": "2027-01-31", "accounts": [a.pk for a in chosen]},
    )

    batch = PlacementBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("agencies:batch", args=[batch.pk])
    assert batch.count == 3
    assert set(Account.objects.filter(stage="placed").values_list("pk", flat=True)) == {
        a.pk for a in chosen
    }
    shown = client.get(response["Location"]).content.decode()
    assert reverse("agencies:batch_export", args=[batch.pk]) in shown
    assert batch.export_sha256 in shown


def test_a_refused_placement_says_why_with_a_400(client, team, supervisor):
    acme = agency()
    chinese = AccountFactory(team=team, customer=CustomerFactory(jurisdiction="CN"))
    client.force_login(supervisor)
    response = client.post(
        reverse("agencies:place_submit"), {"agency": acme.pk, "accounts": [chinese.pk]}
    )
    assert response.status_code == 400
    assert "does not collect in China" in response.content.decode()
    bad_date = client.post(
        reverse("agencies:place_submit"),
        {"agency": acme.pk, "recall_on": "2026-11-01", "accounts": [chinese.pk]},
    )
    assert bad_date.status_code == 400
    assert "The recall date must be after today." in bad_date.content.decode()
    nothing = client.post(reverse("agencies:place_submit"), {"agency": acme.pk})
    assert nothing.status_code == 400 and "Choose accounts." in nothing.content.decode()
    assert not Placement.objects.exists()


def test_bad_filters_are_a_400_naming_the_field(client, supervisor):
    client.force_login(supervisor)
    response = client.get(reverse("agencies:place"), {"dpd_min": "9", "dpd_max": "3"})
    assert response.status_code == 400
    assert "Must not be below DPD from." in response.content.decode()


def test_the_detail_page_lists_open_placements_and_recalls_one(client, team, supervisor):
    acme = agency()
    accounts = [AccountFactory(team=team) for _ in range(2)]
    batch = place(accounts, acme, supervisor)
    client.force_login(supervisor)
    page = client.get(reverse("agencies:detail", args=[acme.pk]))
    assert page.status_code == 200
    placement = batch.placements.order_by("id").first()
    assert f'id="placement-{placement.pk}"' in page.content.decode()

    missing_reason = client.post(reverse("agencies:recall", args=[placement.pk]), {})
    assert missing_reason.status_code == 400
    response = client.post(
        reverse("agencies:recall", args=[placement.pk]), {"reason": "Agency too slow"}
    )
    assert response.status_code == 302
    placement.refresh_from_db()
    assert (placement.status, placement.recall_reason) == ("recalled", "Agency too slow")
    again = client.post(reverse("agencies:recall", args=[placement.pk]), {"reason": "Again"})
    assert again.status_code == 409


def test_every_download_of_the_export_is_recorded(client, team, supervisor):
    batch = place([AccountFactory(team=team)], agency(), supervisor)
    client.force_login(supervisor)
    for _ in range(2):
        response = client.get(reverse("agencies:batch_export", args=[batch.pk]))
        assert response.status_code == 200
        assert response.content == bytes(batch.export_content)
        assert response["Content-Type"].startswith("text/csv")
    assert list(ExportDownload.objects.values_list("user__username", flat=True)) == ["sue", "sue"]


def test_another_teams_supervisor_sees_neither_its_batch_nor_its_placements(
    client, team, other_team, supervisor
):
    acme = agency(jurisdictions=["US", "CN"])
    batch = place([AccountFactory(team=team)], acme, supervisor)
    stranger = _user("supervisor", other_team, "zhou")
    client.force_login(stranger)
    assert client.get(reverse("agencies:batch", args=[batch.pk])).status_code == 403
    assert client.get(reverse("agencies:batch_export", args=[batch.pk])).status_code == 403
    placement = batch.placements.get()
    assert (
        client.post(reverse("agencies:recall", args=[placement.pk]), {"reason": "x"}).status_code
        == 403
    )
    listing = client.get(reverse("agencies:detail", args=[acme.pk]))
    assert f'id="placement-{placement.pk}"' not in listing.content.decode()
    kpis = client.get(reverse("agencies:list"))
    assert kpis.status_code == 200 and "1,075.00" not in kpis.content.decode()


def test_the_list_shows_each_agencys_kpis(client, team, supervisor):
    place([AccountFactory(team=team)], agency(), supervisor)
    client.force_login(supervisor)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        body = client.get(reverse("agencies:list")).content.decode()
    assert "Acme Recoveries" in body and "1,075.00" in body and "0.0%" in body
