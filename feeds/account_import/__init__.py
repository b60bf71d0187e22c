"""The account feed: upsert customers and accounts from the bank's CSV file
(``manage.py import_accounts``).

The columns, their formats and the checks on each cell are in ``spec`` (its docstring is the
column reference).

Behaviour. The whole file is validated first; if any row is bad, every bad row is reported as
``line N: field: message`` (line 1 is the header; N counts CSV records, so a quoted value with a
line break does not shift the numbers) and nothing is changed: the only write for a rejected file
is its ``ImportBatch`` row (status ``rejected``, with the errors), so a refused feed stays
traceable. Otherwise everything happens in one transaction: customers are upserted by
``external_ref``, accounts by account number (an account number that belongs to another
customer is an error), phone and email become contact points when the customer does not have them
yet, a new account gets its first bucket stay at the business date and is assigned to the
least-loaded specialist of its team, and risk tiers are recomputed for new and changed accounts.

The trail. The ``ImportBatch`` row is the audit record of what the import created: who ran it
(``started_by``), when, the file's name and SHA-256, its row count and counts; every customer,
account and contact point it created carries ``import_batch`` and ``import_row`` (the file
line), shown on the case timeline and in the admin, and gets no audit entry of its own (the
first bucket stay belongs to its account). Every change to an existing customer or account,
and every contact point added to an existing customer, gets one django-auditlog ``LogEntry`` as
before (actor empty, ``additional_data`` naming the import batch and file). A row equal to what
is stored writes nothing, so importing the same file twice changes nothing the second time.
``--dry-run`` validates and counts without writing anything (not even the batch row).

Two engines share the spec. On PostgreSQL, ``postgres_engine`` streams the file with COPY into a
staging table and does everything after that in set-based SQL generated from the spec; elsewhere
(SQLite, the demo) ``portable_engine`` parses the rows in Python with the same checks and writes
with bulk queries. ``entry.import_accounts`` records the import batch and picks the engine;
``engine`` holds what both share (the result, the file reader, assignment and risk after the
write).
"""

from feeds.account_import.engine import ImportResult
from feeds.account_import.entry import import_accounts

__all__ = ["ImportResult", "import_accounts"]
