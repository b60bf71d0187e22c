from django.urls import path

from workspace import views

# The pages kept their URL names (accounts:queue, accounts:detail, …) when they moved here.
app_name = "accounts"
urlpatterns = [
    path("", views.account_list, name="list"),
    path("queue/", views.work_queue, name="queue"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/reveal/", views.account_reveal, name="reveal"),
    path("reauth/", views.reauth, name="reauth"),
]
