"""Training pages: the curriculum (courses, their lessons and quiz, topics) and the starter curriculum."""

from django.urls import URLPattern, path

from safeguard.training import views_course_content as content
from safeguard.training import views_courses as views

COURSE = "courses/<uuid:course_id>/"
LESSON = f"{COURSE}lessons/<uuid:lesson_id>/"
QUESTION = f"{COURSE}questions/<uuid:question_id>/"

urlpatterns: list[URLPattern] = [
    path("courses/", views.course_list, name="course_list"),
    path("courses/new/", views.course_create, name="course_create"),
    path("courses/starter/", views.starter_install, name="starter_install"),
    path(COURSE, views.course_detail, name="course_detail"),
    path(f"{COURSE}edit/", views.course_edit, name="course_edit"),
    path(f"{COURSE}publish/", views.course_publish, name="course_publish"),
    path(f"{COURSE}retire/", views.course_retire, name="course_retire"),
    path(f"{COURSE}delete/", views.course_delete, name="course_delete"),
    path(f"{COURSE}prerequisites/", views.course_prerequisites, name="course_prerequisites"),
    path(f"{COURSE}lessons/new/", content.lesson_create, name="lesson_create"),
    path(LESSON, content.lesson_detail, name="lesson_detail"),
    path(f"{LESSON}move/", content.lesson_move, name="lesson_move"),
    path(f"{LESSON}delete/", content.lesson_delete, name="lesson_delete"),
    path(f"{COURSE}questions/new/", content.question_create, name="question_create"),
    path(QUESTION, content.question_edit, name="question_edit"),
    path(f"{QUESTION}move/", content.question_move, name="question_move"),
    path(f"{QUESTION}delete/", content.question_delete, name="question_delete"),
    path("topics/", views.topic_list, name="topic_list"),
    path("topics/new/", views.topic_create, name="topic_create"),
    path("topics/<uuid:topic_id>/edit/", views.topic_edit, name="topic_edit"),
]
