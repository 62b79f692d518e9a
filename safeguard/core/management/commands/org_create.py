"""Create an organization and its first owner from the command line (the first step of a new install)."""

from __future__ import annotations

from getpass import getpass
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from safeguard.core.audit import Actor
from safeguard.core.models import Organization, User
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.organizations import org_create


class Command(BaseCommand):
    help = (
        "Create an organization and its first owner. The owner's account is created when it does not exist yet, "
        "without a usable password unless --owner-password-prompt is given. Exits 1 if the slug is taken."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True, help="short name used in URLs: lowercase letters, digits, '-'")
        parser.add_argument("--name", required=True, help="the organization's full name")
        parser.add_argument("--owner-email", required=True, help="email of the first owner (created if missing)")
        parser.add_argument(
            "--kind",
            default=Organization.Kind.COVERED_ENTITY,
            choices=Organization.Kind.values,
            help="covered entity (default), business associate, hybrid entity or MSP-managed",
        )
        parser.add_argument(
            "--owner-password-prompt",
            action="store_true",
            help="ask for the new owner account's password (typed twice, checked by the password rules)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug, email = options["slug"], options["owner_email"].strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"{email!r} is not a valid email address.") from None
        if Organization.objects.filter(slug=slug).exists():
            raise CommandError(f"An organization with the slug {slug!r} already exists; choose another slug.")
        user = User.objects.filter(email__iexact=email).first()
        password = self._ask_password(email) if options["owner_password_prompt"] and user is None else None
        try:
            with transaction.atomic():
                if user is None:
                    user = User.objects.create_user(email=email, password=password)
                    created = True
                else:
                    created = False
                organization = org_create(
                    actor=Actor.system("org_create"), slug=slug, name=options["name"], owner=user, kind=options["kind"]
                )
        except ServiceError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Created organization '{organization.slug}' ({organization.name}, "
                f"{organization.get_kind_display().lower()}) with owner {user.email}."
            )
        )
        self._explain_sign_in(user, created=created, prompted=options["owner_password_prompt"])

    def _ask_password(self, email: str) -> str:
        password = getpass(f"Password for {email}: ")
        if password != getpass("Password (again): "):
            raise CommandError("The two passwords differ; nothing was created.")
        try:
            validate_password(password, User(email=email))
        except ValidationError as error:
            raise CommandError("Password refused: " + " ".join(error.messages) + " Nothing was created.") from None
        return password

    def _explain_sign_in(self, user: User, *, created: bool, prompted: bool) -> None:
        if not created:
            self.stdout.write(f"{user.email} already had an account; its password is unchanged.")
        elif not user.has_usable_password():
            self.stdout.write(f"The account {user.email} has no password yet. Set one with:")
            self.stdout.write(f"  python manage.py changepassword {user.email}")
            try:
                reset = settings.SITE_URL.rstrip("/") + reverse("password_reset")
            except NoReverseMatch:
                reset = ""
            if reset:
                self.stdout.write(f"or have them request a reset link at {reset}")
        elif prompted:
            self.stdout.write(f"The account {user.email} was created with the password you typed.")
        self.stdout.write("Members enrol an authenticator app (MFA) at their first sign-in; it is required by default.")
