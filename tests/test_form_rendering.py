"""The select template the project overrides (``templates/django/forms/widgets/select.html``)
writes the same HTML as Django's own, for every kind of select the project shows."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, TemplatesSetting

from outreach.forms import ContactLogForm
from tests.factories import AccountFactory, ContactPointFactory
from workspace.case_forms import ContactPointAddForm, HardshipForm, RestrictionAddForm


class _Kinds(forms.Form):
    plain = forms.ChoiceField(choices=[("a", "A & B"), ("b", '"quoted"')], initial="b")
    grouped = forms.ChoiceField(
        choices=[("", "—"), ("Group <1>", [("x", "X"), ("y", "Y")]), ("z", "Z")],
        required=False,
        widget=forms.Select(attrs={"class": "wide", "data-x": True, "hidden": False}),
    )
    many = forms.MultipleChoiceField(choices=[(1, "one"), (2, "two")], initial=[2])
    maybe = forms.NullBooleanField()


class _OwnOption(forms.Select):
    option_template_name = "django/forms/widgets/input_option.html"


class _Own(forms.Form):
    own = forms.ChoiceField(choices=[("a", "A")], widget=_OwnOption)


def _widgets(form_factory) -> tuple[list[str], list[str]]:
    ours = form_factory(renderer=TemplatesSetting())
    djangos = form_factory(renderer=DjangoTemplates())
    return (
        [field.as_widget() for field in ours],
        [field.as_widget() for field in djangos],
    )


@pytest.mark.django_db
def test_every_select_renders_as_djangos_template_would():
    account = AccountFactory()
    ContactPointFactory(customer=account.customer, value="+12125550142")
    factories = [
        _Kinds,
        lambda **kw: _Kinds({"plain": "a", "grouped": "y", "many": ["1", "2"]}, **kw),
        _Own,
        lambda **kw: ContactLogForm(account=account, **kw),
        lambda **kw: RestrictionAddForm(account=account, prefix="restriction", **kw),
        lambda **kw: ContactPointAddForm(prefix="point", **kw),
        lambda **kw: HardshipForm(prefix="hardship", **kw),
    ]
    selects = 0
    for factory in factories:
        ours, djangos = _widgets(factory)
        assert ours == djangos
        selects += sum("<select" in html for html in ours)
    assert selects >= 12


def test_the_project_renders_widgets_with_its_own_select_template():
    from django.conf import settings
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), TemplatesSetting)
    origin = get_default_renderer().get_template("django/forms/widgets/select.html").origin.name
    assert origin == str(settings.BASE_DIR / "templates/django/forms/widgets/select.html")


@pytest.mark.django_db
def test_the_contact_form_offers_the_same_points_from_the_pages_list_as_from_its_query():
    account = AccountFactory()
    ContactPointFactory(customer=account.customer, value="+12125550142")
    ContactPointFactory(customer=account.customer, value="+12125550143", opted_out=True)
    points = list(account.customer.contact_points.all())
    queried = ContactLogForm(account=account)["contact_point"].as_widget()
    given = ContactLogForm(account=account, contact_points=points)["contact_point"].as_widget()
    assert given == queried and given.count("<option") == 3
