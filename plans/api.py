"""REST endpoints for quotes, plans, plan options, payments, promises, settlements and hardship
arrangements (shared API.md).

Thin: input serializer → service → output serializer. Services raise ValidationError (400 naming
the field), PermissionDenied (403), PlanStateError and ConflictError (409 here).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import django_filters
from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import delinquency
from accounts.models import Account, Role
from accounts.permissions import IsStaffRole, account_for_api
from core.api import Conflict
from plans import selectors, services
from plans.models import (
    HardshipArrangement,
    Payment,
    Plan,
    PlanPolicy,
    PlanStatus,
    PromiseToPay,
    Settlement,
)
from plans.schedule import ScheduleError, build_schedule
from plans.serializers import (
    ApproveSerializer,
    HardshipEndSerializer,
    HardshipInputSerializer,
    HardshipSerializer,
    PaymentInputSerializer,
    PaymentSerializer,
    PlanAcceptSerializer,
    PlanCreateSerializer,
    PlanDetailSerializer,
    PlanOptionsQuerySerializer,
    PlanOptionsSerializer,
    PlanSerializer,
    PromiseInputSerializer,
    PromiseSerializer,
    QuoteRequestSerializer,
    QuoteSerializer,
    ReasonSerializer,
    RescheduleSerializer,
    SettlementInputSerializer,
    SettlementSerializer,
    money,
    option_data,
    quote_data,
)


@contextlib.contextmanager
def conflicts_as_409() -> Iterator[None]:
    """Domain conflicts become a 409 whose detail says what is stored (e.g. the plan's status)."""
    try:
        yield
    except services.PlanStateError as error:
        raise Conflict({"detail": error.message, "status": error.plan_status}) from error
    except services.ConflictError as error:
        raise Conflict({"detail": error.message, **error.details}) from error


def schedule_errors_as_400(error: ScheduleError) -> DRFValidationError:
    return DRFValidationError({error.field: [error.message]})


# --- Quote ---------------------------------------------------------------------------------
class QuoteView(APIView):
    """``POST /plans/quote/``: a schedule and its APR without saving anything. Any role."""

    permission_classes = [IsStaffRole]

    @extend_schema(request=QuoteRequestSerializer, responses=QuoteSerializer)
    def post(self, request: Request) -> Response:
        serializer = QuoteRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        account = data.pop("account", None)
        jurisdiction = data.pop("jurisdiction", None)
        currency = data.pop("currency", None)
        if account is not None:
            account = account_for_api(request.user, account.pk)
            jurisdiction = account.customer.jurisdiction
            currency = currency or account.currency
        jurisdiction = jurisdiction or getattr(request.user.team, "jurisdiction", None) or "US"
        policy = PlanPolicy.for_jurisdiction(jurisdiction)
        terms = services.plan_terms(currency=currency or "USD", **data)
        try:
            schedule = build_schedule(terms, max_installments=policy.effective_max_installments)
        except ScheduleError as error:
            raise schedule_errors_as_400(error) from None
        return Response(quote_data(schedule, terms.currency))


# --- Plans ---------------------------------------------------------------------------------
class PlanFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=PlanStatus.choices)

    class Meta:
        model = Plan
        fields = ["account", "status"]


class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Plans of the accounts the user may see. Writes go through the lifecycle actions."""

    permission_classes = [IsStaffRole]
    serializer_class = PlanSerializer
    filterset_class = PlanFilter
    ordering_fields = ["created_at", "id", "status"]
    ordering = ["-created_at", "-id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Plan.objects.none()
        queryset = Plan.objects.select_related("proposed_by", "approved_by", "replaced_by")
        if self.action == "list":
            return queryset.filter(account__in=Account.objects.visible_to(self.request.user))
        return queryset.prefetch_related("installments", "events__by")

    def get_serializer_class(self):
        return PlanSerializer if self.action == "list" else PlanDetailSerializer

    def _respond(self, plan: Plan, code: int = status.HTTP_200_OK) -> Response:
        return Response(PlanDetailSerializer(selectors.plan_with_schedule(plan.pk)).data, code)

    @extend_schema(request=PlanCreateSerializer, responses={201: PlanDetailSerializer})
    def create(self, request: Request) -> Response:
        """A draft for an account the user can see: the quote fields plus concessions."""
        serializer = PlanCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        account = account_for_api(request.user, data.pop("account").pk)
        with conflicts_as_409():
            plan = services.plan_create(account=account, by=request.user, **data)
        return self._respond(plan, status.HTTP_201_CREATED)

    @extend_schema(request=PlanAcceptSerializer, responses=PlanDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk=None) -> Response:
        """Record the customer's acceptance of a draft (when, how, evidence)."""
        plan = self.get_object()
        serializer = PlanAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with conflicts_as_409():
            plan = services.plan_accept(
                plan=plan,
                channel=data["acceptance_channel"],
                accepted_at=data["accepted_at"],
                reference=data["acceptance_reference"],
                by=request.user,
            )
        return self._respond(plan)

    @extend_schema(request=None, responses=PlanDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk=None) -> Response:
        """Active at once within the proposer's authority, else pending approval."""
        plan = self.get_object()
        with conflicts_as_409():
            plan = services.plan_submit(plan=plan, by=request.user)
        return self._respond(plan)

    @extend_schema(request=ApproveSerializer, responses=PlanDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk=None) -> Response:
        """Supervisors and admins, not the proposer, within their own authority; ``reason``
        goes on the approval event and is required for a plan the customer cannot afford."""
        plan = self.get_object()
        if not request.user.has_role(Role.SUPERVISOR, Role.ADMIN):
            raise PermissionDenied("Only a supervisor or an admin may approve plans.")
        serializer = ApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with conflicts_as_409():
            plan = services.plan_approve(
                plan=plan, by=request.user, note=serializer.validated_data["reason"]
            )
        return self._respond(plan)

    @extend_schema(request=ReasonSerializer, responses=PlanDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk=None) -> Response:
        plan = self.get_object()
        # Who may comes before what they sent: a refusal never depends on the body.
        if not request.user.has_role(Role.SUPERVISOR, Role.ADMIN):
            raise PermissionDenied("Only a supervisor or an admin may reject plans.")
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with conflicts_as_409():
            plan = services.plan_reject(
                plan=plan, by=request.user, reason=serializer.validated_data["reason"]
            )
        return self._respond(plan)

    @extend_schema(
        request=RescheduleSerializer,
        responses={
            201: PlanDetailSerializer,
            409: OpenApiResponse(
                description="The plan is not active or broken, its balance moved, or the"
                " account was rescheduled as often as the policy allows in 12 months."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk=None) -> Response:
        """New terms for an active or broken plan: the new plan (active within the proposer's
        authority, else pending approval); the old one becomes ``rescheduled``."""
        plan = self.get_object()
        serializer = RescheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with conflicts_as_409():
            new = services.plan_reschedule(plan=plan, by=request.user, **serializer.validated_data)
        return self._respond(new, status.HTTP_201_CREATED)

    @extend_schema(request=ReasonSerializer, responses=PlanDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk=None) -> Response:
        """Drafts and pending plans by any role; active plans by supervisors and admins."""
        plan = self.get_object()
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with conflicts_as_409():
            plan = services.plan_cancel(
                plan=plan, by=request.user, reason=serializer.validated_data["reason"]
            )
        return self._respond(plan)


# --- Plan options --------------------------------------------------------------------------
class AccountPlanOptionsView(APIView):
    """``GET /accounts/{id}/plan-options/``: terms side by side and the shortest affordable."""

    permission_classes = [IsStaffRole]

    @extend_schema(parameters=[PlanOptionsQuerySerializer], responses=PlanOptionsSerializer)
    def get(self, request: Request, account_id: int) -> Response:
        account = account_for_api(request.user, account_id)
        query = PlanOptionsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = dict(query.validated_data)
        params.setdefault("start_date", delinquency.business_date())
        try:
            found = selectors.plan_options_for_account(account, **params)
        except ScheduleError as error:
            raise schedule_errors_as_400(error) from None
        currency = account.currency
        return Response(
            {
                "account": account.pk,
                "currency": currency,
                "principal": money(found.principal, currency),
                "disposable_income": money(found.disposable_income, currency),
                "other_commitments": money(found.budget.commitments, currency),
                "affordability_share": str(found.policy.affordability_share),
                "budget": money(found.result.budget, currency),
                "min_installment": money(found.min_installment, currency),
                "max_installments": found.max_installments,
                "options": [option_data(o, currency) for o in found.result.options],
                "recommended": option_data(found.result.recommended, currency),
            }
        )


# --- Payments ------------------------------------------------------------------------------
class AccountPaymentsView(generics.ListAPIView):
    """``GET/POST /accounts/{id}/payments/``. Posting needs a supervisor or admin (the bank's
    feed user is one); the same reference and amount again is a 200 with the stored payment."""

    permission_classes = [IsStaffRole]
    serializer_class = PaymentSerializer
    ordering_fields = ["received_at", "id"]
    ordering = ["-received_at", "-id"]
    filterset_fields: list[str] = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Payment.objects.none()
        return selectors.payments_of(account_for_api(self.request.user, self.kwargs["account_id"]))

    @extend_schema(
        request=PaymentInputSerializer,
        responses={
            201: PaymentSerializer,
            200: PaymentSerializer,
            409: OpenApiResponse(description="The reference was posted with another amount."),
        },
    )
    def post(self, request: Request, account_id: int) -> Response:
        account = account_for_api(request.user, account_id)
        if not request.user.has_role(Role.SUPERVISOR, Role.ADMIN):
            raise PermissionDenied("Only supervisors, admins and the bank's feed post payments.")
        serializer = PaymentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with conflicts_as_409():
            posted = services.payment_post(
                account=account, by=request.user, **serializer.validated_data
            )
        payment = selectors.payments_of(account).get(pk=posted.payment.pk)
        code = status.HTTP_201_CREATED if posted.created else status.HTTP_200_OK
        return Response(PaymentSerializer(payment).data, status=code)


# --- Promises ------------------------------------------------------------------------------
class AccountPromisesView(generics.ListAPIView):
    """``GET/POST /accounts/{id}/promises/``: any role that can see the account."""

    permission_classes = [IsStaffRole]
    serializer_class = PromiseSerializer
    filterset_fields = ["status"]
    ordering_fields = ["due_date", "created_at", "id"]
    ordering = ["-due_date", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PromiseToPay.objects.none()
        return selectors.promises_of(account_for_api(self.request.user, self.kwargs["account_id"]))

    @extend_schema(request=PromiseInputSerializer, responses={201: PromiseSerializer})
    def post(self, request: Request, account_id: int) -> Response:
        account = account_for_api(request.user, account_id)
        serializer = PromiseInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        with conflicts_as_409():
            promise = services.promise_create(
                account=account, by=request.user, **serializer.validated_data
            )
        return Response(PromiseSerializer(promise).data, status=status.HTTP_201_CREATED)


# --- Settlements ---------------------------------------------------------------------------
class AccountSettlementsView(generics.ListAPIView):
    """``GET/POST /accounts/{id}/settlements/``: offers to settle for less than the balance;
    any role that can see the account proposes, offered at once within their authority."""

    permission_classes = [IsStaffRole]
    serializer_class = SettlementSerializer
    filterset_fields = ["status"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Settlement.objects.none()
        return selectors.settlements_of(
            account_for_api(self.request.user, self.kwargs["account_id"])
        )

    @extend_schema(
        request=SettlementInputSerializer,
        responses={
            201: SettlementSerializer,
            409: OpenApiResponse(description="The account has an open plan or settlement."),
        },
    )
    def post(self, request: Request, account_id: int) -> Response:
        account = account_for_api(request.user, account_id)
        serializer = SettlementInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with conflicts_as_409():
            settlement = services.settlement_create(
                account=account, by=request.user, **serializer.validated_data
            )
        return Response(SettlementSerializer(settlement).data, status=status.HTTP_201_CREATED)


class SettlementViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """``GET /settlements/{id}/`` and its decisions: approve and reject (supervisors and
    admins, not the proposer), withdraw (any role; an accepted one: supervisors and admins)."""

    permission_classes = [IsStaffRole]
    serializer_class = SettlementSerializer
    lookup_value_regex = r"\d+"
    queryset = Settlement.objects.select_related("account", "proposed_by", "approved_by")

    def _lead_only(self, request: Request, doing: str) -> None:
        # Who may comes before what they sent: a refusal never depends on the body.
        if not request.user.has_role(Role.SUPERVISOR, Role.ADMIN):
            raise PermissionDenied(f"Only a supervisor or an admin may {doing} settlements.")

    @extend_schema(request=ApproveSerializer, responses=SettlementSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk=None) -> Response:
        settlement = self.get_object()
        self._lead_only(request, "approve")
        serializer = ApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with conflicts_as_409():
            settlement = services.settlement_approve(
                settlement=settlement, by=request.user, note=serializer.validated_data["reason"]
            )
        return Response(SettlementSerializer(settlement).data)

    @extend_schema(request=ReasonSerializer, responses=SettlementSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk=None) -> Response:
        settlement = self.get_object()
        self._lead_only(request, "reject")
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with conflicts_as_409():
            settlement = services.settlement_reject(
                settlement=settlement, by=request.user, reason=serializer.validated_data["reason"]
            )
        return Response(SettlementSerializer(settlement).data)

    @extend_schema(request=ReasonSerializer, responses=SettlementSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk=None) -> Response:
        settlement = self.get_object()
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with conflicts_as_409():
            settlement = services.settlement_withdraw(
                settlement=settlement, by=request.user, reason=serializer.validated_data["reason"]
            )
        return Response(SettlementSerializer(settlement).data)


# --- Hardship ----------------------------------------------------------------------------------
class AccountHardshipView(generics.ListAPIView):
    """``GET/POST /accounts/{id}/hardship/``: hardship arrangements, any role of the team."""

    permission_classes = [IsStaffRole]
    serializer_class = HardshipSerializer
    filterset_fields = ["status", "kind"]
    ordering_fields = ["created_at", "review_on", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return HardshipArrangement.objects.none()
        return selectors.hardship_of(account_for_api(self.request.user, self.kwargs["account_id"]))

    @extend_schema(
        request=HardshipInputSerializer,
        responses={
            201: HardshipSerializer,
            409: OpenApiResponse(
                description="The account has an open plan, or an active arrangement of the kind."
            ),
        },
    )
    def post(self, request: Request, account_id: int) -> Response:
        account = account_for_api(request.user, account_id)
        serializer = HardshipInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with conflicts_as_409():
            arrangement = services.hardship_create(
                account=account, by=request.user, **serializer.validated_data
            )
        return Response(HardshipSerializer(arrangement).data, status=status.HTTP_201_CREATED)


class HardshipViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """``GET /hardship/{id}/`` and ``POST /hardship/{id}/end/`` (revert, or convert to a plan
    draft with the terms given)."""

    permission_classes = [IsStaffRole]
    serializer_class = HardshipSerializer
    lookup_value_regex = r"\d+"
    queryset = HardshipArrangement.objects.select_related("account", "created_by", "ended_by")

    @extend_schema(request=HardshipEndSerializer, responses=HardshipSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk=None) -> Response:
        arrangement = self.get_object()
        serializer = HardshipEndSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with conflicts_as_409():
            arrangement = services.hardship_end(
                arrangement=arrangement, by=request.user, **serializer.validated_data
            )
        return Response(HardshipSerializer(arrangement).data)
