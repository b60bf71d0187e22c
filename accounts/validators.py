"""Field validators shared by models, serializers and the importer."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.money import CURRENCY_PLACES


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        # OSError: a name like "America" is a directory in the zone database, not a zone.
        raise ValidationError(
            _("'%(value)s' is not an IANA time zone (e.g. America/New_York, Asia/Shanghai).")
            % {"value": value}
        ) from exc


def validate_currency(value: str) -> None:
    """A currency Settle lends in (core.money): its places are known, so amounts round right."""
    if value not in CURRENCY_PLACES:
        raise ValidationError(_("Use a three-letter ISO 4217 code such as USD or CNY."))
