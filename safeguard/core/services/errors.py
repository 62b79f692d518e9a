class ServiceError(Exception):
    """A rule refused the change. `field` names the input at fault, when there is one; nothing was written."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @classmethod
    def raise_first(cls, errors: dict[str, str]) -> None:
        """Raise the first of a field → message map of problems (rules that also serve imports collect them all)."""
        if errors:
            name, message = next(iter(errors.items()))
            raise cls(message, field=name)
