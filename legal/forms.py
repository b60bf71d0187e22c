"""The legal pages' forms: they parse what was typed; the rules are in ``legal.services``."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from legal.models import CaseOutcome, CostKind, LegalCase, ReferralReason, StepKind

DATE = forms.DateInput(attrs={"type": "date"})
MAX_DOCUMENTS = 10


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern for ``multiple``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ReferralForm(forms.Form):
    reasons = forms.MultipleChoiceField(
        label=_("Why legal action"),
        choices=ReferralReason.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )
    documents = MultipleFileField(
        label=_("Documents (agreement, statements, letters sent: PDF or scans)"), required=False
    )

    def clean_documents(self):
        documents = self.cleaned_data["documents"]
        if len(documents) > MAX_DOCUMENTS:
            raise forms.ValidationError(_("Attach at most %(n)d documents.") % {"n": MAX_DOCUMENTS})
        return documents


class DecisionForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )


class CaseForm(forms.ModelForm):
    class Meta:
        model = LegalCase
        fields = ["court", "case_number", "filed_on", "judgment_on", "judgment_amount"]
        widgets = {"filed_on": DATE, "judgment_on": DATE}


class StepForm(forms.Form):
    kind = forms.ChoiceField(label=_("Step"), choices=StepKind.choices)
    due_on = forms.DateField(label=_("Due on"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class StepDoneForm(forms.Form):
    step = forms.IntegerField(widget=forms.HiddenInput)
    done_on = forms.DateField(label=_("Done on"), widget=DATE)


class CostForm(forms.Form):
    kind = forms.ChoiceField(label=_("Cost"), choices=CostKind.choices)
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    incurred_on = forms.DateField(label=_("Incurred on"), widget=DATE)
    recoverable = forms.BooleanField(label=_("Recoverable from the customer"), required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CaseOutcome.choices)
