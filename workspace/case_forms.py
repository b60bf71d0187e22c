"""The small forms of the case page's actions. They only parse what was typed; the rules stay in
the services the API uses (``workspace.case_actions`` calls them)."""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, ContactPoint
from compliance.models import Channel, RestrictionKind, RestrictionSource
from contacts.evidence_files import validate_evidence_file
from contacts.models import CaseStatus
from core.bounds import MAX_NOTE_LENGTH
from outreach.forms import LOCAL_FORMAT, ContactPointChoiceField, LocalDateTimeInput
from plans.forms import DEFAULT_ANNUAL_RATE_PERCENT, PlanBuilderForm
from plans.models import HardshipKind, HardshipOutcome

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0")}


class BudgetForm(forms.Form):
    """What the customer declares they earn and spend a month (the plan options read it)."""

    monthly_income = forms.DecimalField(label=_("Declared monthly income"), **MONEY)
    monthly_expenses = forms.DecimalField(label=_("Declared monthly expenses"), **MONEY)


class ContactPointAddForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactPoint.Kind.choices)
    value = forms.CharField(label=_("Number, email or address"), max_length=254)
    label = forms.ChoiceField(
        label=_("Label"), choices=ContactPoint.Label.choices, initial=ContactPoint.Label.MOBILE
    )


class OptOutForm(forms.Form):
    """Mark a contact point opted out (any role) or opted back in (a supervisor)."""

    opted_out = forms.TypedChoiceField(
        choices=[("1", _("Opted out")), ("0", _("Opted back in"))],
        coerce=lambda value: value == "1",
    )


class RestrictionAddForm(forms.Form):
    """A restriction the customer, their attorney or a court asked for. A dispute's hold comes
    with the dispute (log a contact with the dispute disposition), so it is not offered here."""

    kind = forms.ChoiceField(
        label=_("Restriction"),
        choices=[c for c in RestrictionKind.choices if c[0] != RestrictionKind.DISPUTE_PENDING],
    )
    source = forms.ChoiceField(
        label=_("Asked for by"),
        choices=[c for c in RestrictionSource.choices if c[0] != RestrictionSource.SYSTEM],
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[("", _("Every channel"))]
        + [c for c in Channel.choices if c[0] != Channel.INBOUND_CALL],
        required=False,
    )
    contact_point = ContactPointChoiceField(
        label=_("Only this contact point"), queryset=ContactPoint.objects.none(), required=False
    )
    not_before = forms.TimeField(
        label=_("Not before (customer's time)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    not_after = forms.TimeField(
        label=_("Not after (customer's time)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    attorney_name = forms.CharField(label=_("Attorney"), required=False, max_length=200)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_point"].queryset = account.customer.contact_points.all()

    def service_kwargs(self) -> dict:
        """Keyword arguments for ``compliance.services.restriction_create``."""
        return dict(self.cleaned_data)


class ReasonForm(forms.Form):
    """Why: ending a restriction, cancelling a plan."""

    reason = forms.CharField(label=_("Reason"), max_length=200)


class WriteOffForm(forms.Form):
    """Propose charging the account off; a supervisor other than the proposer approves it."""

    reason = forms.CharField(
        label=_("Why it should be written off"),
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    stop_collecting = forms.BooleanField(
        label=_("Stop collecting"),
        required=False,
        help_text=_(
            "Take the account out of collections when it is charged off (stage written off). "
            "Otherwise collections go on: the customer still owes the balance."
        ),
    )


class CaseTransitionForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Move to"), choices=[c for c in CaseStatus.choices if c[0] != CaseStatus.OPEN]
    )
    note = forms.CharField(
        label=_("Resolution or note"),
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RecordingForm(forms.Form):
    file = forms.FileField(
        label=_("Recording or scan"), allow_empty_file=False, validators=[validate_evidence_file]
    )


class CallbackCompleteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=250)


class CallbackRescheduleForm(forms.Form):
    """The new time is typed in the customer's zone, like every contact time."""

    due_at = forms.DateTimeField(
        label=_("Call back at (customer's local time)"),
        input_formats=[LOCAL_FORMAT, "%Y-%m-%d %H:%M"],
        widget=LocalDateTimeInput(),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=250)

    def __init__(self, *args, account: Account, **kwargs):
        self.zone = ZoneInfo(account.customer.time_zone)
        super().__init__(*args, **kwargs)

    def full_clean(self) -> None:
        with timezone.override(self.zone):
            super().full_clean()


class HardshipForm(forms.Form):
    """A hardship programme's terms; the limits (months, amount, review date) are the service's."""

    kind = forms.ChoiceField(label=_("Arrangement"), choices=HardshipKind.choices)
    monthly_amount = forms.DecimalField(
        label=_("Reduced monthly payment"),
        required=False,
        help_text=_("For a reduced payment only."),
        **MONEY,
    )
    months = forms.IntegerField(label=_("Months"), min_value=1, max_value=60)
    review_on = forms.DateField(
        label=_("Review on"),
        required=False,
        help_text=_("Default: its last day."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=MAX_NOTE_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class HardshipEndForm(forms.Form):
    """End it: back to the usual terms, or into a plan draft of ``installments``."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=HardshipOutcome.choices)
    installments = forms.IntegerField(
        label=_("Plan installments"),
        required=False,
        min_value=1,
        max_value=360,
        help_text=_("When it becomes a plan."),
    )
    annual_rate = copy.deepcopy(PlanBuilderForm.base_fields["annual_rate"])
    note = forms.CharField(label=_("Note"), required=False, max_length=250)

    def service_kwargs(self) -> dict:
        """Keyword arguments for ``plans.services.hardship_end`` (the rate as a fraction)."""
        data = dict(self.cleaned_data)
        rate = data.pop("annual_rate")
        if data["outcome"] == HardshipOutcome.CONVERT:
            data["annual_rate"] = rate / 100 if rate is not None else None
        return data


def hardship_end_choices() -> dict:
    """What the end form of each active arrangement offers (it is written out per arrangement)."""
    return {"outcomes": HardshipOutcome.choices, "default_rate": DEFAULT_ANNUAL_RATE_PERCENT}


def local_input(moment: datetime, zone: str) -> str:
    """``moment`` as a datetime-local input shows it in ``zone``."""
    return moment.astimezone(ZoneInfo(zone)).strftime(LOCAL_FORMAT)


def budget_form(data: Any, account: Account) -> BudgetForm:
    """The budget form, showing what the customer declared so far."""
    customer = account.customer
    return BudgetForm(
        data,
        prefix="budget",
        initial={
            "monthly_income": customer.monthly_income,
            "monthly_expenses": customer.monthly_expenses,
        },
    )
