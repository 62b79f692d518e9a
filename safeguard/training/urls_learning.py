"""Training pages: learning."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
