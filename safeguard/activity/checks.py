"""The activity app's tracker checks, one module each: information system activity review
(164.308(a)(1)(ii)(D)), log-in monitoring (164.308(a)(5)(ii)(C)) and audit controls (164.312(b))."""

from safeguard.activity import checks_audit_controls, checks_login_monitoring, checks_review  # noqa: F401
