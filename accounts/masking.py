"""Masking of personal data for display (PIPL art. 28: minimum necessary, masked by default).

Pure string functions: every page, API response and admin list shows these unless the user has
``accounts.reveal_personal_data`` and explicitly reveals (which is audited).
"""

MASK = "•"
# Trailing characters of an ID or account number left visible; the only partial number a search
# may match (``AccountQuerySet.search``), since anything longer would unmask more than this.
VISIBLE = 4


def mask_identifier(value: str, *, visible: int = VISIBLE) -> str:
    """Keep the last ``visible`` characters of an ID or account number: ``••••••1234``."""
    if not value:
        return ""
    value = str(value)
    if len(value) <= visible:
        return MASK * len(value)
    return MASK * (len(value) - visible) + value[-visible:]


def mask_phone(e164: str) -> str:
    """``+14155550123`` → ``+1 •••••••0123``: country code and last four digits only."""
    if not e164:
        return ""
    if not e164.startswith("+"):
        return mask_identifier(e164)
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return mask_identifier(e164)
    national = str(number.national_number)
    return f"+{number.country_code} {mask_identifier(national)}"


def mask_email(value: str) -> str:
    """``jane.doe@example.com`` → ``j•••@example.com``."""
    if not value or "@" not in value:
        return mask_identifier(value)
    local, _, domain = value.partition("@")
    return f"{local[:1]}{MASK * 3}@{domain}"


def mask_address(value: str) -> str:
    """Keep the first word (house number or district) hidden, show only the tail of the street."""
    if not value:
        return ""
    return MASK * 4 + " " + value.split()[-1] if " " in value else MASK * len(value)
