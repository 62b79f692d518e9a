"""Exercise pages under /o/<org_slug>/contingency/exercises/."""

from django.urls import URLPattern, path

from safeguard.contingency import views_exercises as views

urlpatterns: list[URLPattern] = [
    path("", views.exercise_list, name="exercise_list"),
    path("new/", views.exercise_create, name="exercise_create"),
    path("<uuid:exercise_id>/", views.exercise_detail, name="exercise_detail"),
    path("<uuid:exercise_id>/edit/", views.exercise_edit, name="exercise_edit"),
    path("<uuid:exercise_id>/delete/", views.exercise_delete, name="exercise_delete"),
    path("<uuid:exercise_id>/timeline/", views.exercise_timeline_add, name="exercise_timeline_add"),
    path(
        "<uuid:exercise_id>/timeline/<str:entry_id>/remove/",
        views.exercise_timeline_remove,
        name="exercise_timeline_remove",
    ),
    path("<uuid:exercise_id>/actions/", views.exercise_action_add, name="exercise_action_add"),
]
