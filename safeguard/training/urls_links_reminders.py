"""Training pages: links_reminders."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
