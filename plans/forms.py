"""The plan builder's form: terms and concessions as the specialist types them (rates in %).

Parsing only; ``plans.services`` decides whether the terms are allowed.
"""

from __future__ import annotations

import copy
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BoundedDateField
from plans.models import FREQUENCY_CHOICES, METHOD_CHOICES, AcceptanceChannel
from plans.reschedule import Arrears
from plans.schedule import Frequency, Method

ZERO = Decimal("0")
HUNDRED = Decimal("100")
# A starting point the specialist adjusts; the plan stores whatever is submitted.
DEFAULT_ANNUAL_RATE_PERCENT = Decimal("12")
EMPTY_MEANS_ZERO = (
    "down_payment",
    "waived_interest",
    "waived_fees",
    "principal_reduction",
)


class PlanBuilderForm(forms.Form):
    SAVE_DRAFT = "draft"
    SUBMIT = "submit"

    method = forms.ChoiceField(
        label=_("Repayment method"), choices=METHOD_CHOICES, initial=Method.EQUAL_INSTALLMENT.value
    )
    annual_rate = forms.DecimalField(
        label=_("Annual interest rate (%)"),
        required=False,
        min_value=ZERO,
        max_digits=8,
        decimal_places=4,
        initial=DEFAULT_ANNUAL_RATE_PERCENT,
    )
    period_fee_rate = forms.DecimalField(
        label=_("Fee per installment (%)"),
        required=False,
        min_value=ZERO,
        max_digits=8,
        decimal_places=4,
        help_text=_("Only for the fixed-fee method."),
    )
    frequency = forms.ChoiceField(
        label=_("Frequency"), choices=FREQUENCY_CHOICES, initial=Frequency.MONTHLY.value
    )
    installments = forms.IntegerField(label=_("Installments"), min_value=1, max_value=360)
    first_due_date = BoundedDateField(
        label=_("First due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: one period after today."),
    )
    down_payment = forms.DecimalField(
        label=_("Down payment"), min_value=ZERO, max_digits=14, decimal_places=2, initial=ZERO
    )
    waived_interest = forms.DecimalField(
        label=_("Waive interest"), min_value=ZERO, max_digits=14, decimal_places=2, initial=ZERO
    )
    waived_fees = forms.DecimalField(
        label=_("Waive fees"), min_value=ZERO, max_digits=14, decimal_places=2, initial=ZERO
    )
    principal_reduction = forms.DecimalField(
        label=_("Principal reduction"),
        required=False,
        min_value=ZERO,
        max_digits=14,
        decimal_places=2,
        initial=ZERO,
    )
    concessions_conditional = forms.BooleanField(
        label=_("Concessions only if the plan is completed"), required=False
    )
    acceptance_channel = forms.ChoiceField(
        label=_("Customer accepted by"),
        choices=[("", "—")] + list(AcceptanceChannel.choices),
        required=False,
    )
    acceptance_reference = forms.CharField(
        label=_("Acceptance reference (recording, signature id)"), max_length=100, required=False
    )
    action = forms.ChoiceField(
        choices=[(SAVE_DRAFT, _("Save as draft")), (SUBMIT, _("Create and submit"))],
        required=False,
        initial=SUBMIT,
        widget=forms.HiddenInput,
    )

    def clean(self) -> dict:
        data = super().clean()
        for field in EMPTY_MEANS_ZERO:
            if data.get(field) is None:
                data[field] = ZERO
        method = data.get("method")
        if method == Method.FLAT_FEE and data.get("period_fee_rate") is None:
            self.add_error(
                "period_fee_rate", _("The fixed-fee method needs a fee per installment.")
            )
        if method in (Method.EQUAL_INSTALLMENT, Method.EQUAL_PRINCIPAL) and (
            data.get("annual_rate") is None
        ):
            self.add_error("annual_rate", _("This method needs an annual interest rate."))
        if data.get("action") == self.SUBMIT and not data.get("acceptance_channel"):
            self.add_error(
                "acceptance_channel",
                _("Record how the customer accepted the terms before submitting the plan."),
            )
        return data

    def rates(self) -> dict[str, Decimal | None]:
        """The engine's rates (fractions) for the chosen method."""
        data = self.cleaned_data
        method = data.get("method")
        annual = data.get("annual_rate")
        fee = data.get("period_fee_rate")
        return {
            "annual_rate": annual / HUNDRED
            if annual is not None and method in (Method.EQUAL_INSTALLMENT, Method.EQUAL_PRINCIPAL)
            else None,
            "period_fee_rate": fee / HUNDRED
            if fee is not None and method == Method.FLAT_FEE
            else None,
        }

    def concessions(self) -> dict[str, Decimal]:
        """The amounts the plan gives up, as ``plans.concessions`` and the services name them."""
        data = self.cleaned_data
        return {
            "waived_interest": data["waived_interest"],
            "waived_fees": data["waived_fees"],
            "principal_reduction": data["principal_reduction"],
        }


class OptionsForm(PlanBuilderForm):
    """The options table and the preview only need the pricing; nothing else is required."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False

    def clean(self) -> dict:
        data = forms.Form.clean(self)
        for field in EMPTY_MEANS_ZERO:
            if data.get(field) is None:
                data[field] = ZERO
        data["method"] = data.get("method") or Method.EQUAL_INSTALLMENT.value
        data["frequency"] = data.get("frequency") or Frequency.MONTHLY.value
        return data


class PlanRejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class RescheduleForm(forms.Form):
    """New terms for an active or broken plan, as the plan page takes them (rates in %). Its
    ids differ from the plan page's other forms (``id_reschedule_reason``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_reschedule_%s")
        super().__init__(*args, **kwargs)

    method = copy.deepcopy(PlanBuilderForm.base_fields["method"])
    annual_rate = copy.deepcopy(PlanBuilderForm.base_fields["annual_rate"])
    period_fee_rate = copy.deepcopy(PlanBuilderForm.base_fields["period_fee_rate"])
    installments = forms.IntegerField(label=_("Installments"), min_value=1, max_value=360)
    first_due_date = BoundedDateField(
        label=_("First due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: one period after today, then the payment holiday."),
    )
    payment_holiday_months = forms.IntegerField(
        label=_("Payment holiday (months)"), min_value=0, max_value=12, initial=0
    )
    arrears = forms.ChoiceField(
        label=_("Arrears (unpaid interest and fees due so far)"),
        choices=[
            (Arrears.CAPITALISE.value, _("Capitalise: add them to the new plan")),
            (Arrears.WAIVE.value, _("Waive them (a concession)")),
        ],
        initial=Arrears.CAPITALISE.value,
    )
    reason = forms.CharField(label=_("Reason for rescheduling"), max_length=500)

    def clean(self) -> dict:
        data = super().clean()
        method = data.get("method")
        if method == Method.FLAT_FEE and data.get("period_fee_rate") is None:
            self.add_error(
                "period_fee_rate", _("The fixed-fee method needs a fee per installment.")
            )
        if method in (Method.EQUAL_INSTALLMENT, Method.EQUAL_PRINCIPAL) and (
            data.get("annual_rate") is None
        ):
            self.add_error("annual_rate", _("This method needs an annual interest rate."))
        return data

    rates = PlanBuilderForm.rates


class SettlementForm(forms.Form):
    """A settlement offer as the plan builder takes it; ``plans.services`` decides the rest.
    Its ids differ from the plan form's on the same page (``id_settlement_installments``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_settlement_%s")
        super().__init__(*args, **kwargs)

    amount = forms.DecimalField(
        label=_("Settle for"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
    installments = forms.IntegerField(
        label=_("Payments"),
        min_value=1,
        max_value=360,
        initial=1,
        help_text=_("1 = a lump sum; more are monthly."),
    )
    first_due_date = BoundedDateField(
        label=_("First payment due"), widget=forms.DateInput(attrs={"type": "date"})
    )
    expires_on = BoundedDateField(
        label=_("Offer expires on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("It lapses if nothing is paid towards it by then."),
    )
