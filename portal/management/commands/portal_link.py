"""Print a customer's portal link (as a reminder would carry it): for support staff and the demo.

manage.py portal_link <account number | customer reference>
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from accounts.models import Account
from accounts.portal_links import link_token_for, link_url
from core.business_calendar import business_date


class Command(BaseCommand):
    help = "Print the portal link of the customer of an account (number) or customer (reference)."

    def add_arguments(self, parser):
        parser.add_argument(
            "reference", help="An account number or a customer's external reference."
        )

    def handle(self, *args, reference: str, **options):
        account = (
            Account.objects.filter(Q(number=reference) | Q(customer__external_ref=reference))
            .order_by("id")
            .first()
        )
        if account is None:
            raise CommandError(
                f"No account numbered {reference} and no customer with that reference."
            )
        token = link_token_for(account.customer_id, today=business_date())
        self.stdout.write(link_url(token))
