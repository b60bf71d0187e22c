"""Forms of the agency pages: the placement page's filters, placing, recalling."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Jurisdiction
from agencies.models import Agency


class PlacementFilterForm(forms.Form):
    agency = forms.ModelChoiceField(
        label=_("Agency"), queryset=Agency.objects.filter(is_active=True), required=False
    )
    jurisdiction = forms.ChoiceField(
        label=_("Jurisdiction"),
        choices=[("", _("All")), *Jurisdiction.choices],
        required=False,
    )
    bucket = forms.CharField(label=_("Bucket"), max_length=10, required=False)
    dpd_min = forms.IntegerField(label=_("DPD from"), min_value=0, required=False)
    dpd_max = forms.IntegerField(label=_("DPD to"), min_value=0, required=False)
    q = forms.CharField(label=_("Search"), max_length=100, required=False)

    def clean(self):
        data = super().clean()
        low, high = data.get("dpd_min"), data.get("dpd_max")
        if low is not None and high is not None and high < low:
            self.add_error("dpd_max", _("Must not be below DPD from."))
        return data


class PlaceForm(forms.Form):
    agency = forms.ModelChoiceField(
        label=_("Agency"), queryset=Agency.objects.filter(is_active=True)
    )
    recall_on = forms.DateField(
        label=_("Recall on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: the agency's longest placement, or 180 days."),
    )
    accounts = forms.TypedMultipleChoiceField(
        label=_("Accounts"), coerce=int, error_messages={"required": _("Choose accounts.")}
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The choices are whatever ids were sent: the service decides which may be placed.
        ids = self.data.getlist("accounts") if hasattr(self.data, "getlist") else []
        self.fields["accounts"].choices = [(i, i) for i in ids if str(i).isdigit()]


class RecallForm(forms.Form):
    reason = forms.CharField(label=_("Why recall"), max_length=255)
