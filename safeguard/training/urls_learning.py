"""Training pages: the learner's journey (My training, courses, lessons, quiz attempts) and completion records,
certificates and the LMS completion import (under /o/<org_slug>/training/)."""

from django.urls import URLPattern, path

from safeguard.training import views_completions, views_learning

COURSE = "learn/<uuid:course_id>/"
LESSON = f"{COURSE}lessons/<uuid:lesson_id>/"
ATTEMPT = "attempts/<uuid:attempt_id>/"
COMPLETION = "completions/<uuid:completion_id>/"
PERSON = "completions/people/<uuid:person_id>/"

urlpatterns: list[URLPattern] = [
    path("me/", views_learning.my_training, name="my_training"),
    path(COURSE, views_learning.learn_course, name="learn_course"),
    path(LESSON, views_learning.learn_lesson, name="learn_lesson"),
    path(f"{LESSON}read/", views_learning.lesson_mark_read, name="lesson_mark_read"),
    path(f"{COURSE}quiz/start/", views_learning.attempt_start, name="attempt_start"),
    path(ATTEMPT, views_learning.attempt_take, name="attempt_take"),
    path(f"{ATTEMPT}result/", views_learning.attempt_result, name="attempt_result"),
    path("completions/", views_completions.completion_list, name="completion_list"),
    path("completions/new/", views_completions.completion_create, name="completion_create"),
    path("completions/import/", views_completions.completion_import, name="completion_import"),
    path(COMPLETION, views_completions.completion_detail, name="completion_detail"),
    path(f"{COMPLETION}certificate.pdf", views_completions.certificate, name="certificate"),
    path("certificates/verify/", views_completions.certificate_verify, name="certificate_verify"),
    path(PERSON, views_completions.person_completions_page, name="person_completions"),
    path(
        f"{PERSON}courses/<uuid:course_id>/grant-attempts/",
        views_completions.attempts_grant_view,
        name="attempts_grant",
    ),
]
