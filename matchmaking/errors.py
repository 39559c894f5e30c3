"""Domain errors raised by services; views turn them into a Chinese message."""


class DomainError(Exception):
    """An action that the rules of the platform do not allow.

    ``code`` is a stable machine-readable name for the API; ``message`` is for people.
    """

    code = "domain_error"
    status = 409

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class IllegalTransition(DomainError):
    code = "illegal_transition"


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403


class ValidationFailed(DomainError):
    code = "invalid"
    status = 400
