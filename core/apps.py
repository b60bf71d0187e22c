from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.db import models
        from rest_framework import serializers

        from core.api import BoundedDateField, BoundedDateTimeField

        # Every API date a model serializer derives from a model field takes the sane range
        # (core.bounds), as the explicit fields do: one rule at the whole edge.
        mapping = serializers.ModelSerializer.serializer_field_mapping
        mapping[models.DateField] = BoundedDateField
        mapping[models.DateTimeField] = BoundedDateTimeField
