"""API representations. Personal data leaves masked; the reveal endpoints unmask (audited)."""

from __future__ import annotations

from rest_framework import serializers

from accounts import delinquency
from accounts.models import Account, Customer, Team, User
from accounts.permissions import TeamScope


class ScopedRelatedFieldMixin:
    """A writable relation limited to the rows the requesting user may see (``scope``).

    An id outside that scope fails exactly like an id that does not exist (DRF's "Invalid pk" or
    "does not exist"), so the answer never tells that the row is there. Without a request in the
    serializer's context nothing is visible: pass ``context={"request": request}``.
    """

    def __init__(self, *, scope: TeamScope, **kwargs) -> None:
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return self.scope(super().get_queryset(), getattr(request, "user", None))


class ScopedPrimaryKeyRelatedField(ScopedRelatedFieldMixin, serializers.PrimaryKeyRelatedField):
    pass


class ScopedSlugRelatedField(ScopedRelatedFieldMixin, serializers.SlugRelatedField):
    pass


class CustomerSerializer(serializers.ModelSerializer):
    national_id = serializers.CharField(required=False, allow_blank=True, max_length=40)

    class Meta:
        model = Customer
        fields = [
            "id",
            "external_ref",
            "name",
            "national_id",
            "date_of_birth",
            "address_line",
            "city",
            "region",
            "postal_code",
            "country",
            "time_zone",
            "jurisdiction",
            "language",
            "monthly_income",
            "monthly_expenses",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def to_representation(self, instance: Customer) -> dict:
        data = super().to_representation(instance)
        data["national_id"] = instance.masked_national_id
        return data


class CustomerUpdateSerializer(CustomerSerializer):
    """Specialists may record what the customer declares; identity fields need a supervisor."""

    SPECIALIST_FIELDS = frozenset(
        {
            "monthly_income",
            "monthly_expenses",
            "language",
            "time_zone",
            "address_line",
            "city",
            "region",
            "postal_code",
            "country",
        }
    )

    def validate(self, attrs: dict) -> dict:
        user = self.context["request"].user
        if not user.has_role("supervisor", "admin"):
            forbidden = sorted(set(attrs) - self.SPECIALIST_FIELDS)
            if forbidden:
                raise serializers.ValidationError(
                    {
                        name: ["Only a supervisor or admin may change this field."]
                        for name in forbidden
                    }
                )
        return attrs


class AccountSerializer(serializers.ModelSerializer):
    customer = ScopedPrimaryKeyRelatedField(
        queryset=Customer.objects.all(), scope=TeamScope(customer="", new_customers=True)
    )
    team = ScopedSlugRelatedField(
        slug_field="code", queryset=Team.objects.all(), scope=TeamScope(team="pk")
    )
    assigned_to = ScopedSlugRelatedField(
        slug_field="username",
        queryset=User.objects.all(),
        scope=TeamScope(team="team"),
        required=False,
        allow_null=True,
    )
    days_past_due = serializers.SerializerMethodField()
    bucket = serializers.SerializerMethodField()
    total_balance = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "customer",
            "number",
            "product",
            "currency",
            "credit_limit",
            "principal_balance",
            "interest_balance",
            "fee_balance",
            "total_balance",
            "past_due_amount",
            "minimum_due",
            "delinquent_since",
            "original_delinquent_since",
            "days_past_due",
            "bucket",
            "last_payment_date",
            "last_payment_amount",
            "charge_off_date",
            "statute_of_limitations_date",
            "stage",
            "risk_tier",
            "risk_score",
            "risk_factors",
            "team",
            "assigned_to",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "original_delinquent_since",
            "risk_tier",
            "risk_score",
            "risk_factors",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"stage": {"required": False}}

    def _as_of(self):
        as_of = self.context.get("as_of")
        if as_of is None:
            as_of = self.context["as_of"] = delinquency.business_date()
        return as_of

    def get_days_past_due(self, obj: Account) -> int:
        if hasattr(obj, "dpd"):
            return obj.dpd
        return delinquency.days_past_due(obj.delinquent_since, self._as_of())

    def get_bucket(self, obj: Account) -> str:
        if hasattr(obj, "bucket_code"):
            return obj.bucket_code
        buckets = self.context.get("buckets") or delinquency.configured_buckets()
        self.context["buckets"] = buckets
        return delinquency.bucket_for(self.get_days_past_due(obj), buckets).code

    def validate_assigned_to(self, user: User | None) -> User | None:
        if user is not None and not user.has_role("specialist"):
            raise serializers.ValidationError("Accounts can only be assigned to specialists.")
        return user

    def validate(self, attrs: dict) -> dict:
        team = attrs.get("team") or getattr(self.instance, "team", None)
        user = attrs.get("assigned_to")
        if user is not None and team is not None and user.team_id != team.id:
            raise serializers.ValidationError(
                {"assigned_to": [f"{user.username} is not in team {team.code}."]}
            )
        return attrs

    def to_representation(self, instance: Account) -> dict:
        data = super().to_representation(instance)
        data["number"] = instance.masked_number
        return data


class RevealSerializer(serializers.Serializer):
    national_id = serializers.CharField(required=False)
    account_number = serializers.CharField(required=False)
    contact_points = serializers.DictField(child=serializers.CharField(), required=False)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
