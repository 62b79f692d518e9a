"""Validate Sigma rules: files of one or more documents, or an organization's stored rules.

With files, each problem is printed as "file:rule:field: message"; adding --org resolves references to the
organization's stored rules (a custom correlation counting a pack rule). With --org alone, the stored rules are
compiled together and problems print as "SLUG:rule:field: message". Exit status 0 when everything is valid,
1 when a rule has problems, 2 for a usage error (no file nor organization, unreadable file, unknown
organization)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguard.activity.engine import RuleDocument, RuleError, RuleProblem, compile_rules
from safeguard.activity.models import DetectionRule
from safeguard.activity.services.rules import SIGMA_KINDS, validate_rules_text
from safeguard.core.access import dangerously_get_organization
from safeguard.core.models import Organization

USAGE, PROBLEMS = 2, 1


class Command(BaseCommand):
    help = "Validate Sigma rule files, or an organization's stored rules."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", metavar="FILE", help="YAML files of Sigma documents")
        parser.add_argument("--org", metavar="SLUG", help="the organization whose stored rules to validate or use")

    def handle(self, *args: Any, **options: Any) -> None:
        files: list[str] = options["files"]
        if not files and not options["org"]:
            raise CommandError("Give rule files, or --org SLUG to validate its stored rules.", returncode=USAGE)
        organization = self._organization(options["org"]) if options["org"] else None
        texts = {name: self._read(name) for name in files}
        problems: list[str] = []
        if texts:
            for name, text in texts.items():
                problems += [self._line(name, p) for p in self._file_problems(organization, text)]
        elif organization is not None:
            problems = [self._line(organization.slug, p) for p in self._stored_problems(organization)]
        for line in problems:
            self.stderr.write(line)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) found.", returncode=PROBLEMS)
        self.stdout.write("All rules are valid.")

    def _organization(self, slug: str) -> Organization:
        try:
            return dangerously_get_organization(slug)
        except Organization.DoesNotExist:
            raise CommandError(f"No organization with slug {slug!r}.", returncode=USAGE) from None

    def _read(self, name: str) -> str:
        try:
            return Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{name}: cannot read it ({error}).", returncode=USAGE) from None

    @staticmethod
    def _line(where: str, problem: RuleProblem) -> str:
        return f"{where}:{problem.rule}:{problem.field}: {problem.message}"

    @staticmethod
    def _file_problems(organization: Organization | None, text: str) -> list[RuleProblem]:
        try:
            validate_rules_text(organization, text)
        except RuleError as error:
            return error.problems
        return []

    @staticmethod
    def _stored_problems(organization: Organization) -> list[RuleProblem]:
        rules = DetectionRule.objects.filter(organization=organization, kind__in=SIGMA_KINDS).order_by("name")
        documents = [
            RuleDocument(
                name=rule.name,
                yaml=rule.yaml,
                overrides=dict(rule.overrides or {}),
                suppression_seconds=rule.suppression_seconds,
            )
            for rule in rules
        ]
        if not documents:
            return []
        try:
            compile_rules(documents)
        except RuleError as error:
            return error.problems
        return []
