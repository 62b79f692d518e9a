"""Training API routes: the curriculum (under /api/v1/orgs/<org_slug>/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.training.api import course_content, courses

COURSE = "training/courses/<uuid:course_id>/"
LESSON = f"{COURSE}lessons/<uuid:lesson_id>/"
QUESTION = f"{COURSE}questions/<uuid:question_id>/"

urlpatterns: list[URLPattern] = [
    path("training/topics/", courses.TopicListView.as_view(), name="training_topics"),
    path("training/topics/<uuid:topic_id>/", courses.TopicDetailView.as_view(), name="training_topic"),
    path("training/courses/", courses.CourseListView.as_view(), name="training_courses"),
    path(COURSE, courses.CourseDetailView.as_view(), name="training_course"),
    path(f"{COURSE}publish/", courses.CoursePublishView.as_view(), name="training_course_publish"),
    path(f"{COURSE}retire/", courses.CourseRetireView.as_view(), name="training_course_retire"),
    path(f"{COURSE}prerequisites/", courses.CoursePrerequisitesView.as_view(), name="training_course_prerequisites"),
    path(f"{COURSE}lessons/", course_content.LessonListView.as_view(), name="training_lessons"),
    path(LESSON, course_content.LessonDetailView.as_view(), name="training_lesson"),
    path(f"{COURSE}questions/", course_content.QuestionListView.as_view(), name="training_questions"),
    path(QUESTION, course_content.QuestionDetailView.as_view(), name="training_question"),
    path("training/starter/", courses.StarterInstallView.as_view(), name="training_starter"),
]
