from django.urls import path

from outreach import views

# The namespace stays "contacts": templates and redirects name these pages contacts:log and
# contacts:check, served under /contacts/ (config/urls.py).
app_name = "contacts"
urlpatterns = [
    path("log/<int:account_id>/", views.contact_log, name="log"),
    path("log/<int:account_id>/check/", views.contact_check_partial, name="check"),
]
