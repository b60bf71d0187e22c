from django.urls import path

from legal import views

app_name = "legal"

urlpatterns = [
    path("", views.index, name="index"),
    path("refer/<int:pk>/", views.refer, name="refer"),
    path("referrals/<int:pk>/", views.referral, name="referral"),
    path("cases/<int:pk>/", views.case, name="case"),
    path("documents/<int:pk>/", views.document, name="document"),
]
