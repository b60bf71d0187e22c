from django.urls import path

from dashboards import strategy_views, views

app_name = "dashboards"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/<slug:table>.csv", views.dashboard_export, name="export"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:pk>/decide/", views.approval_decide, name="approval_decide"),
    path(
        "approvals/settlements/<int:pk>/decide/",
        views.settlement_approval_decide,
        name="settlement_approval_decide",
    ),
    path(
        "approvals/write-offs/<int:pk>/decide/",
        views.write_off_approval_decide,
        name="write_off_approval_decide",
    ),
    path("workload/", views.workload_page, name="workload"),
    path("workload/reassign/", views.workload_reassign, name="reassign"),
    path("workload/rebalance/", views.workload_rebalance, name="rebalance"),
    path("exceptions/", views.exceptions, name="exceptions"),
    path("strategies/", strategy_views.strategies, name="strategies"),
    path("strategies/<int:pk>/", strategy_views.strategy, name="strategy"),
]
