"""Training pages: links_acks."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
