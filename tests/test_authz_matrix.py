"""The authorization matrix, generated from the URL configuration and the admin.

Every named route (pages and API) and every registered admin is tried as anonymous, a
specialist of team A, a specialist of team B, a supervisor of team A and an admin, on objects
of team A and of team B. ``ROUTES`` says what each route is; a route missing from it fails
``test_every_route_has_an_entry``, so a new URL forces a decision about who may use it.

Outcomes: ``pass`` (the request got past authorization: any answer but 401/403/404 or a
redirect to a login page; an empty POST may well be a 400, 405 or 409), ``denied`` (403 or
404), ``login`` (anonymous: a redirect to the login page, or 401/403 on the API).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.portal_links import link_token
from accounts.roles import ROLE_PERMISSIONS
from agencies.models import Agency, Placement, PlacementBatch
from checkout.models import CheckoutSession
from contacts.models import CallbackTask, StrategyVersion
from legal.models import LegalCase, LegalReferral, ReferralDocument
from outreach.letters.store import letter_store
from outreach.services import complaint_open, dispute_open
from plans.models import HardshipArrangement, PromiseToPay, Settlement, WriteOff
from tests.compliance.factories import ContactLogFactory, RestrictionFactory
from tests.factories import ContactPointFactory, TeamFactory, UserFactory
from tests.plans.factories import draft_plan, owing_account

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
ROLES = ("anonymous", "specialist_a", "specialist_b", "supervisor_a", "admin")
TEAMS = ("a", "b")

# --- What each route is --------------------------------------------------------------------
# kind: who may use it.
#   public       anyone, signed in or not
#   signed_in    any Settle role (anonymous: login)
#   lead         supervisors and admins (specialists: denied)
#   team         any role, on its own team's object (other team: denied; admins: all)
#   lead_team    supervisors on their team's object, admins on any (specialists: denied)
#   signs_out    anyone; the answer is the login page
# obj: which object fills the URL (None: no object), method: GET or POST (empty body).
ROUTES: dict[str, tuple[str, str | None, str]] = {
    # pages
    "home": ("signed_in", None, "GET"),
    "accounts:list": ("signed_in", None, "GET"),
    "accounts:queue": ("signed_in", None, "GET"),
    "accounts:detail": ("team", "account", "GET"),
    "accounts:reveal": ("lead_team", "account", "POST"),
    "accounts:reauth": ("signed_in", None, "GET"),
    # The case page's actions (an empty POST: a 400 for those who may).
    "accounts:budget": ("team", "account", "POST"),
    "accounts:contact_point_add": ("team", "account", "POST"),
    "accounts:contact_point_opt_out": ("team", "contact_point", "POST"),
    "accounts:restriction_add": ("team", "account", "POST"),
    "accounts:restriction_end": ("lead_team", "restriction", "POST"),
    "accounts:dispute_transition": ("lead_team", "dispute", "POST"),  # owned by the supervisor
    "accounts:complaint_transition": ("lead_team", "complaint", "POST"),
    "accounts:plan_cancel": ("team", "plan", "POST"),  # a draft: any role (active: leads)
    "accounts:contact_recording": ("team", "contact", "POST"),
    "accounts:hardship_add": ("team", "account", "POST"),
    "accounts:hardship_end": ("team", "hardship", "POST"),
    "accounts:write_off_propose": ("team", "account", "POST"),
    "accounts:callback_complete": ("team", "callback", "POST"),  # its owner or a lead
    "accounts:callback_reschedule": ("team", "callback", "POST"),
    "plans:new": ("team", "account", "GET"),
    "plans:preview": ("team", "account", "POST"),
    "plans:detail": ("team", "plan", "GET"),
    "plans:agreement": ("team", "plan", "GET"),
    "plans:approve": ("lead_team", "plan", "POST"),
    "plans:reject": ("lead_team", "plan", "POST"),
    "plans:reschedule": ("team", "plan", "POST"),
    "plans:settlement_new": ("team", "account", "POST"),
    "plans:settlement_decide": ("team", "settlement", "POST"),  # the service decides by role
    "contacts:log": ("team", "account", "GET"),
    "contacts:check": ("team", "account", "POST"),
    "dashboards:dashboard": ("lead", None, "GET"),
    "dashboards:export": ("lead", "table", "GET"),
    "dashboards:approvals": ("lead", None, "GET"),
    "dashboards:approval_decide": ("lead_team", "pending_plan", "POST"),
    "dashboards:settlement_approval_decide": ("lead_team", "settlement", "POST"),
    "dashboards:write_off_approval_decide": ("lead_team", "write_off", "POST"),
    "dashboards:workload": ("lead", None, "GET"),
    "dashboards:reassign": ("lead", None, "POST"),
    "dashboards:rebalance": ("lead", None, "POST"),
    "dashboards:exceptions": ("lead", None, "GET"),
    "dashboards:strategies": ("lead", None, "GET"),
    "dashboards:strategy": ("lead", "strategy_version", "GET"),
    # Legal: supervisors of the account's team and admins (the service checks authority).
    "legal:index": ("lead", None, "GET"),
    "legal:refer": ("lead_team", "account", "GET"),
    "legal:referral": ("lead_team", "legal_referral", "GET"),
    "legal:case": ("lead_team", "legal_case", "GET"),
    "legal:document": ("lead_team", "legal_document", "GET"),
    "login": ("public", None, "GET"),
    "logout": ("signs_out", None, "POST"),
    "password_change": ("signed_in", None, "GET"),
    "password_change_done": ("signed_in", None, "GET"),
    "password_reset": ("public", None, "GET"),
    "password_reset_done": ("public", None, "GET"),
    "password_reset_confirm": ("public", "reset", "GET"),
    "password_reset_complete": ("public", None, "GET"),
    "set_language": ("public", None, "POST"),
    # API
    "api-root": ("signed_in", None, "GET"),
    "api-token": ("public", None, "POST"),
    # The machine-readable contract is public, like API.md; it holds no data.
    "api-schema": ("public", None, "GET"),
    "api-docs": ("public", None, "GET"),
    "customer-list": ("signed_in", None, "GET"),
    "customer-detail": ("team", "customer", "GET"),
    "customer-reveal": ("lead_team", "customer", "POST"),
    "customer-contact-points": ("team", "customer", "GET"),
    "account-list": ("signed_in", None, "GET"),
    "account-detail": ("team", "account", "GET"),
    "account-reveal": ("lead_team", "account", "POST"),
    "account-contacts": ("team", "account", "GET"),
    "account-contact-detail": ("team", "contact", "GET"),
    "account-contact-attachment": ("team", "evidence", "GET"),
    "account-timeline": ("team", "account", "GET"),
    "account-plan-options": ("team", "account", "GET"),
    "account-payments": ("team", "account", "GET"),
    "account-promises": ("team", "account", "GET"),
    "account-settlements": ("team", "account", "GET"),
    "account-hardship": ("team", "account", "GET"),
    "account-restrictions": ("team", "account", "GET"),
    "account-restriction-end": ("lead_team", "restriction", "POST"),
    "plan-quote": ("signed_in", None, "POST"),
    "plan-list": ("signed_in", None, "GET"),
    "plan-detail": ("team", "plan", "GET"),
    "plan-accept": ("team", "plan", "POST"),
    "plan-submit": ("team", "plan", "POST"),
    "plan-cancel": ("team", "plan", "POST"),  # a draft: any role (an active plan: leads)
    "plan-approve": ("lead_team", "plan", "POST"),
    "plan-reject": ("lead_team", "plan", "POST"),
    "plan-reschedule": ("team", "plan", "POST"),  # a draft: 409 (an active plan: any role)
    "settlement-detail": ("team", "settlement", "GET"),
    "settlement-approve": ("lead_team", "settlement", "POST"),
    "settlement-reject": ("lead_team", "settlement", "POST"),
    "settlement-withdraw": ("team", "settlement", "POST"),
    "hardship-detail": ("team", "hardship", "GET"),
    "hardship-end": ("team", "hardship", "POST"),
    "compliance-check": ("signed_in", None, "POST"),
    "compliance-decisions": ("lead", None, "GET"),
    "dispute-list": ("signed_in", None, "GET"),
    "dispute-detail": ("team", "dispute", "GET"),
    "dispute-transition": ("lead_team", "dispute", "POST"),
    "complaint-list": ("signed_in", None, "GET"),
    "complaint-detail": ("team", "complaint", "GET"),
    "complaint-transition": ("lead_team", "complaint", "POST"),
    "account-callbacks": ("team", "account", "GET"),
    # The callback's owner (the account's specialist) or a lead of the team; an admin.
    "callback-complete": ("team", "callback", "POST"),
    "callback-reschedule": ("team", "callback", "POST"),
    # The customer portal: staff roles do not enter it (no portal session: sent to its start).
    # Its own isolation (a customer sees only their accounts) is tests/portal's.
    "portal:start": ("public", None, "GET"),
    "portal:link": ("public", "portal-link", "GET"),
    "portal:verify": ("public", None, "GET"),
    "portal:code": ("public", None, "GET"),
    "portal:home": ("public", None, "GET"),
    "portal:preferences": ("public", None, "GET"),
    "portal:signout": ("public", None, "POST"),
    "portal:account": ("public", "account", "GET"),
    "portal:plan": ("public", "account", "GET"),
    "portal:pay": ("public", "account", "POST"),
    "portal:paid": ("public", "portal-paid", "GET"),
    "portal:promise": ("public", "account", "POST"),
    "portal:callback": ("public", "account", "POST"),
    "portal:dispute": ("public", "account", "POST"),
    "portal:hardship": ("public", "account", "POST"),
    # Online payments (checkout): the provider's webhook (signed, not signed in: an empty POST
    # is a 400) and the fake provider's hosted page (the session's token is the key).
    "checkout:webhook": ("public", "provider", "POST"),
    "checkout:fake_page": ("public", "checkout_session", "GET"),
    # Two-way messages: the providers' webhooks, signed instead of signed in (an unsigned
    # POST is a 400 for anyone, a wrongly signed one a 403: tests/outreach/test_inbound.py).
    "outreach:inbound_sms": ("public", None, "POST"),
    "outreach:inbound_email": ("public", None, "POST"),
    "outreach:delivery_receipt": ("public", None, "POST"),
    "outreach:email_bounce": ("public", None, "POST"),
    # Letters as documents: a letter's PDF, for the account's team (every access recorded).
    "account-letter-pdf": ("team", "letter", "GET"),
    # Agencies: leads only; a batch or placement of another team's accounts is denied.
    "agencies:list": ("lead", None, "GET"),
    "agencies:detail": ("lead", "agency", "GET"),  # agencies serve every team
    "agencies:place": ("lead", None, "GET"),
    "agencies:place_submit": ("lead", None, "POST"),
    "agencies:batch": ("lead_team", "placement_batch", "GET"),
    "agencies:batch_export": ("lead_team", "placement_batch", "GET"),
    "agencies:recall": ("lead_team", "placement", "POST"),
}
#: Unnamed routes and what they are.
UNNAMED = {"healthz/": "public", "admin/contacts/contactpoint/": "redirect to the moved admin"}


def named_routes() -> list[tuple[str, str]]:
    """(name, pattern) of every named route outside the admin, format suffixes left out."""

    def walk(patterns, prefix="", namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = f"{namespace}:{p.namespace}" if namespace and p.namespace else p.namespace
                yield from walk(p.url_patterns, prefix + str(p.pattern), inner or namespace)
            elif isinstance(p, URLPattern):
                yield (
                    (f"{namespace}:{p.name}" if namespace and p.name else p.name),
                    prefix + str(p.pattern),
                )

    return [
        (name, pattern)
        for name, pattern in walk(get_resolver().url_patterns)
        if "format" not in pattern and not pattern.lstrip("^").startswith("admin/")
    ]


def test_every_route_has_an_entry():
    names = {name for name, _ in named_routes() if name}
    unnamed = {pattern.lstrip("^") for name, pattern in named_routes() if not name}
    assert names - set(ROUTES) == set(), "add these routes to ROUTES with who may use them"
    assert {u for u in unnamed if not any(u.startswith(k) for k in UNNAMED)} == set()
    assert set(ROUTES) - names == set(), "these ROUTES entries no longer exist"


# --- Two teams with one of everything ------------------------------------------------------
def _world(team, specialist) -> dict:
    account = owing_account(team, assigned_to=specialist)
    customer = account.customer
    ContactPointFactory(customer=customer)
    return {
        "account": account,
        "customer": customer,
        "contact_point": customer.contact_points.get(),
        "contact": ContactLogFactory(account=account, user=specialist),
        "evidence": ContactLogFactory(
            account=account,
            user=specialist,
            attachment=SimpleUploadedFile("call.ogg", b"OggS\0\x02 a recording"),
        ),
        "restriction": RestrictionFactory(customer=customer),
        "letter": letter_store(
            key=f"authz:{account.pk}",
            account_id=account.pk,
            kind="collection_notice",
            language="en",
            body="A letter.",
            recipient_name=customer.name,
            recipient_address="1 Main Street",
            now=NOW,
        )[0],
        "plan": draft_plan(account, specialist),
        "pending_plan": _pending(draft_plan(account, specialist)),
        "promise": PromiseToPay.objects.create(
            account=account, amount=Decimal("100.00"), due_date=NOW.date()
        ),
        # Stored directly: the account's pending plan would stand in the service's way.
        "settlement": Settlement.objects.create(
            account=account,
            status="pending_approval",
            currency=account.currency,
            balance=account.total_balance,
            amount=Decimal("9000.00"),
            discount=account.total_balance - Decimal("9000.00"),
            first_due_date=NOW.date(),
            expires_on=NOW.date(),
            proposed_by=specialist,
        ),
        # Stored directly too: the account's open plan would refuse the proposal.
        "write_off": WriteOff.objects.create(
            account=account,
            kind="decision",
            status="proposed",
            reason="Uncollectable.",
            currency=account.currency,
            principal=account.principal_balance,
            interest=account.interest_balance,
            fees=account.fee_balance,
            total=account.total_balance,
            proposed_by=specialist,
        ),
        "hardship": HardshipArrangement.objects.create(
            account=account,
            kind="interest_freeze",
            months=3,
            starts_on=NOW.date(),
            ends_on=NOW.date(),
            review_on=NOW.date(),
            reason="Illness.",
            created_by=specialist,
        ),
        "dispute": dispute_open(account=account, description="amount", by=specialist, now=NOW),
        "complaint": complaint_open(account=account, description="calls", by=specialist, now=NOW),
        "callback": CallbackTask.objects.create(
            account=account, assigned_to=specialist, due_at=NOW + timedelta(hours=2)
        ),
        "checkout_session": CheckoutSession.objects.create(
            account=account,
            amount=Decimal("10.00"),
            currency=account.currency,
            provider="fake",
            status="pending",
            return_url="https://portal.example/done/",
            cancel_url="https://portal.example/cancelled/",
        ),
        **_legal(team, specialist),
        **_placed(account),
    }


def _legal(team, specialist) -> dict:
    """A second account of the team, in legal: its referral, a document and the case."""
    account = owing_account(team, assigned_to=specialist)
    referral = LegalReferral.objects.create(
        account=account,
        reasons=["wilful"],
        balance=account.total_balance,
        currency=account.currency,
        referred_by=specialist,
        status="approved",
    )
    document = ReferralDocument(
        referral=referral, name="agreement.pdf", sha256="0" * 64, size=9, uploaded_by=specialist
    )
    document.file.save("agreement.pdf", SimpleUploadedFile("a.pdf", b"%PDF-1.4\n"), save=False)
    document.save()
    case = LegalCase.objects.create(
        account=account,
        referral=referral,
        claim_amount=account.total_balance,
        currency=account.currency,
        stage_before="late",
    )
    return {"legal_referral": referral, "legal_document": document, "legal_case": case}


def _placed(account) -> dict:
    """An agency of the team's name with the account placed (stored directly: the world's
    restriction would stand in the service's way)."""
    agency = Agency.objects.create(
        code=f"agency-{account.team.code}",
        name="Agency",
        jurisdictions=["US"],
        commission_rate=Decimal("20.00"),
    )
    batch = PlacementBatch.objects.create(agency=agency, placed_at=NOW, count=1)
    placement = Placement.objects.create(
        account=account,
        agency=agency,
        batch=batch,
        placed_at=NOW,
        recall_on=NOW.date() + timedelta(days=90),
        currency=account.currency,
        balance_at_placement=account.total_balance,
    )
    return {"agency": agency, "placement_batch": batch, "placement": placement}


def _pending(plan):
    type(plan).objects.filter(pk=plan.pk).update(status="pending_approval")
    plan.refresh_from_db()
    return plan


def _user(role: str, team, username: str, **extra):
    user = UserFactory(username=username, team=team, **extra)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW, tick=False):
        team_a = TeamFactory(code="team-a", name="A", jurisdiction="US")
        team_b = TeamFactory(code="team-b", name="B", jurisdiction="US")
        users = {
            "anonymous": None,
            "specialist_a": _user("specialist", team_a, "spec-a"),
            "specialist_b": _user("specialist", team_b, "spec-b"),
            "supervisor_a": _user("supervisor", team_a, "sup-a", is_staff=True),
            "admin": _user("admin", None, "boss", is_staff=True, is_superuser=True),
        }
        objects = {
            "a": _world(team_a, users["specialist_a"]),
            "b": _world(team_b, users["specialist_b"]),
        }
        yield users, objects


def _url(name: str, obj: str | None, objects: dict) -> str:
    if obj is None:
        return reverse(name)
    if obj == "table":
        return reverse(name, kwargs={"table": "portfolio"})
    if obj == "reset":
        return reverse(name, kwargs={"uidb64": "MQ", "token": "set-password"})
    if obj == "portal-link":
        customer_id = objects["account"].customer_id
        return reverse(name, args=[link_token(customer_id, valid_until=NOW.date() + timedelta(30))])
    if obj == "portal-paid":
        return reverse(name, args=[objects["account"].pk, "no-such-token"])
    if obj == "provider":
        return reverse(name, kwargs={"provider": "fake"})
    if obj == "strategy_version":
        version, _ = StrategyVersion.objects.get_or_create(number=1, defaults={"name": "v1"})
        return reverse(name, kwargs={"pk": version.pk})
    if obj == "checkout_session":
        return reverse(name, kwargs={"token": objects[obj].token})
    target = objects[obj]
    kwargs = {"pk": target.pk}
    pattern = dict(named_routes())[name]
    if "<int:item>" in pattern:  # a case page action: the account, then the object
        account = getattr(target, "account", None) or objects["account"]
        kwargs = {"pk": account.pk, "item": target.pk}
    elif obj == "restriction":  # a customer's restriction, ended under one of their accounts
        kwargs = {"account_id": objects["account"].pk, "restriction_id": target.pk}
    elif "account_id" in pattern:
        account = target if obj == "account" else target.account
        kwargs = {"account_id": account.pk}
        if obj in ("contact", "evidence", "letter"):
            kwargs["pk"] = target.pk
    elif "customer_id" in pattern:
        kwargs = {"customer_id": target.pk}
    return reverse(name, kwargs=kwargs)


def _outcome(response, *, api: bool) -> str:
    code = response.status_code
    location = response.get("Location", "")
    if code in (301, 302) and "login" in location:
        return "login"
    if code == 401 or (
        api
        and code == 403
        and "credentials were not provided" in str(getattr(response, "data", ""))
    ):
        return "login"
    if code in (403, 404):
        return "denied"
    return "pass"


def _expected(kind: str, role: str, team: str) -> str:
    if kind == "public":
        return "pass"
    if kind == "signs_out":
        return "login"
    if role == "anonymous":
        return "login"
    lead = role in ("supervisor_a", "admin")
    own = role == "admin" or role.endswith(f"_{team}")
    if kind == "signed_in":
        return "pass"
    if kind == "lead":
        return "pass" if lead else "denied"
    if kind == "team":
        return "pass" if own else "denied"
    if kind == "lead_team":
        return "pass" if lead and own else "denied"
    raise AssertionError(kind)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_the_route_answers_each_role_on_each_team(client, world, name):
    users, objects = world
    kind, obj, method = ROUTES[name]
    api = _url(name, obj, objects["a"]).startswith("/api/")
    seen = {}
    with time_machine.travel(NOW, tick=False):
        for team in TEAMS if obj else ("a",):
            url = _url(name, obj, objects[team])
            for role in ROLES:
                client.logout()
                if users[role] is not None:
                    client.force_login(users[role])
                response = client.get(url) if method == "GET" else client.post(url, {})
                seen[(role, team)] = (_outcome(response, api=api), response.status_code)
    wrong = {key: got for key, got in seen.items() if got[0] != _expected(kind, key[0], key[1])}
    assert wrong == {}, f"{name} ({kind}): {wrong}"


# --- The admin -----------------------------------------------------------------------------
def _admin_models():
    return sorted((model._meta.app_label, model._meta.model_name) for model in admin.site._registry)


def _supervisor_may_view(app_label: str, model_name: str) -> bool:
    held = set(ROLE_PERMISSIONS["supervisor"])
    return bool({f"{app_label}.view_{model_name}", f"{app_label}.change_{model_name}"} & held)


@pytest.mark.parametrize(("app_label", "model_name"), _admin_models())
def test_the_admin_list_answers_each_role(client, world, app_label, model_name):
    """Only staff reach the admin; a supervisor sees what the role table lets them view (team
    scoping of the rows themselves: tests/test_admin_scope.py); admins see everything."""
    users, _ = world
    url = f"/admin/{app_label}/{model_name}/"
    got = {}
    for role in ROLES:
        client.logout()
        if users[role] is not None:
            client.force_login(users[role])
        response = client.get(url)
        got[role] = response.status_code
        location = response.get("Location", "")
        if role in ("anonymous", "specialist_a", "specialist_b"):
            assert response.status_code == 302 and "/admin/login/" in location, (role, got)
    supervisor_sees = _supervisor_may_view(app_label, model_name) and model_name != "importbatch"
    assert got["supervisor_a"] == (200 if supervisor_sees else 403), got
    assert got["admin"] == 200, got


def test_the_matrix_size_is_reported(capsys):
    routes = len(ROUTES)
    checks = sum(len(ROLES) * (len(TEAMS) if obj else 1) for _, obj, _ in ROUTES.values())
    admins = len(_admin_models())
    print(
        f"authorization matrix: {routes} routes x {len(ROLES)} roles x up to {len(TEAMS)} "
        f"teams = {checks} checks; {admins} admin lists x {len(ROLES)} roles"
    )
    assert checks > routes
