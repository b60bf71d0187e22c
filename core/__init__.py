"""Plumbing with no domain: money places and rounding, the business calendar, API conventions,
the append-only queryset, bulk COPY and audit attribution. Every app may import it; it imports
no app."""
