"""What the accounts floor tells the floors above it, without importing them.

``accounts_reassigned`` is sent inside the transaction that changed the specialist of some
accounts (``workload.accounts_reassign``, ``workload.team_rebalance``,
``services.accounts_assign_unassigned``, ``services.account_update``, the account feed), with
``account_ids``: the ids whose ``assigned_to`` changed. Whatever follows an account's
specialist moves in its receivers, in the same transaction: an account's open callbacks
(``contacts.services.callbacks_follow_accounts``, connected in ``contacts.apps``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import Signal

accounts_reassigned = Signal()


def accounts_reassigned_send(account_ids: Iterable[int]) -> None:
    ids = sorted(set(account_ids))
    if ids:
        accounts_reassigned.send(sender="accounts", account_ids=ids)
