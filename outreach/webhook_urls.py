from django.urls import path

from outreach import webhooks

# The providers' webhooks (signed; no session, no CSRF), served under /webhooks/.
app_name = "outreach"
urlpatterns = [
    path("sms/inbound/", webhooks.inbound_sms, name="inbound_sms"),
    path("sms/receipts/", webhooks.delivery_receipt, name="delivery_receipt"),
    path("email/inbound/", webhooks.inbound_email, name="inbound_email"),
    path("email/bounces/", webhooks.email_bounce, name="email_bounce"),
]
