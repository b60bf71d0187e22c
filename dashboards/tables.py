"""The dashboard's tables as rows (header + rows), shared by the page and the CSV export."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _

from accounts.models import RiskTier
from contacts.models import ContactLog
from dashboards import kpis, targets, trends


def _pct(rate) -> str:
    return "" if rate is None else f"{rate * 100:.1f}%"


def _money_map(amounts: dict) -> str:
    return "; ".join(f"{amount:.2f} {currency}" for currency, amount in amounts.items())


def portfolio_table(f: kpis.Filters):
    result = kpis.portfolio(f)
    tiers = dict(RiskTier.choices)
    return (
        [_("Bucket"), _("Risk tier"), _("Currency"), _("Accounts"), _("Balance")],
        [
            [
                r["bucket"],
                str(tiers.get(r["tier"], r["tier"])),
                r["currency"],
                r["accounts"],
                f"{r['balance']:.2f}",
            ]
            for r in result.rows
        ],
    )


def roll_table(f: kpis.Filters):
    rows = []
    for m in kpis.roll_rates(f):
        for row in m.rows():
            for cell in row["cells"]:
                rows.append(
                    [
                        m.start_day.isoformat(),
                        m.end_day.isoformat(),
                        row["from"],
                        cell["to"],
                        cell["count"],
                        row["total"],
                        _pct(cell["rate"]),
                    ]
                )
    return (
        [
            _("From month-end"),
            _("To month-end"),
            _("From bucket"),
            _("To bucket"),
            _("Accounts"),
            _("Accounts in from bucket"),
            _("Roll rate"),
        ],
        rows,
    )


def rates_table(f: kpis.Filters):
    c = kpis.contact_rates(f)
    p = kpis.promise_rates(f)
    pl = kpis.plan_rates(f)
    co = kpis.complaint_rate(f)
    ss = kpis.self_service(f)
    cure = kpis.cure_rate(kpis.roll_rates(f))
    rows = [
        [_("Contact rate"), c["contacts"], c["attempts"], _pct(c["contact_rate"])],
        [_("Right-party contact rate"), c["rpc"], c["attempts"], _pct(c["rpc_rate"])],
        [_("Promise rate"), p["promises_made"], p["rpc"], _pct(p["promise_rate"])],
        [_("Promise-kept rate"), p["promises_kept"], p["resolved"], _pct(p["kept_rate"])],
        [_("Cure rate"), cure["cured"], cure["delinquent"], _pct(cure["rate"])],
        [
            _("Plans broken rate"),
            pl["plans_broken"],
            pl["plans_broken"] + pl["plans_completed"],
            _pct(pl["broken_rate"]),
        ],
        [
            _("Complaints per 1,000 right-party contacts"),
            co["complaints"],
            co["rpc"],
            "" if co["per_1000_rpc"] is None else str(co["per_1000_rpc"]),
        ],
        [
            _("Self-service share of payments"),
            ss["collected_self_service"],
            ss["collected"],
            _pct(ss["payments_share"]),
        ],
        [
            _("Self-service share of plans"),
            ss["plans_self_service"],
            ss["plans_activated"],
            _pct(ss["plans_share"]),
        ],
        [
            _("Self-service share of promises"),
            ss["promises_self_service"],
            ss["promises_made"],
            _pct(ss["promises_share"]),
        ],
    ]
    return ([_("KPI"), _("Numerator"), _("Denominator"), _("Value")], rows)


def collections_table(f: kpis.Filters):
    return (
        [
            _("Currency"),
            _("Payments"),
            _("Collected"),
            _("Delinquent balance at start"),
            _("Recovery rate"),
            _("Accounts written off"),
            _("Written off"),
            _("Post-write-off recoveries"),
            _("Recovered after write-off"),
        ],
        [
            [
                r["currency"],
                r["payments"],
                f"{r['collected']:.2f}",
                f"{r['delinquent_balance']:.2f}",
                _pct(r["recovery_rate"]),
                r["written_off_accounts"],
                f"{r['written_off']:.2f}",
                r["recoveries"],
                f"{r['recovered']:.2f}",
            ]
            for r in kpis.collections(f)
        ],
    )


def plans_table(f: kpis.Filters):
    p = kpis.plan_rates(f)
    return (
        [_("Active"), _("Activated"), _("Completed"), _("Broken"), _("Broken rate")],
        [
            [
                p["active"],
                p["plans_activated"],
                p["plans_completed"],
                p["plans_broken"],
                _pct(p["broken_rate"]),
            ]
        ],
    )


def reasons_table(f: kpis.Filters):
    labels = dict(ContactLog.Reason.choices)
    return (
        [_("Reason"), _("Contacts"), _("Share")],
        [
            [str(labels.get(r["reason"], r["reason"])), r["count"], _pct(r["share"])]
            for r in kpis.reasons(f)
        ],
    )


def blocks_table(f: kpis.Filters):
    b = kpis.blocks(f)
    return ([_("Rule"), _("Blocked contacts")], [[r["rule"], r["count"]] for r in b["by_rule"]])


def specialists_table(f: kpis.Filters):
    return (
        [
            _("Specialist"),
            _("Workload"),
            _("Balance"),
            _("Attempts"),
            _("Right-party contacts"),
            _("Promises"),
            _("Kept"),
            _("Collected"),
            _("Complaints"),
        ],
        [
            [
                r["specialist"] or _("(unassigned or system)"),
                r["workload"],
                _money_map(r["balance"]),
                r["attempts"],
                r["rpc"],
                r["promises_made"],
                r["promises_kept"],
                _money_map(r["collected"]),
                r["complaints"],
            ]
            for r in kpis.specialists(f)
        ],
    )


def trends_table(f: kpis.Filters):
    result = trends.trends(f)
    return (
        [
            _("Week"),
            _("First day"),
            _("Last day"),
            _("Attempts"),
            _("Contacts"),
            _("Contact rate"),
            _("Kept"),
            _("Resolved"),
            _("Promise-kept rate"),
            _("Delinquent at start"),
            _("Cured"),
            _("Cure rate"),
            _("Right-party contacts"),
            _("Complaints"),
            _("Complaints per 1,000 right-party contacts"),
            *[_("Collected %(currency)s") % {"currency": c} for c in result.currencies],
        ],
        [
            [
                w.label,
                w.start.isoformat(),
                w.end.isoformat(),
                w.attempts,
                w.contacts,
                _pct(w.contact_rate),
                w.kept,
                w.resolved,
                _pct(w.kept_rate),
                w.delinquent,
                w.cured,
                _pct(w.cure_rate),
                w.rpc,
                w.complaints,
                "" if w.complaint_rate is None else str(w.complaint_rate),
                *[f"{w.collected.get(c, 0):.2f}" for c in result.currencies],
            ]
            for w in result.weeks
        ],
    )


def attainment_table(f: kpis.Filters):
    result = targets.attainment(f)
    return (
        [
            _("Month"),
            _("Team"),
            _("Specialist"),
            _("Metric"),
            _("Currency"),
            _("Target"),
            _("Actual to date"),
            _("Attainment"),
        ],
        [
            [
                result.month.strftime("%Y-%m"),
                r["team"],
                r["specialist"],
                str(r["metric_label"]),
                r["currency"],
                str(r["target"]),
                str(r["actual"]),
                _pct(r["attainment"]),
            ]
            for r in result.rows
        ],
    )


TABLES: dict[str, Callable] = {
    "portfolio": portfolio_table,
    "roll": roll_table,
    "rates": rates_table,
    "collections": collections_table,
    "plans": plans_table,
    "reasons": reasons_table,
    "blocks": blocks_table,
    "specialists": specialists_table,
    "trends": trends_table,
    "attainment": attainment_table,
}
