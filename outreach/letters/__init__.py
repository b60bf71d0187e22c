"""Letters as documents: a letter reminder rendered to one PDF (``pdf``), stored once per
idempotency key with its SHA-256 as evidence (``store``, ``backend``), and the day's letters
gathered into a print batch with a manifest (``batch``).

What a letter must say is compliance's (``compliance.rules.letters``): the gate judges the
text that is printed, so the template's letter values (``values``) are filled before it.
"""
