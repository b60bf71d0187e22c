"""Reminders: generated from installments, promises and treatment strategies, sent in batches.

- ``generation``: the reminders due on a day; idempotent by each reminder's key.
- ``claiming``: a run claims a batch with a conditional ``UPDATE`` and reads it back as tuples;
  claims of a dead worker are given back after ``claim_timeout_seconds``.
- ``rendering``: a reminder's text from its template.
- ``sending``: a claimed batch through compliance (``contact_check_bulk``, one stored decision
  each) and the channel backends, to sent, deferred, blocked, cancelled, retried or failed.
- ``evidence``: the batch's contact-log entries and new states, for the rows the run still holds,
  in one transaction: one entry per reminder key, even when a claim was taken over.
"""

from outreach.reminders.claiming import reminders_claim, reminders_reclaim, worker_name
from outreach.reminders.generation import GenerateSummary, reminders_generate
from outreach.reminders.sending import SendSummary, reminders_send_batch, reminders_send_due

__all__ = [
    "GenerateSummary",
    "SendSummary",
    "reminders_claim",
    "reminders_generate",
    "reminders_reclaim",
    "reminders_send_batch",
    "reminders_send_due",
    "worker_name",
]
