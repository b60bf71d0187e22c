"""Reads for the workload and compliance-exception pages (live, team-scoped, paginated)."""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.db.models import Count, F, Sum
from django.utils.translation import gettext as _

from accounts import delinquency
from accounts.models import OPEN_STAGES, Account, Team
from accounts.workload import active_specialists
from compliance.models import ComplianceDecision
from contacts.models import CLOSED_CASE_STATUSES, CallbackTask, Complaint, ContactLog, Dispute
from core.bounds import id_or_none
from dashboards.facts import day_bounds


def team_accounts(team: Team, params, *, as_of: date):
    """The team's open accounts for the reassignment list, filtered by bucket / specialist /
    search; returns the queryset and the filters used."""
    filters = {
        "bucket": params.get("bucket", ""),
        "specialist": params.get("specialist", ""),
        "q": params.get("q", "").strip(),
    }
    accounts = (
        Account.objects.filter(team=team, stage__in=OPEN_STAGES)
        .with_delinquency(as_of)
        .select_related("customer", "assigned_to")
        .order_by(F("delinquent_since").asc(nulls_last=True), "id")
    )
    if filters["bucket"]:
        accounts = accounts.filter(bucket_code=filters["bucket"])
    if filters["specialist"] == "none":
        accounts = accounts.filter(assigned_to__isnull=True)
    elif (specialist := id_or_none(filters["specialist"])) is not None:
        accounts = accounts.filter(assigned_to_id=specialist)
    if filters["q"]:
        accounts = accounts.search(filters["q"])
    return accounts, filters


def specialist_loads(team: Team, *, as_of: date) -> list[dict]:
    """Per active specialist (and "unassigned"): open cases, balance per currency, cases by
    bucket, callbacks due by the end of ``as_of``."""
    specialists = list(active_specialists(team).order_by("username"))
    rows = {
        s.pk: {"user": s, "open": 0, "balance": {}, "buckets": {}, "callbacks": 0}
        for s in specialists
    }
    rows[None] = {"user": None, "open": 0, "balance": {}, "buckets": {}, "callbacks": 0}
    grouped = (
        Account.objects.filter(team=team, stage__in=OPEN_STAGES)
        .with_delinquency(as_of)
        .values("assigned_to_id", "bucket_code", "currency")
        .annotate(
            n=Count("id"),
            balance=Sum(F("principal_balance") + F("interest_balance") + F("fee_balance")),
        )
        .order_by()
    )
    for g in grouped:
        row = rows.get(g["assigned_to_id"]) or rows[None]
        row["open"] += g["n"]
        row["buckets"][g["bucket_code"]] = row["buckets"].get(g["bucket_code"], 0) + g["n"]
        row["balance"][g["currency"]] = row["balance"].get(g["currency"], 0) + g["balance"]
    for c in (
        CallbackTask.objects.due(as_of)  # the queue's "Callback due"
        .filter(assigned_to__in=specialists)
        .values("assigned_to_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        rows[c["assigned_to_id"]]["callbacks"] = c["n"]
    result = [rows[s.pk] for s in specialists]
    if rows[None]["open"]:
        result.append(rows[None])
    return result


def _team_scope(queryset, user, field: str = "account__team_id"):
    if user.sees_all_teams:
        return queryset
    return queryset.filter(**{field: user.team_id})


def _dates(queryset, field: str, filters: dict):
    if filters.get("date_from"):
        queryset = queryset.filter(**{f"{field}__gte": day_bounds(filters["date_from"])[0]})
    if filters.get("date_to"):
        queryset = queryset.filter(**{f"{field}__lt": day_bounds(filters["date_to"])[1]})
    return queryset


def exception_rows(tab: str, *, user, filters: dict):
    today = delinquency.business_date()
    if tab == "blocked":
        rows = _team_scope(ComplianceDecision.objects.filter(allowed=False), user)
        rows = _dates(rows, "at", filters)
        if filters.get("rule"):
            rule = filters["rule"]
            if connection.vendor == "postgresql":
                rows = rows.filter(violations__contains=[{"rule": rule}])
            else:
                rows = rows.filter(violations__icontains=f'"{rule}"')
        if filters.get("purpose"):
            rows = rows.filter(purpose=filters["purpose"])
        if filters.get("specialist"):
            rows = rows.filter(checked_by__username=filters["specialist"])
        return rows.select_related("account__customer", "checked_by").order_by("-at", "-id")
    if tab == "consent":
        rows = _team_scope(ContactLog.objects.filter(consent_to_call_until__isnull=False), user)
        rows = _dates(rows, "occurred_at", filters)
        if filters.get("specialist"):
            rows = rows.filter(user__username=filters["specialist"])
        return rows.select_related("account__customer", "user").order_by("-occurred_at", "-id")
    if tab == "complaints":
        rows = _team_scope(Complaint.objects.exclude(status__in=CLOSED_CASE_STATUSES), user)
        rows = _dates(rows, "opened_at", filters)
        return rows.select_related("account__customer", "owner").order_by("due_date", "id")
    rows = _team_scope(
        Dispute.objects.exclude(status__in=CLOSED_CASE_STATUSES).filter(due_date__lt=today), user
    )
    rows = _dates(rows, "opened_at", filters)
    return rows.select_related("account__customer", "owner").order_by("due_date", "id")


def exception_csv(tab: str, rows) -> tuple[list, list]:
    if tab == "blocked":
        return (
            [
                _("When"),
                _("Account"),
                _("Customer"),
                _("Channel"),
                _("Purpose"),
                _("Rules"),
                _("Checked by"),
            ],
            [
                [
                    d.at.isoformat(),
                    d.account.masked_number,
                    d.account.customer.name,
                    d.channel,
                    d.purpose,
                    " ".join(d.rule_codes),
                    d.checked_by.username if d.checked_by else "",
                ]
                for d in rows.iterator(chunk_size=2000)
            ],
        )
    if tab == "consent":
        return (
            [
                _("When"),
                _("Account"),
                _("Customer"),
                _("Channel"),
                _("Consent until"),
                _("Specialist"),
            ],
            [
                [
                    c.occurred_at.isoformat(),
                    c.account.masked_number,
                    c.account.customer.name,
                    c.channel,
                    c.consent_to_call_until.isoformat(),
                    c.user.username if c.user else "",
                ]
                for c in rows.iterator(chunk_size=2000)
            ],
        )
    return (
        [_("Opened"), _("Due"), _("Account"), _("Customer"), _("Status"), _("Owner")],
        [
            [
                r.opened_at.isoformat(),
                r.due_date.isoformat(),
                r.account.masked_number,
                r.account.customer.name,
                r.status,
                r.owner.username if r.owner else "",
            ]
            for r in rows.iterator(chunk_size=2000)
        ],
    )
