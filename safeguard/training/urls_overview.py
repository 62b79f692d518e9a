"""Training pages: overview."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
