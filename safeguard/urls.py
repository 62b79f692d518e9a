from django.contrib import admin
from django.urls import include, path

from safeguard.core.views import home as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("safeguard.core.urls_auth")),
    path("accounts/api-tokens/", include("safeguard.core.urls_tokens")),
    path("calendar/<str:token>.ics", core_views.calendar_feed, name="calendar_feed"),
    path("o/<slug:org_slug>/", include("safeguard.tracker.urls")),
    path("o/<slug:org_slug>/", include("safeguard.core.urls")),
    path("o/<slug:org_slug>/risk/", include("safeguard.risk.urls")),
    path("o/<slug:org_slug>/workforce/", include("safeguard.workforce.urls")),
    path("o/<slug:org_slug>/access/", include("safeguard.access.urls")),
    path("o/<slug:org_slug>/training/", include("safeguard.training.urls")),
    path("o/<slug:org_slug>/activity/", include("safeguard.activity.urls")),
    path("o/<slug:org_slug>/incidents/", include("safeguard.incidents.urls")),
    path("o/<slug:org_slug>/contingency/", include("safeguard.contingency.urls")),
    path("t/", include("safeguard.training.urls_links")),
    path("scim/v2/", include("safeguard.workforce.scim_urls")),
    path("api/v1/", include("safeguard.api_urls")),
    path("admin/", admin.site.urls),
]
