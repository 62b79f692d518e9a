"""What a syslog message says, for the senders we know: Cisco ASA (AAA and VPN), OpenVPN and sshd. Each reader
is chosen by the message's app (tag) and then by its pattern, and returns the event's class, activity, outcome,
user and client address; a message none of them knows returns None and is stored as it is (see syslog.py).

Sign-in attempts are authentication logons; VPN tunnels opening and closing are network sessions. OpenVPN writes
no separate "authenticated" line, so its "Peer Connection Initiated" counts as the successful logon."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from safeguard.activity.parsers.syslog_frame import SyslogMessage
from safeguard.activity.schema import Activity, EventClass, Outcome

Fields = dict[str, Any]
Reader = Callable[[SyslogMessage], Fields | None]

AUTH = str(EventClass.AUTHENTICATION)
SESSION = str(EventClass.NETWORK_SESSION)

_READERS: list[tuple[Callable[[str], bool], Reader]] = []


def reader(app_matches: Callable[[str], bool]) -> Callable[[Reader], Reader]:
    def register(function: Reader) -> Reader:
        _READERS.append((app_matches, function))
        return function

    return register


def read_payload(message: SyslogMessage) -> Fields | None:
    """The first reader for this app that recognises the message; a message without an app tries them all."""
    app = (message.app or "").lower()
    for app_matches, function in _READERS:
        if app and not app_matches(app):
            continue
        fields = function(message)
        if fields is not None:
            return fields
    return None


def _event(event_class: str, activity: Activity, outcome: Outcome, **fields: Any) -> Fields:
    return {"event_class": event_class, "activity": str(activity), "outcome": str(outcome), **fields}


# Cisco ASA: "%ASA-<severity>-<id>: <text>" (the id is the tag, or the start of the text without a tag).

_ASA_ID = re.compile(r"%ASA-(?P<level>\d)-(?P<id>\d{6}):? ?")
_ASA_GROUP_USER_IP = re.compile(r"Group <(?P<group>[^>]*)> User <(?P<user>[^>]*)> IP <(?P<ip>[^>]*)>")
_ASA_LOGIN = re.compile(
    r"Login (?P<verdict>permitted|denied) from (?P<ip>[^/\s]+)/\d+ to [^:\s]+:(?P<dst>[^/\s]+)/(?P<service>\S+)"
    r' for user "(?P<user>[^"]*)"'
)
_ASA_IKEV2 = re.compile(r"Remote:\s*(?P<ip>\S+?):\d+\s+Username:\s*(?P<user>\S+)")
_ASA_SESSION_STARTS = {"722051", "716001", "751025"}
_ASA_SESSION_ENDS = {"722037", "722023", "716002"}


def _asa_pairs(text: str) -> dict[str, str]:
    """The " : key = value" segments of the AAA messages (113004, 113005)."""
    pairs = {}
    for segment in text.split(" : ")[1:]:
        key, equals, value = segment.partition("=")
        if equals:
            pairs[key.strip().lower()] = value.strip()
    return pairs


def _asa_reason(text: str) -> str | None:
    _, colon, reason = text.partition(": ")
    return reason.strip().rstrip(".") or None if colon else None


@reader(lambda app: app.startswith("%asa-") or app in ("asa", "ciscoasa"))
def cisco_asa(message: SyslogMessage) -> Fields | None:
    found = _ASA_ID.match(f"{message.app}: " if message.app and message.app.startswith("%") else message.msg)
    if found is None:
        return None
    text = message.msg if message.app and message.app.startswith("%") else message.msg[found.end() :]
    code = found.group("id")
    base = {"dst_service": "Cisco ASA", "action_name": f"%ASA-{found.group('level')}-{code}"}
    if code in ("113004", "113005"):
        pairs = _asa_pairs(text)
        success = code == "113004"
        return _event(
            AUTH,
            Activity.LOGON,
            Outcome.SUCCESS if success else Outcome.FAILURE,
            user_name=pairs.get("user"),
            src_ip=pairs.get("user ip"),
            outcome_reason=None if success else pairs.get("reason"),
            **base,
        )
    if code in ("605004", "605005"):
        login = _ASA_LOGIN.search(text)
        if login is None:
            return None
        success = login.group("verdict") == "permitted"
        return _event(
            AUTH,
            Activity.LOGON,
            Outcome.SUCCESS if success else Outcome.FAILURE,
            user_name=login.group("user"),
            src_ip=login.group("ip"),
            outcome_reason=None if success else f"management login ({login.group('service')}) denied",
            **base,
        )
    if code in _ASA_SESSION_STARTS or code in _ASA_SESSION_ENDS:
        who = _ASA_GROUP_USER_IP.search(text) or _ASA_IKEV2.search(text)
        if who is None:
            return None
        start = code in _ASA_SESSION_STARTS
        return _event(
            SESSION,
            Activity.SESSION_START if start else Activity.SESSION_END,
            Outcome.SUCCESS,
            user_name=who.group("user"),
            src_ip=who.group("ip"),
            outcome_reason=None if start else _asa_reason(text),
            **base,
        )
    return None


# OpenVPN server: "<user>/<ip>:<port> …" once the client is authenticated, "<ip>:<port> [<user>] …" before.

_OVPN_CLIENT = r"(?:(?P<user>[^/\s]+)/)?(?P<ip>[0-9A-Fa-f.:]+?):\d+ "
_OVPN_INITIATED = re.compile(_OVPN_CLIENT + r"(?:\[(?P<cn>[^\]]*)\] )?Peer Connection Initiated")
_OVPN_AUTH_FAILED = re.compile(_OVPN_CLIENT + r".*?(?:\[(?P<cn>[^\]]*)\]: )?'?AUTH_FAILED")
_OVPN_EXITING = re.compile(_OVPN_CLIENT + r".*client-instance exiting")


def _ovpn_user(match: re.Match[str]) -> str | None:
    return match.group("user") or match.groupdict().get("cn") or None


@reader(lambda app: app.startswith(("openvpn", "ovpn")))
def openvpn(message: SyslogMessage) -> Fields | None:
    base = {"dst_service": "OpenVPN"}
    if found := _OVPN_INITIATED.search(message.msg):
        return _event(
            AUTH,
            Activity.LOGON,
            Outcome.SUCCESS,
            user_name=_ovpn_user(found),
            src_ip=found.group("ip"),
            action_name="Peer Connection Initiated",
            **base,
        )
    if found := _OVPN_AUTH_FAILED.search(message.msg):
        return _event(
            AUTH,
            Activity.LOGON,
            Outcome.FAILURE,
            user_name=_ovpn_user(found),
            src_ip=found.group("ip"),
            outcome_reason="AUTH_FAILED",
            action_name="AUTH_FAILED",
            **base,
        )
    if found := _OVPN_EXITING.search(message.msg):
        return _event(
            SESSION,
            Activity.SESSION_END,
            Outcome.SUCCESS,
            user_name=found.group("user"),
            src_ip=found.group("ip"),
            action_name="client-instance exiting",
            **base,
        )
    return None


# OpenSSH server.

_SSH_ACCEPTED = re.compile(r"^Accepted (?P<method>\S+) for (?P<user>\S+) from (?P<ip>\S+) port \d+")
_SSH_FAILED = re.compile(
    r"^Failed (?P<method>\S+) for (?P<invalid>invalid user )?(?P<user>\S+) from (?P<ip>\S+) port \d+"
)
_SSH_CLOSED = re.compile(r"^pam_unix\(sshd:session\): session closed for user (?P<user>\S+)")


@reader(lambda app: app == "sshd")
def sshd(message: SyslogMessage) -> Fields | None:
    base = {"dst_service": "sshd"}
    if found := _SSH_ACCEPTED.match(message.msg):
        return _event(
            AUTH,
            Activity.LOGON,
            Outcome.SUCCESS,
            user_name=found.group("user"),
            src_ip=found.group("ip"),
            action_name=f"accepted {found.group('method')}",
            **base,
        )
    if found := _SSH_FAILED.match(message.msg):
        reason = "invalid user" if found.group("invalid") else f"wrong {found.group('method')}"
        return _event(
            AUTH,
            Activity.LOGON,
            Outcome.FAILURE,
            user_name=found.group("user"),
            src_ip=found.group("ip"),
            outcome_reason=reason,
            action_name=f"failed {found.group('method')}",
            **base,
        )
    if found := _SSH_CLOSED.match(message.msg):
        return _event(
            AUTH, Activity.LOGOFF, Outcome.SUCCESS, user_name=found.group("user"), action_name="session closed", **base
        )
    return None
