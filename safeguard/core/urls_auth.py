"""Sign-in and account pages under /accounts/ (not tied to an organization)."""

from django.contrib.auth import views as django_auth_views
from django.urls import path

from safeguard.core import auth_views

urlpatterns = [
    path("", auth_views.account, name="account"),
    path("login/", auth_views.login_view, name="login"),
    path("logout/", django_auth_views.LogoutView.as_view(), name="logout"),
    path("mfa/verify/", auth_views.mfa_verify, name="mfa_verify"),
    path("mfa/setup/", auth_views.mfa_setup, name="mfa_setup"),
    path("mfa/recovery-codes/", auth_views.mfa_recovery_codes, name="mfa_recovery_codes"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        django_auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        django_auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
