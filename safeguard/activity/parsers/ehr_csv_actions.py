"""What EHR access-log action names mean (Epic METRIC_NAME, Cerner and other exports' ACTION values), compared
lower-cased and trimmed. A source's mapping may add or override names under "actions" ({name: activity}); the
name "*" there catches every name no table knows, e.g. {"*": "other"}."""

from __future__ import annotations

from safeguard.activity.schema import Activity, Outcome

FALLBACK = "*"

DEFAULT_ACTIONS: dict[str, Activity] = {
    **dict.fromkeys(
        ("view", "viewed", "read", "access", "chart review", "chart accessed", "open chart", "report viewed",
         "results viewed", "note viewed", "patient chart opened"),
        Activity.READ,
    ),
    **dict.fromkeys(("search", "patient search", "patient lookup", "lookup", "query"), Activity.QUERY),
    **dict.fromkeys(("print", "printed", "report printed", "print chart"), Activity.PRINT),
    **dict.fromkeys(("export", "exported", "download", "export data", "release of information"), Activity.EXPORT),
    **dict.fromkeys(("modify", "modified", "edit", "update", "chart modified", "note signed"), Activity.UPDATE),
    **dict.fromkeys(("create", "add", "new", "order entered", "note created"), Activity.CREATE),
    **dict.fromkeys(("delete", "remove", "deleted"), Activity.DELETE),
    **dict.fromkeys(("login", "logon", "log in", "sign in", "login failed", "failed login", "login failure",
                     "logon failure"), Activity.LOGON),
    **dict.fromkeys(("logout", "logoff", "log out", "sign out"), Activity.LOGOFF),
    **dict.fromkeys(("break the glass", "break glass", "btg", "emergency access"), Activity.BREAK_GLASS),
}  # fmt: skip

# Action names that say the attempt failed, whatever the outcome column says (or when there is none).
FAILED_ACTIONS = frozenset(("login failed", "failed login", "login failure", "logon failure"))

OUTCOMES: dict[str, Outcome] = {
    **dict.fromkeys(("success", "succeeded", "successful", "ok", "allowed", "granted", "s", "y", "yes", "true", "0"),
                    Outcome.SUCCESS),
    **dict.fromkeys(("failure", "failed", "fail", "denied", "error", "f", "n", "no", "false"), Outcome.FAILURE),
}  # fmt: skip
