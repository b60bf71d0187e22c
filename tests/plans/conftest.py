import pytest
from django.contrib.auth.models import Group

from tests.factories import UserFactory


@pytest.fixture
def other_supervisor(team):
    user = UserFactory(username="sid", team=team, is_staff=True)
    user.groups.add(Group.objects.get(name="supervisor"))
    return user
