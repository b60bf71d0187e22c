"""Message templates in the admin: checked by compliance before they are saved.

The model lives in contacts/; its admin lives here because the check belongs to compliance,
which sits above contacts.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance import rules
from contacts.models import MessageTemplate
from outreach.services import message_template_save, message_template_validate

#: The fields ``compliance.services.template_check`` reads.
CHECKED_FIELDS = ("code", "jurisdiction", "channel", "language", "stage", "subject", "body")


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = [
            "code",
            "name",
            "jurisdiction",
            "channel",
            "language",
            "tone",
            "stage",
            "subject",
            "body",
            "is_active",
        ]

    def clean(self) -> dict:
        """A text compliance refuses is an error on ``body``, with each rule's reason."""
        data = super().clean()
        if all(name in data for name in CHECKED_FIELDS):
            candidate = MessageTemplate(**{name: data[name] for name in CHECKED_FIELDS})
            try:
                message_template_validate(candidate)
            except ValidationError as error:
                self.add_error(None, error)
        return data


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    """Saving runs the compliance check; a failing text is refused with the rule's reason."""

    form = MessageTemplateForm
    list_display = [
        "code",
        "name",
        "jurisdiction",
        "channel",
        "language",
        "tone",
        "stage",
        "letter_kind",
        "is_active",
        "checked_at",
    ]
    list_filter = ["jurisdiction", "channel", "language", "tone", "stage", "is_active"]
    search_fields = ["code", "name", "body"]
    readonly_fields = ["checked_at", "created_at", "updated_at"]

    @admin.display(description=gettext_lazy("letter kind"))
    def letter_kind(self, obj) -> str:
        """What a letter template must carry is decided by its kind (compliance.rules.letters)."""
        if obj.channel != "letter":
            return ""
        return str(_(rules.LETTER_KINDS[rules.letter_kind_for(obj.code)]))

    def save_model(self, request, obj, form, change) -> None:
        message_template_save(template=obj)
