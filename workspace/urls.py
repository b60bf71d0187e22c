from django.urls import path

from workspace import case_actions, views

# The pages kept their URL names (accounts:queue, accounts:detail, …) when they moved here.
app_name = "accounts"
urlpatterns = [
    path("", views.account_list, name="list"),
    path("queue/", views.work_queue, name="queue"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/reveal/", views.account_reveal, name="reveal"),
    path("reauth/", views.reauth, name="reauth"),
    # The case page's actions (workspace.case_actions): <pk> is the account, <item> the object.
    path("<int:pk>/budget/", case_actions.budget_update, name="budget"),
    path("<int:pk>/contact-points/", case_actions.contact_point_add, name="contact_point_add"),
    path(
        "<int:pk>/contact-points/<int:item>/opt-out/",
        case_actions.contact_point_opt_out,
        name="contact_point_opt_out",
    ),
    path("<int:pk>/restrictions/", case_actions.restriction_add, name="restriction_add"),
    path(
        "<int:pk>/restrictions/<int:item>/end/",
        case_actions.restriction_lift,
        name="restriction_end",
    ),
    path(
        "<int:pk>/disputes/<int:item>/transition/",
        case_actions.dispute_transition,
        name="dispute_transition",
    ),
    path(
        "<int:pk>/complaints/<int:item>/transition/",
        case_actions.complaint_transition,
        name="complaint_transition",
    ),
    path("<int:pk>/plans/<int:item>/cancel/", case_actions.plan_cancel_view, name="plan_cancel"),
    path("<int:pk>/hardship/", case_actions.hardship_add, name="hardship_add"),
    path("<int:pk>/hardship/<int:item>/end/", case_actions.hardship_finish, name="hardship_end"),
    path("<int:pk>/write-off/", case_actions.write_off_add, name="write_off_propose"),
    path(
        "<int:pk>/contacts/<int:item>/recording/",
        case_actions.contact_recording,
        name="contact_recording",
    ),
    path(
        "<int:pk>/callbacks/<int:item>/complete/",
        case_actions.callback_done,
        name="callback_complete",
    ),
    path(
        "<int:pk>/callbacks/<int:item>/reschedule/",
        case_actions.callback_move,
        name="callback_reschedule",
    ),
]
