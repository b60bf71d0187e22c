from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.start, name="start"),
    path("verify/", views.verify, name="verify"),
    path("code/", views.code, name="code"),
    path("home/", views.home, name="home"),
    path("preferences/", views.preferences, name="preferences"),
    path("signout/", views.signout, name="signout"),
    path("a/<int:account_id>/", views.account, name="account"),
    path("a/<int:account_id>/plan/", views.plan, name="plan"),
    path("a/<int:account_id>/pay/", views.pay, name="pay"),
    path("a/<int:account_id>/paid/<str:token>/", views.paid, name="paid"),
    path("a/<int:account_id>/promise/", views.act, {"name": "promise"}, name="promise"),
    path("a/<int:account_id>/callback/", views.act, {"name": "callback"}, name="callback"),
    path("a/<int:account_id>/dispute/", views.act, {"name": "dispute"}, name="dispute"),
    path("a/<int:account_id>/hardship/", views.act, {"name": "hardship"}, name="hardship"),
    # Last: a token is any other path segment.
    path("<str:token>/", views.link, name="link"),
]
