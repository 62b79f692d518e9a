"""Personal API tokens, under /accounts/api-tokens/."""

from django.urls import path

from safeguard.core.views import api_tokens as views

urlpatterns = [
    path("", views.token_list, name="api_tokens"),
    path("<uuid:token_id>/revoke/", views.token_revoke, name="api_token_revoke"),
]
