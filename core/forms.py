"""Form fields with the sane ranges of core.bounds, for the pages."""

from __future__ import annotations

from django import forms

from core.bounds import validate_date_in_range


class BoundedDateField(forms.DateField):
    """A date between 1900 and 2199; anything else is a form error on the field."""

    default_validators = [validate_date_in_range]
