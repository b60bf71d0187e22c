"""The contact log is append-only on every path: model, queryset and admin."""

from datetime import UTC, datetime

import pytest
from django.contrib.admin.sites import site

from contacts.models import ContactLog
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry():
    account = AccountFactory()
    return ContactLog.objects.create(
        account=account,
        customer=account.customer,
        channel="call",
        direction="outbound",
        occurred_at=datetime(2026, 11, 20, 15, tzinfo=UTC),
        outcome="no_answer",
    )


def test_an_entry_cannot_be_edited(entry):
    entry.notes = "changed my mind"
    with pytest.raises(PermissionError):
        entry.save()


def test_an_entry_cannot_be_deleted(entry):
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        ContactLog.objects.filter(pk=entry.pk).delete()
    with pytest.raises(PermissionError):
        ContactLog.objects.filter(pk=entry.pk).update(outcome="conversation")
    assert ContactLog.objects.get(pk=entry.pk).outcome == "no_answer"


def test_a_correction_is_a_new_entry_pointing_back(entry):
    fix = ContactLog.objects.create(
        account=entry.account,
        customer=entry.customer,
        channel="call",
        direction="outbound",
        occurred_at=entry.occurred_at,
        outcome="voicemail",
        corrects=entry,
    )
    assert list(entry.corrections.all()) == [fix]


def test_the_admin_is_read_only(rf, admin_user, entry):
    model_admin = site._registry[ContactLog]
    request = rf.get("/")
    request.user = admin_user
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
