from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguard.core.audit import Actor
from safeguard.core.models import User
from safeguard.core.services.accounts import mfa_reset
from safeguard.core.services.errors import ServiceError


class Command(BaseCommand):
    help = (
        "Remove a person's authenticator app and recovery codes after they lost both, so they enrol again at their "
        "next sign-in; their API tokens and calendar feed address are revoked too. Confirm who they are out of band "
        "first; the reason is recorded in the audit trail."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="the person's sign-in email")
        parser.add_argument("--reason", required=True, help="why, e.g. a ticket number and how identity was checked")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(f"No account with the email {options['email']!r}.")
        try:
            outcome = mfa_reset(actor=Actor.system("mfa_reset command"), user=user, reason=options["reason"])
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Removed {outcome.devices_removed} MFA device(s) of {user.email}; they enrol again at their next sign-in."
        )
        revoked = outcome.revoked
        self.stdout.write(
            f"Revoked {revoked.api_tokens} API token(s)"
            f"{' and the calendar feed address' if revoked.calendar_feed else ''}; they make new ones when needed."
        )
