from django.urls import path

from checkout import views

app_name = "checkout"
urlpatterns = [
    path("webhooks/<slug:provider>/", views.webhook, name="webhook"),
    path("fake/<str:token>/", views.fake_page, name="fake_page"),
]
