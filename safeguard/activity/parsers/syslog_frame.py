"""Reading a syslog line's header: RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`) and RFC 3164
(`<PRI>Mmm dd hh:mm:ss HOST TAG[pid]: MSG`, also without its PRI, which some relays strip, and with the year or
an RFC 3339 time that many senders put in its place).

RFC 3164 times carry neither year nor zone. They are read in the source's zone, and the year is inferred: the
year that makes the time the most recent one not more than a day after a reference, which is the latest full
time (with its year) already read from the same file or batch, or the time of reading when there is none. A log
read the day it was written therefore gets this year, a December line read in January last year's, and a line
just after New Year in a file whose other lines say December the next year. The day of slack absorbs clocks and
zones a little ahead of ours."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from safeguard.activity.parsers.common import TimeError, parse_time

NIL = "-"
MONTHS = {name: number for number, name in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
FUTURE_SLACK = timedelta(days=1)

_PRI = re.compile(r"<(\d{1,3})>")
_BSD_TIME = re.compile(
    r"(?P<mon>[A-Z][a-z]{2}) {1,2}(?P<day>\d{1,2}) (?:(?P<year>\d{4}) )?(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})"
    r"(?:\.\d+)?:?(?: |$)"
)
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\S+(?: |$)")
_SD_PARAM = re.compile(r' ([^=\s\]"]+)="')
_TAG = re.compile(r"(?P<tag>[^\s:\[\]]{1,64})(?:\[(?P<pid>[^\]\s]{1,32})\])?: ?")


class FrameError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass
class SyslogMessage:
    time: datetime  # UTC
    host: str | None
    app: str | None
    procid: str | None
    msgid: str | None
    msg: str
    facility: int | None = None
    severity: int | None = None
    structured: dict[str, dict[str, str]] = field(default_factory=dict)
    year_inferred: bool = False


@dataclass
class YearReference:
    """The latest full time read so far (see the module's note); `now` when the input has none yet."""

    now: datetime
    latest: datetime | None = None

    def reference(self) -> datetime:
        return self.latest or self.now

    def saw(self, moment: datetime) -> None:
        if self.latest is None or moment > self.latest:
            self.latest = moment


def _nil(value: str) -> str | None:
    return None if value == NIL else value


def read_pri(line: str) -> tuple[int | None, str]:
    match = _PRI.match(line)
    if match is None:
        return None, line
    pri = int(match.group(1))
    if pri > 191:
        raise FrameError("pri", f"<{pri}> is out of range (0–191)")
    return pri, line[match.end() :]


def parse_structured_data(text: str) -> tuple[dict[str, dict[str, str]], str]:
    """RFC 5424 STRUCTURED-DATA at the start of `text`: the elements and what follows them. Inside values,
    backslash escapes '"', '\\' and ']'; any other backslash is kept as written (section 6.3.3)."""
    if text.startswith(NIL):
        return {}, text[1:]
    elements: dict[str, dict[str, str]] = {}
    position = 0
    while position < len(text) and text[position] == "[":
        end_id = position + 1
        while end_id < len(text) and text[end_id] not in " ]":
            end_id += 1
        sd_id = text[position + 1 : end_id]
        if not sd_id:
            raise FrameError("structured_data", "an element has no SD-ID")
        params: dict[str, str] = {}
        position = end_id
        while position < len(text) and text[position] == " ":
            match = _SD_PARAM.match(text, position)
            if match is None:
                raise FrameError("structured_data", f'[{sd_id}: expected name="value"')
            position, value = _sd_value(text, match.end(), sd_id)
            params[match.group(1)] = value
        if position >= len(text) or text[position] != "]":
            raise FrameError("structured_data", f"[{sd_id}: missing the closing ']'")
        elements[sd_id] = params
        position += 1
    if position == 0:
        raise FrameError("structured_data", "expected '-' or '['")
    return elements, text[position:]


def _sd_value(text: str, position: int, sd_id: str) -> tuple[int, str]:
    value: list[str] = []
    while position < len(text):
        char = text[position]
        if char == "\\" and position + 1 < len(text) and text[position + 1] in '"\\]':
            value.append(text[position + 1])
            position += 2
        elif char == '"':
            return position + 1, "".join(value)
        else:
            value.append(char)
            position += 1
    raise FrameError("structured_data", f"[{sd_id}: a value is not closed by '\"'")


def parse_5424(rest: str) -> SyslogMessage:
    parts = rest.split(" ", 6)
    if len(parts) < 7:
        raise FrameError("header", "RFC 5424 needs VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA")
    _version, stamp, host, app, procid, msgid, tail = parts
    if stamp == NIL:
        raise FrameError("timestamp", "is '-' (NILVALUE): the event's time is unknown")
    try:
        moment = parse_time(stamp)
    except TimeError as exc:
        raise FrameError("timestamp", str(exc)) from None
    structured, message = parse_structured_data(tail)
    message = message[1:] if message.startswith(" ") else message
    return SyslogMessage(
        time=moment,
        host=_nil(host),
        app=_nil(app),
        procid=_nil(procid),
        msgid=_nil(msgid),
        msg=message.removeprefix("\ufeff"),
        structured=structured,
    )


def _infer_year(month: int, day: int, clock: tuple[int, int, int], zone: ZoneInfo, ref: datetime) -> datetime:
    local_ref = ref.astimezone(zone)
    for year in (local_ref.year + 1, local_ref.year, local_ref.year - 1):
        try:
            candidate = datetime(year, month, day, *clock, tzinfo=zone)
        except ValueError:  # 29 February outside a leap year
            continue
        if candidate <= ref + FUTURE_SLACK:
            return candidate
    raise FrameError("timestamp", f"no year has {day} {month}")


def parse_3164(rest: str, zone: ZoneInfo, years: YearReference) -> SyslogMessage:
    iso = _ISO_TIME.match(rest)
    inferred = False
    if iso is not None:
        try:
            moment = parse_time(iso.group(0), default_zone=zone.key)
        except TimeError as exc:
            raise FrameError("timestamp", str(exc)) from None
        rest = rest[iso.end() :]
    else:
        bsd = _BSD_TIME.match(rest)
        if bsd is None or bsd.group("mon") not in MONTHS:
            raise FrameError("", "not a syslog message: expected <PRI> or a timestamp")
        month, day = MONTHS[bsd.group("mon")], int(bsd.group("day"))
        clock = (int(bsd.group("h")), int(bsd.group("m")), int(bsd.group("s")))
        try:
            if bsd.group("year"):
                local = datetime(int(bsd.group("year")), month, day, *clock, tzinfo=zone)
            else:
                local = _infer_year(month, day, clock, zone, years.reference())
                inferred = True
        except ValueError as exc:
            raise FrameError("timestamp", f"{bsd.group(0).strip()!r}: {exc}") from None
        moment = local.astimezone(UTC)
        rest = rest[bsd.end() :]
    if not inferred:
        years.saw(moment)
    host, content = _host_and_content(rest)
    tag = _TAG.match(content)
    if tag is None:
        app, procid, message = None, None, content
    else:
        app, procid, message = tag.group("tag"), tag.group("pid"), content[tag.end() :]
    return SyslogMessage(
        time=moment, host=host, app=app, procid=procid, msgid=None, msg=message, year_inferred=inferred
    )


def _host_and_content(rest: str) -> tuple[str | None, str]:
    """HOST is the first word unless that word is already the tag (`sshd[42]: …`, `%ASA-6-113004: …`), as
    when a sender leaves its host name out."""
    word, _, content = rest.partition(" ")
    if _TAG.fullmatch(word + " "):
        return None, rest
    content = content.removeprefix(": ") if content.startswith(": ") else content
    return (word or None), content


def parse_line(line: str, zone: ZoneInfo, years: YearReference) -> SyslogMessage:
    pri, rest = read_pri(line)
    if pri is not None and rest.startswith("1 "):
        message = parse_5424(rest)
        years.saw(message.time)
    else:
        message = parse_3164(rest, zone, years)
    if pri is not None:
        message.facility, message.severity = divmod(pri, 8)
    return message
