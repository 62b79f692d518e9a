from django.db import models


class Safeguard(models.TextChoices):
    ADMINISTRATIVE = "administrative", "Administrative safeguards (164.308)"
    PHYSICAL = "physical", "Physical safeguards (164.310)"
    TECHNICAL = "technical", "Technical safeguards (164.312)"
    ORGANIZATIONAL = "organizational", "Organizational requirements (164.314)"
    DOCUMENTATION = "documentation", "Policies, procedures and documentation (164.316)"


class RequirementQuerySet(models.QuerySet["Requirement"]):
    def leaves(self) -> "RequirementQuerySet":
        """What is assessed directly: every specification, and every standard that has none."""
        return self.filter(
            models.Q(kind=Requirement.Kind.SPECIFICATION) | models.Q(kind=Requirement.Kind.STANDARD, children=None)
        )


class Requirement(models.Model):
    """A standard or implementation specification of the Security Rule, identified by its citation."""

    class Kind(models.TextChoices):
        STANDARD = "standard", "Standard"
        SPECIFICATION = "implementation_specification", "Implementation specification"

    citation = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    safeguard = models.CharField(max_length=20, choices=Safeguard.choices)
    required = models.BooleanField(help_text="Required, or addressable (164.306(d)).")
    nprm_2025_change = models.TextField(blank=True, help_text="What the January 2025 proposed rule would change.")
    title_source = models.CharField(max_length=20, default="regulation")
    note = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0, help_text="Order in the regulation.")

    objects = RequirementQuerySet.as_manager()

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.citation} {self.title}"

    @property
    def is_addressable(self) -> bool:
        return self.kind == self.Kind.SPECIFICATION and not self.required

    @property
    def requirement_label(self) -> str:
        return "Required" if self.required else "Addressable"
