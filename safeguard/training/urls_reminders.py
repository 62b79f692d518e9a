"""Training pages: reminders."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
