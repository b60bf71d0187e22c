"""A reminder's text: its template filled with the account's values, or the installment's or
promise's amount and date when it is about one, and the customer's portal link."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from django.utils import translation
from django.utils.translation import gettext as _

from accounts.portal_links import entry_url, link_token_for, link_url
from compliance.services import template_render
from contacts.models import MessageTemplate
from outreach.reminders.claiming import ReminderRow

PORTAL_PLACEHOLDER = "{portal_link}"


def placeholder_values(row: ReminderRow, *, today: date) -> dict[str, str]:
    """The template's placeholder values: ``compliance.services.account_values``, with the amount
    and due date of the installment or promise the reminder is about, and ``portal_link`` (the
    customer's signed link; on a letter, the code to type at the portal)."""
    due = row.delinquent_since
    token = link_token_for(row.customer_id, today=today)
    values = {
        "name": row.name,
        "amount": f"{row.past_due_amount:.2f}",
        "currency": row.currency,
        "due_date": "" if due is None else due.isoformat(),
        "account_last4": row.number[-4:],
        "portal_link": token if row.channel == "letter" else link_url(token),
    }
    if row.amount is not None:
        values["amount"] = f"{row.amount:.2f}"
    if row.due_date is not None:
        values["due_date"] = row.due_date.isoformat()
    return values


@lru_cache(maxsize=16)
def _link_format(language: str, channel: str) -> str:
    """The line's text in ``language``: looked up once per process, not per reminder."""
    with translation.override(language):
        if channel == "letter":
            return _("To pay or arrange a plan online, go to %(url)s and type the code %(code)s.")
        return _("Pay or arrange a plan online: %(link)s")


def _link_line(template: MessageTemplate, values: dict[str, str]) -> str:
    text = _link_format(template.language, template.channel)
    if template.channel == "letter":
        return text % {"url": entry_url(), "code": values["portal_link"]}
    return text % {"link": values["portal_link"]}


def message_render(template: MessageTemplate, row: ReminderRow, *, today: date) -> tuple[str, str]:
    """``(subject, body)``: an email's subject is the first line of what the template renders.
    Every reminder carries the portal link: where the template does not place it, a line with it
    ends the message."""
    values = placeholder_values(row, today=today)
    body = template_render(template, values)
    if PORTAL_PLACEHOLDER not in (template.body or ""):
        body = f"{body}\n{_link_line(template, values)}"
    if template.channel == "email" and template.subject:
        subject, _sep, text = body.partition("\n")
        return subject, text
    return "", body
