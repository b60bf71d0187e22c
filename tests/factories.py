from datetime import date
from decimal import Decimal

import factory

from accounts.models import Account, ContactPoint, Customer, Team, User


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"team-{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())
    jurisdiction = "US"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_ref = factory.Sequence(lambda n: f"C{n:06d}")
    name = factory.Sequence(lambda n: f"Customer {n}")
    national_id = factory.Sequence(lambda n: f"900-12-{n:04d}")
    time_zone = "America/New_York"
    jurisdiction = "US"
    language = "en"
    monthly_income = Decimal("4000.00")
    monthly_expenses = Decimal("3000.00")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"4000000000{n:06d}")
    currency = "USD"
    principal_balance = Decimal("1000.00")
    interest_balance = Decimal("50.00")
    fee_balance = Decimal("25.00")
    past_due_amount = Decimal("200.00")
    minimum_due = Decimal("50.00")
    delinquent_since = date(2026, 10, 1)
    team = factory.SubFactory(TeamFactory)


class ContactPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPoint

    customer = factory.SubFactory(CustomerFactory)
    kind = "phone"
    value = factory.Sequence(lambda n: f"+1212555{n:04d}")
    label = "mobile"
    region = "US"
