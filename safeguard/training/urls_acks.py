"""Training pages: acks."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
