"""API representations for plans, quotes, payments and promises (shared API.md).

Money leaves as a string with the currency's places ("1234.50"; JPY "1235"), rates as decimal
fractions, the APR with four decimals.
"""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Account, Jurisdiction
from accounts.permissions import TeamScope
from accounts.serializers import ScopedPrimaryKeyRelatedField
from contacts.models import ContactLog
from core.api import AwareDateTimeField, BoundedDateField
from core.money import display_places, round_money
from plans.affordability import PlanOption
from plans.models import (
    DAY_COUNT_CHOICES,
    FREQUENCY_CHOICES,
    METHOD_CHOICES,
    ROUNDING_CHOICES,
    AcceptanceChannel,
    HardshipArrangement,
    HardshipKind,
    HardshipOutcome,
    Installment,
    InstallmentStatus,
    Payment,
    Plan,
    PlanEvent,
    PlanStatus,
    PromiseStatus,
    PromiseToPay,
    Settlement,
    SettlementStatus,
)
from plans.reschedule import Arrears
from plans.schedule import Schedule
from plans.settlement import settlement_schedule

# Status-like fields go out as plain strings with their values in the description, not as schema
# enums: names like "status" are shared with other apps' choice sets, and drf-spectacular warns
# (failing `check --deploy`) when one name carries several sets across components.


def money(value: Decimal | None, currency: str) -> str | None:
    if value is None:
        return None
    return str(round_money(value, display_places(currency)))


class MoneyOutMixin:
    """Formats ``money_fields`` with the places of the instance's currency."""

    money_fields: tuple[str, ...] = ()

    def currency_of(self, instance) -> str:
        return instance.currency

    def to_representation(self, instance) -> dict:
        data = super().to_representation(instance)
        currency = self.currency_of(instance)
        for name in self.money_fields:
            if name in data:
                data[name] = money(getattr(instance, name), currency)
        return data


# --- Terms and quotes ----------------------------------------------------------------------
def _amount(**kwargs) -> serializers.DecimalField:
    # Three places let the engine name the currency in its error ("more decimal places than
    # USD allows") rather than DRF giving a generic one.
    return serializers.DecimalField(max_digits=18, decimal_places=3, **kwargs)


def _rate(places: int = 10) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=places + 4, decimal_places=places, required=False, allow_null=True
    )


class TermsSerializer(serializers.Serializer):
    """The quote fields of API.md; the engine checks how they fit together."""

    principal = _amount()
    method = serializers.ChoiceField(choices=METHOD_CHOICES)
    annual_rate = _rate()
    period_fee_rate = _rate()
    installments = serializers.IntegerField()
    frequency = serializers.ChoiceField(choices=FREQUENCY_CHOICES, default="monthly")
    start_date = BoundedDateField()
    first_due_date = BoundedDateField(required=False, allow_null=True)
    down_payment = _amount(default=Decimal("0"))
    day_count = serializers.ChoiceField(choices=DAY_COUNT_CHOICES, default="30/360")
    rounding = serializers.ChoiceField(choices=ROUNDING_CHOICES, default="half_up")


class QuoteRequestSerializer(TermsSerializer):
    currency = serializers.CharField(required=False, max_length=3)
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.select_related("customer"), required=False, allow_null=True
    )
    jurisdiction = serializers.ChoiceField(choices=Jurisdiction.choices, required=False)


class QuoteRowSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    due_date = BoundedDateField()
    principal = serializers.CharField()
    interest = serializers.CharField()
    fee = serializers.CharField()
    amount = serializers.CharField()
    balance_after = serializers.CharField()


class QuoteSerializer(serializers.Serializer):
    """The response of POST /plans/quote/ (API.md), plus the currency and amount financed."""

    currency = serializers.CharField()
    installments = QuoteRowSerializer(many=True)
    down_payment = serializers.CharField()
    amount_financed = serializers.CharField()
    total_principal = serializers.CharField()
    total_interest = serializers.CharField()
    total_fees = serializers.CharField()
    total_payable = serializers.CharField()
    apr = serializers.CharField()


def quote_data(schedule: Schedule, currency: str) -> dict:
    """The engine's numbers are already at the currency's places: printed, never re-rounded."""
    return {
        "currency": currency,
        "installments": [
            {
                "number": row.number,
                "due_date": row.due_date.isoformat(),
                "principal": str(row.principal),
                "interest": str(row.interest),
                "fee": str(row.fee),
                "amount": str(row.amount),
                "balance_after": str(row.balance_after),
            }
            for row in schedule.installments
        ],
        "down_payment": money(schedule.down_payment, currency),
        "amount_financed": money(schedule.amount_financed, currency),
        "total_principal": money(schedule.total_principal, currency),
        "total_interest": money(schedule.total_interest, currency),
        "total_fees": money(schedule.total_fees, currency),
        "total_payable": money(schedule.total_payable, currency),
        "apr": str(schedule.apr),
    }


# --- Plan options --------------------------------------------------------------------------
class PlanOptionsQuerySerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=METHOD_CHOICES, default="equal_installment")
    annual_rate = _rate(6)
    period_fee_rate = _rate(6)
    frequency = serializers.ChoiceField(choices=FREQUENCY_CHOICES, default="monthly")
    start_date = BoundedDateField(required=False)
    day_count = serializers.ChoiceField(choices=DAY_COUNT_CHOICES, default="30/360")
    rounding = serializers.ChoiceField(choices=ROUNDING_CHOICES, default="half_up")
    principal = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)


class PlanOptionSerializer(serializers.Serializer):
    installments = serializers.IntegerField()
    installment = serializers.CharField()
    total_cost = serializers.CharField()
    total_payable = serializers.CharField()
    apr = serializers.CharField()
    affordable = serializers.BooleanField(allow_null=True)


class PlanOptionsSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    currency = serializers.CharField()
    principal = serializers.CharField()
    disposable_income = serializers.CharField(
        allow_null=True,
        help_text="Declared income less expenses, less other_commitments (monthly).",
    )
    other_commitments = serializers.CharField(
        help_text="Monthly equivalent of the installments of the customer's open plans on their"
        " other accounts in this currency."
    )
    affordability_share = serializers.CharField()
    budget = serializers.CharField(allow_null=True)
    min_installment = serializers.CharField()
    max_installments = serializers.IntegerField(
        help_text="The smaller of the plan policy's maximum and the jurisdiction profile's."
    )
    options = PlanOptionSerializer(many=True)
    recommended = PlanOptionSerializer(allow_null=True)


def option_data(option: PlanOption | None, currency: str) -> dict | None:
    if option is None:
        return None
    return {
        "installments": option.installments,
        "installment": money(option.installment, currency),
        "total_cost": money(option.total_cost, currency),
        "total_payable": money(option.total_payable, currency),
        "apr": str(option.apr),
        "affordable": option.affordable,
    }


# --- Plans ---------------------------------------------------------------------------------
class PlanCreateSerializer(TermsSerializer):
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all())
    principal = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True
    )
    down_payment = serializers.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    annual_rate = _rate(6)
    period_fee_rate = _rate(6)
    start_date = BoundedDateField(required=False, allow_null=True)
    waived_interest = serializers.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0")
    )
    waived_fees = serializers.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    principal_reduction = serializers.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0")
    )
    concessions_conditional = serializers.BooleanField(default=False)


INSTALLMENT_MONEY = (
    "principal",
    "interest",
    "fee",
    "amount",
    "paid_principal",
    "paid_interest",
    "paid_fee",
    "paid_amount",
)


class InstallmentSerializer(MoneyOutMixin, serializers.ModelSerializer):
    money_fields = INSTALLMENT_MONEY
    status = serializers.CharField(
        read_only=True, help_text=f"One of {', '.join(InstallmentStatus.values)}."
    )

    class Meta:
        model = Installment
        fields = ["number", "due_date", *INSTALLMENT_MONEY, "status", "paid_at"]

    def currency_of(self, instance: Installment) -> str:
        return instance.plan.currency


_PLAN_STATUSES = ", ".join(PlanStatus.values)


class PlanEventSerializer(serializers.ModelSerializer):
    by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    from_status = serializers.CharField(read_only=True, help_text=f"Empty or {_PLAN_STATUSES}.")
    to_status = serializers.CharField(read_only=True, help_text=f"One of {_PLAN_STATUSES}.")

    class Meta:
        model = PlanEvent
        fields = ["action", "from_status", "to_status", "by", "at", "note"]


class PlanSerializer(MoneyOutMixin, serializers.ModelSerializer):
    money_fields = (
        "principal",
        "down_payment",
        "amount_financed",
        "total_interest",
        "total_fees",
        "total_payable",
        "waived_interest",
        "waived_fees",
        "principal_reduction",
        "concessions_total",
        "arrears_capitalised",
        "arrears_waived",
    )
    status = serializers.CharField(read_only=True, help_text=f"One of {_PLAN_STATUSES}.")
    replaced_by = serializers.SerializerMethodField(
        help_text="The plan that rescheduled this one (status rescheduled)."
    )
    proposed_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    approved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    acceptance_channel = serializers.ChoiceField(
        choices=AcceptanceChannel.choices, allow_blank=True, read_only=True
    )
    concessions_total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Plan
        fields = [
            "id",
            "account",
            "status",
            "currency",
            "method",
            "principal",
            "annual_rate",
            "period_fee_rate",
            "installment_count",
            "frequency",
            "start_date",
            "first_due_date",
            "down_payment",
            "day_count",
            "rounding",
            "amount_financed",
            "total_interest",
            "total_fees",
            "total_payable",
            "apr",
            "waived_interest",
            "waived_fees",
            "principal_reduction",
            "concessions_total",
            "concessions_conditional",
            "concessions_reinstated_at",
            "replaces",
            "replaced_by",
            "payment_holiday_months",
            "arrears_capitalised",
            "arrears_waived",
            "rescheduled_at",
            "affordable",
            "approval_reason",
            "proposed_by",
            "approved_by",
            "approved_at",
            "accepted_at",
            "acceptance_channel",
            "acceptance_reference",
            "activated_at",
            "completed_at",
            "broken_at",
            "cancelled_at",
            "cancel_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_replaced_by(self, plan: Plan) -> int | None:
        replacement = getattr(plan, "replaced_by", None)  # reverse one-to-one: absent raises
        return None if replacement is None else replacement.pk


class PlanDetailSerializer(PlanSerializer):
    installments = InstallmentSerializer(many=True, read_only=True)
    events = PlanEventSerializer(many=True, read_only=True)

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "installments", "events"]
        read_only_fields = fields


class PlanAcceptSerializer(serializers.Serializer):
    """Named as the plan shows them: ``acceptance_channel``, ``accepted_at``, ``…_reference``."""

    acceptance_channel = serializers.ChoiceField(choices=AcceptanceChannel.choices)
    accepted_at = AwareDateTimeField()
    acceptance_reference = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class RescheduleSerializer(serializers.Serializer):
    """``POST /plans/{id}/reschedule/`` (API.md): new terms for an active or broken plan."""

    installments = serializers.IntegerField()
    method = serializers.ChoiceField(choices=METHOD_CHOICES)
    annual_rate = _rate(6)
    period_fee_rate = _rate(6)
    first_due_date = BoundedDateField(required=False, allow_null=True)
    payment_holiday_months = serializers.IntegerField(default=0)
    arrears = serializers.ChoiceField(
        choices=[(a.value, a.value) for a in Arrears],
        help_text="capitalise: the old plan's unpaid interest and fees due so far join the"
        " principal; waive: they are given up (a concession).",
    )
    reason = serializers.CharField(max_length=2000)


class ApproveSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when the customer cannot afford the installment.",
    )


# --- Payments ------------------------------------------------------------------------------
class PaymentInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    received_at = AwareDateTimeField()
    reference = serializers.CharField(max_length=64)


class AllocationOutSerializer(serializers.Serializer):
    installment = serializers.IntegerField(source="installment.number", allow_null=True)
    component = serializers.CharField()
    amount = serializers.CharField()


class PaymentSerializer(serializers.ModelSerializer):
    source = serializers.CharField(read_only=True, help_text="api or file.")
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    allocations = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "account",
            "reference",
            "amount",
            "received_at",
            "source",
            "source_detail",
            "plan",
            "created_by",
            "created_at",
            "allocations",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Payment) -> dict:
        data = super().to_representation(instance)
        data["amount"] = money(instance.amount, instance.account.currency)
        return data

    @extend_schema_field(AllocationOutSerializer(many=True))
    def get_allocations(self, instance: Payment) -> list[dict]:
        currency = instance.account.currency
        return [
            {
                "installment": a.installment.number if a.installment_id else None,
                "component": a.component,
                "amount": money(a.amount, currency),
            }
            for a in instance.allocations.all()
        ]


# --- Promises ------------------------------------------------------------------------------
class PromiseInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    due_date = BoundedDateField()
    contact = ScopedPrimaryKeyRelatedField(
        queryset=ContactLog.objects.all(),
        scope=TeamScope(team="account__team"),
        required=False,
        allow_null=True,
    )


class PromiseSerializer(MoneyOutMixin, serializers.ModelSerializer):
    money_fields = ("amount", "paid_amount")
    status = serializers.CharField(
        read_only=True, help_text=f"One of {', '.join(PromiseStatus.values)}."
    )
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = PromiseToPay
        fields = [
            "id",
            "account",
            "amount",
            "due_date",
            "status",
            "paid_amount",
            "contact",
            "created_by",
            "created_at",
            "resolved_at",
        ]
        read_only_fields = fields

    def currency_of(self, instance: PromiseToPay) -> str:
        return instance.account.currency


# --- Settlements -------------------------------------------------------------------------------
class SettlementInputSerializer(serializers.Serializer):
    """``POST /accounts/{id}/settlements/`` (API.md)."""

    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    installments = serializers.IntegerField(default=1, help_text="1 = a lump sum.")
    first_due_date = BoundedDateField()
    expires_on = BoundedDateField()


class SettlementDueSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    due_date = BoundedDateField()
    amount = serializers.CharField()


class SettlementSerializer(MoneyOutMixin, serializers.ModelSerializer):
    money_fields = ("balance", "amount", "discount", "paid_amount", "written_off")
    status = serializers.CharField(
        read_only=True, help_text=f"One of {', '.join(SettlementStatus.values)}."
    )
    installments = serializers.IntegerField(source="installment_count", read_only=True)
    schedule = serializers.SerializerMethodField()
    proposed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Settlement
        fields = [
            "id",
            "account",
            "status",
            "currency",
            "balance",
            "amount",
            "discount",
            "bucket",
            "installments",
            "first_due_date",
            "expires_on",
            "schedule",
            "paid_amount",
            "written_off",
            "affordable",
            "approval_reason",
            "proposed_by",
            "approved_by",
            "approved_at",
            "decision_note",
            "offered_at",
            "accepted_at",
            "settled_at",
            "ended_at",
            "end_reason",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(SettlementDueSerializer(many=True))
    def get_schedule(self, settlement: Settlement) -> list[dict]:
        return [
            {
                "number": due.number,
                "due_date": due.due_date.isoformat(),
                "amount": money(due.amount, settlement.currency),
            }
            for due in settlement_schedule(
                settlement.amount,
                settlement.installment_count,
                settlement.first_due_date,
                settlement.currency,
            )
        ]


# --- Hardship ----------------------------------------------------------------------------------
class HardshipInputSerializer(serializers.Serializer):
    """``POST /accounts/{id}/hardship/`` (API.md)."""

    kind = serializers.ChoiceField(choices=HardshipKind.choices)
    monthly_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        allow_null=True,
        default=None,
        help_text="The reduced monthly payment (reduced_payment only).",
    )
    months = serializers.IntegerField()
    review_on = BoundedDateField(
        required=False, allow_null=True, default=None, help_text="Default: the last day."
    )
    reason = serializers.CharField(max_length=2000)


class HardshipEndSerializer(serializers.Serializer):
    """``POST /hardship/{id}/end/``: ``revert``, or ``convert`` with the plan draft's terms."""

    # A plain string (the service names it in a 400 when it is neither): a second "outcome"
    # enum would rename the contact log's in the schema.
    outcome = serializers.CharField(
        max_length=10, help_text=f"One of {', '.join(HardshipOutcome.values)}."
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    method = serializers.ChoiceField(choices=METHOD_CHOICES, default="equal_installment")
    installments = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Required to convert."
    )
    annual_rate = _rate(6)
    period_fee_rate = _rate(6)
    first_due_date = BoundedDateField(required=False, allow_null=True, default=None)


class HardshipSerializer(MoneyOutMixin, serializers.ModelSerializer):
    money_fields = ("monthly_amount", "minimum_due_before")
    kind = serializers.CharField(read_only=True, help_text="reduced_payment or interest_freeze.")
    status = serializers.CharField(read_only=True, help_text="active or ended.")
    outcome = serializers.CharField(read_only=True, help_text="Empty, revert or convert.")
    interest_frozen = serializers.BooleanField(
        read_only=True,
        help_text="An active interest freeze: the core system is not to accrue interest.",
    )
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    ended_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = HardshipArrangement
        fields = [
            "id",
            "account",
            "kind",
            "status",
            "monthly_amount",
            "months",
            "starts_on",
            "ends_on",
            "review_on",
            "reason",
            "interest_frozen",
            "minimum_due_before",
            "created_by",
            "created_at",
            "outcome",
            "ended_at",
            "ended_by",
            "end_note",
            "plan",
        ]
        read_only_fields = fields

    def currency_of(self, instance: HardshipArrangement) -> str:
        return instance.account.currency
