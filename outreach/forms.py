"""The "Log a contact" form: what the specialist did, when (customer local time), and what came
of it. Business rules stay in ``outreach.services`` and ``compliance``; this only parses input."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.models import Complaint, ContactLog, ContactPoint, Dispute
from core.bounds import MAX_MESSAGE_LENGTH, MAX_NOTE_LENGTH
from core.forms import BoundedDateField
from outreach.services import DispositionDetails

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
# A specialist's clock and ours may differ a little; later than this is "in the future".
CLOCK_SKEW = timedelta(minutes=10)


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=LOCAL_FORMAT, **kwargs)


class ContactPointChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ContactPoint) -> str:
        state = ""
        if obj.opted_out:
            state = " · " + str(_("opted out"))
        elif not obj.is_valid:
            state = " · " + str(_("invalid"))
        return f"{obj.get_kind_display()} · {obj.get_label_display()}: {obj.masked_value}{state}"


def local_now(zone: ZoneInfo, now: datetime | None = None) -> datetime:
    """``now`` as the naive wall-clock time a datetime-local input shows in ``zone``."""
    return (now or timezone.now()).astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)


class ContactLogForm(forms.Form):
    """Times are typed and shown in the customer's zone (contact-time rules are local)."""

    channel = forms.ChoiceField(label=_("Channel"), choices=ContactLog.Channel.choices)
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=ContactLog.Direction.choices,
        initial=ContactLog.Direction.OUTBOUND,
    )
    contact_point = ContactPointChoiceField(
        label=_("Contact point"), queryset=ContactPoint.objects.none(), required=False
    )
    occurred_at = forms.DateTimeField(
        label=_("When (customer's local time)"),
        input_formats=[LOCAL_FORMAT, "%Y-%m-%d %H:%M"],
        widget=LocalDateTimeInput(),
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ContactLog.Outcome.choices)
    disposition = forms.ChoiceField(
        label=_("Disposition"),
        choices=[("", _("None"))] + list(ContactLog.Disposition.choices),
        required=False,
    )
    promise_amount = forms.DecimalField(
        label=_("Promised amount"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
    )
    promise_date = BoundedDateField(
        label=_("Promised by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    callback_at = forms.DateTimeField(
        label=_("Call back at (customer's local time)"),
        required=False,
        input_formats=[LOCAL_FORMAT, "%Y-%m-%d %H:%M"],
        widget=LocalDateTimeInput(),
    )
    dispute_kind = forms.ChoiceField(
        label=_("Dispute"),
        choices=Dispute.Kind.choices,
        initial=Dispute.Kind.OTHER,
        required=False,
    )
    complaint_category = forms.ChoiceField(
        label=_("Complaint about"),
        choices=Complaint.Category.choices,
        initial=Complaint.Category.OTHER,
        required=False,
    )
    cease_in_writing = forms.BooleanField(label=_("Cease request made in writing"), required=False)
    reason = forms.ChoiceField(
        label=_("Reason for delinquency"),
        choices=[("", _("Not discussed"))] + list(ContactLog.Reason.choices),
        required=False,
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    message = forms.CharField(
        label=_("Message sent or script used"),
        required=False,
        max_length=MAX_MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self,
        *args,
        account,
        now: datetime | None = None,
        contact_points: list[ContactPoint] | None = None,
        **kwargs,
    ):
        """``contact_points``: the customer's, when the caller has read them already (the case
        page): the field offers them without a query of its own."""
        self.account = account
        self.zone = ZoneInfo(account.customer.time_zone)
        self.now = now or timezone.now()
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("occurred_at", local_now(self.zone, self.now))
        super().__init__(*args, **kwargs)
        field = self.fields["contact_point"]
        field.queryset = account.customer.contact_points.all()
        if contact_points is not None:
            empty = [] if field.empty_label is None else [("", field.empty_label)]
            field.choices = empty + [(p.pk, field.label_from_instance(p)) for p in contact_points]

    def full_clean(self) -> None:
        # Naive local times typed in the form are read in the customer's zone (DST gaps and
        # overlaps are reported as field errors by Django).
        with timezone.override(self.zone):
            super().full_clean()

    def clean_occurred_at(self) -> datetime:
        value = self.cleaned_data["occurred_at"]
        if value > self.now + CLOCK_SKEW:
            raise forms.ValidationError(_("A contact cannot be logged in the future."))
        return value

    def clean(self) -> dict:
        data = super().clean()
        channel = data.get("channel")
        if channel == ContactLog.Channel.INBOUND_CALL:
            data["direction"] = ContactLog.Direction.INBOUND
        elif channel:
            data["direction"] = ContactLog.Direction.OUTBOUND
        return data

    def details(self) -> DispositionDetails:
        data = self.cleaned_data
        return DispositionDetails(
            promise_amount=data.get("promise_amount"),
            promise_date=data.get("promise_date"),
            callback_at=data.get("callback_at"),
            dispute_kind=data.get("dispute_kind") or Dispute.Kind.OTHER,
            complaint_category=data.get("complaint_category") or Complaint.Category.OTHER,
            cease_in_writing=bool(data.get("cease_in_writing")),
        )

    def entry_kwargs(self) -> dict:
        """Keyword arguments for ``outreach.services.contact_log_create``."""
        data = self.cleaned_data
        return {
            "channel": data["channel"],
            "direction": data["direction"],
            "contact_point": data.get("contact_point"),
            "occurred_at": data["occurred_at"],
            "outcome": data["outcome"],
            "disposition": data.get("disposition") or "",
            "reason": data.get("reason") or "",
            "notes": data.get("notes") or "",
            "message": data.get("message") or "",
            "details": self.details(),
        }


class CheckInputForm(ContactLogForm):
    """The live check needs only channel, time, contact point and message; the rest may be
    half-typed while the specialist works through the form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name not in ("channel", "occurred_at"):
                field.required = False
        self.fields["outcome"].required = False
