from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from auditlog.registry import auditlog
        from django.contrib.auth.signals import user_logged_in, user_logged_out
        from django.db.models.signals import post_migrate, pre_save

        from accounts import models
        from accounts.reauth import remember_login
        from accounts.roles import roles_apply_after_migrate
        from accounts.tokens import revoke_on_logout, revoke_on_password_change

        # Sent once per app after Django creates that app's permissions; the last one sees
        # them all. Each run only adds what is missing.
        post_migrate.connect(roles_apply_after_migrate, dispatch_uid="settle-roles-apply")

        # API tokens die with the password they were issued under, and on logout.
        user_logged_out.connect(revoke_on_logout, dispatch_uid="settle-tokens-logout")
        user_logged_in.connect(remember_login, dispatch_uid="settle-reauth-login")
        pre_save.connect(
            revoke_on_password_change, sender=models.User, dispatch_uid="settle-tokens-password"
        )

        auditlog.register(models.Customer, mask_fields=["national_id"])
        auditlog.register(
            models.Account, mask_fields=["number"], exclude_fields=["updated_at", "risk_scored_at"]
        )
        auditlog.register(models.Team)
        auditlog.register(models.BucketRange)
        auditlog.register(models.PropensityModel)
        auditlog.register(
            models.ContactPoint,
            mask_fields=["value"],
            # Derived from the value (audited) when stored; not a change of its own.
            exclude_fields=["updated_at", "phone_time_zones"],
        )
