from rest_framework import serializers

from contacts.models import ContactPoint


class ContactPointSerializer(serializers.ModelSerializer):
    value = serializers.CharField(max_length=254)

    class Meta:
        model = ContactPoint
        fields = [
            "id",
            "customer",
            "kind",
            "value",
            "label",
            "region",
            "time_zone",
            "is_primary",
            "opted_out",
            "opted_out_at",
            "is_valid",
            "invalid_reason",
            "valid_from",
            "valid_until",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["customer", "region", "opted_out_at", "created_at", "updated_at"]

    def to_representation(self, instance: ContactPoint) -> dict:
        data = super().to_representation(instance)
        data["value"] = instance.masked_value
        return data
