from django.urls import path

from contacts import views

app_name = "contacts"
urlpatterns = [
    path("log/<int:account_id>/", views.contact_log, name="log"),
    path("log/<int:account_id>/check/", views.contact_check_partial, name="check"),
]
