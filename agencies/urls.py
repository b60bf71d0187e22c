from django.urls import path

from agencies import views

app_name = "agencies"
urlpatterns = [
    path("", views.agency_list, name="list"),
    path("<int:pk>/", views.agency_detail, name="detail"),
    path("place/", views.placement_page, name="place"),
    path("place/submit/", views.placement_submit, name="place_submit"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/export.csv", views.batch_export, name="batch_export"),
    path("placements/<int:pk>/recall/", views.placement_recall, name="recall"),
]
