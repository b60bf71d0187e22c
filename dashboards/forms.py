from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Jurisdiction, Product, Team
from compliance.models import Purpose
from core.forms import BoundedDateField
from dashboards import kpis

MAX_RANGE_DAYS = 400


class DashboardFilterForm(forms.Form):
    """Date range, team, jurisdiction, product; teams limited to what the user may see."""

    date_from = BoundedDateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = BoundedDateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("All teams")
    )
    jurisdiction = forms.ChoiceField(
        label=_("Jurisdiction"), required=False, choices=[("", _("All"))] + Jurisdiction.choices
    )
    product = forms.ChoiceField(
        label=_("Product"), required=False, choices=[("", _("All"))] + Product.choices
    )

    def __init__(self, *args, user, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.today = today
        teams = Team.objects.all()
        if not user.sees_all_teams:
            teams = teams.filter(pk=user.team_id)
        self.fields["team"].queryset = teams

    def clean(self):
        data = super().clean()
        date_to = data.get("date_to") or self.today
        date_from = data.get("date_from") or date_to - timedelta(days=kpis.DEFAULT_DAYS - 1)
        if date_from > date_to:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        if (date_to - date_from).days > MAX_RANGE_DAYS:
            raise forms.ValidationError(
                _("Choose a range of at most %(days)s days.") % {"days": MAX_RANGE_DAYS}
            )
        data["date_from"], data["date_to"] = date_from, date_to
        return data

    def filters(self) -> kpis.Filters:
        data = self.cleaned_data
        return kpis.Filters(
            date_from=data["date_from"],
            date_to=data["date_to"],
            team_id=data["team"].pk if data.get("team") else None,
            jurisdiction=data.get("jurisdiction") or "",
            product=data.get("product") or "",
            team_ids=None if self.user.sees_all_teams else (self.user.team_id,),
        )


class DecisionForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ExceptionFilterForm(forms.Form):
    date_from = BoundedDateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = BoundedDateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    rule = forms.CharField(label=_("Rule"), required=False, max_length=60)
    purpose = forms.ChoiceField(
        label=_("Purpose"), required=False, choices=[("", _("All"))] + Purpose.choices
    )
    specialist = forms.CharField(label=_("Specialist"), required=False, max_length=150)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        return data
