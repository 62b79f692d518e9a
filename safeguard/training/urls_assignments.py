"""Training pages: assignments."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
