"""A reminder's text: its template filled with the account's values, or the installment's or
promise's amount and date when it is about one."""

from __future__ import annotations

from compliance.services import template_render
from contacts.models import MessageTemplate
from outreach.reminders.claiming import ReminderRow


def placeholder_values(row: ReminderRow) -> dict[str, str]:
    """The template's placeholder values: ``compliance.services.account_values``, with the amount
    and due date of the installment or promise the reminder is about."""
    due = row.delinquent_since
    values = {
        "name": row.name,
        "amount": f"{row.past_due_amount:.2f}",
        "currency": row.currency,
        "due_date": "" if due is None else due.isoformat(),
        "account_last4": row.number[-4:],
    }
    if row.amount is not None:
        values["amount"] = f"{row.amount:.2f}"
    if row.due_date is not None:
        values["due_date"] = row.due_date.isoformat()
    return values


def message_render(template: MessageTemplate, row: ReminderRow) -> tuple[str, str]:
    """``(subject, body)``: an email's subject is the first line of what the template renders."""
    body = template_render(template, placeholder_values(row))
    if template.channel == "email" and template.subject:
        subject, _, text = body.partition("\n")
        return subject, text
    return "", body
