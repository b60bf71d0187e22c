from django.urls import path

from plans import views

app_name = "plans"
urlpatterns = [
    path("new/<int:account_id>/", views.plan_builder, name="new"),
    path("new/<int:account_id>/preview/", views.plan_preview, name="preview"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/agreement/", views.plan_agreement, name="agreement"),
    path("<int:pk>/approve/", views.plan_approve, name="approve"),
    path("<int:pk>/reject/", views.plan_reject, name="reject"),
    path("<int:pk>/reschedule/", views.plan_reschedule, name="reschedule"),
    path("new/<int:account_id>/settlement/", views.settlement_new, name="settlement_new"),
    path("settlements/<int:pk>/decide/", views.settlement_decide, name="settlement_decide"),
]
