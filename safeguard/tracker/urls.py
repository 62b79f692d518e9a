from django.urls import path

from safeguard.tracker import views

app_name = "tracker"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
