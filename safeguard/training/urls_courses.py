"""Training pages: courses."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
