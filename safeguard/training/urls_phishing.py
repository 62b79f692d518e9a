"""Training pages: phishing."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
