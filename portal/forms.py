from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from contacts.models import Dispute


class CodeEntryForm(forms.Form):
    code = forms.RegexField(
        label=_("The code on your letter"),
        max_length=80,
        regex=r"^[0-9a-z]+\.[0-9a-z]+\.[A-Za-z0-9_-]+$",
        error_messages={"invalid": _("Type the code exactly as printed, with its dots.")},
        strip=True,
    )


class IdentityForm(forms.Form):
    date_of_birth = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    id_last_digits = forms.CharField(
        label=_("Or the last 4 characters of your ID number"), max_length=4, required=False
    )

    def clean(self):
        data = super().clean()
        if not data.get("date_of_birth") and not (data.get("id_last_digits") or "").strip():
            raise forms.ValidationError(
                _("Give your date of birth or the last 4 characters of your ID.")
            )
        return data


class CodeSendForm(forms.Form):
    point = forms.TypedChoiceField(label=_("Send a code to"), coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args, points=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].choices = [(p.pk, p.masked_value) for p in points]


class CodeCheckForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class PayForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=0.01)


class PlanAcceptForm(forms.Form):
    installments = forms.IntegerField(min_value=1, max_value=120)
    shown = forms.CharField(max_length=64)
    agree = forms.BooleanField(label=_("I accept these terms"))


class SettlementAcceptForm(forms.Form):
    shown = forms.CharField(max_length=64)
    agree = forms.BooleanField(label=_("I accept these terms"))


class PlanRequestForm(forms.Form):
    installments = forms.IntegerField(
        label=_("Installments you could manage"), min_value=1, max_value=120, required=False
    )
    note = forms.CharField(label=_("Anything we should know"), max_length=200, required=False)


class PromiseForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=0.01)
    due_date = forms.DateField(
        label=_("I will pay by"), widget=forms.DateInput(attrs={"type": "date"})
    )


class CallbackForm(forms.Form):
    due_at = forms.DateTimeField(
        label=_("Call me at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class DisputeForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What is wrong"), choices=Dispute._meta.get_field("kind").choices
    )
    description = forms.CharField(label=_("Tell us more"), max_length=2000, widget=forms.Textarea)


class HardshipForm(forms.Form):
    description = forms.CharField(
        label=_("What has changed"), max_length=2000, widget=forms.Textarea
    )


class PreferencesForm(forms.Form):
    opt_out = forms.MultipleChoiceField(
        label=_("Stop contacting me by"),
        required=False,
        choices=[("sms", _("Text message")), ("email", _("Email")), ("call", _("Phone call"))],
        widget=forms.CheckboxSelectMultiple,
    )
    not_before = forms.TimeField(
        label=_("Not before"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    not_after = forms.TimeField(
        label=_("Not after"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
