"""Exercise API routes (under /api/v1/orgs/<org_slug>/contingency/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.contingency.api import exercises

urlpatterns: list[URLPattern] = [
    path("exercises/", exercises.ExerciseListView.as_view(), name="contingency_exercises"),
    path("exercises/<uuid:exercise_id>/", exercises.ExerciseDetailView.as_view(), name="contingency_exercise"),
    path(
        "exercises/<uuid:exercise_id>/timeline/",
        exercises.ExerciseTimelineView.as_view(),
        name="contingency_exercise_timeline",
    ),
    path(
        "exercises/<uuid:exercise_id>/timeline/<str:entry_id>/",
        exercises.ExerciseTimelineEntryView.as_view(),
        name="contingency_exercise_timeline_entry",
    ),
    path(
        "exercises/<uuid:exercise_id>/actions/",
        exercises.ExerciseActionListView.as_view(),
        name="contingency_exercise_actions",
    ),
]
