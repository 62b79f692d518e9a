class ServiceError(Exception):
    """A rule refused the change. `field` names the input at fault, when there is one; nothing was written."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
