"""The syslog receiver: framing, batching by size and by time, failures kept for a retry, and a clean stop that
hands on everything held. Servers bind an ephemeral port on loopback."""

from __future__ import annotations

import io
import socket
import threading

import pytest

from safeguard.activity.syslog_listener import MessageBuffer, SyslogListener, read_frame

WAIT = 10.0  # seconds to wait for an event that should come at once; never a timing assertion


class Collector:
    """A flush callback that records its batches and signals each one."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.arrived = threading.Event()

    def __call__(self, lines: list[str]) -> None:
        self.batches.append(list(lines))
        self.arrived.set()

    @property
    def lines(self) -> list[str]:
        return [line for batch in self.batches for line in batch]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _frames(data: bytes) -> list[bytes]:
    stream = io.BufferedReader(io.BytesIO(data))
    frames = []
    while (frame := read_frame(stream)) is not None:
        frames.append(frame)
    return frames


def test_octet_counting_frames_may_hold_newlines():
    first, second = b"<13>1 - h a - - - one\nline", b"<13>Jan  1 00:00:00 h a: two"
    data = b"%d %s%d %s" % (len(first), first, len(second), second)
    assert _frames(data) == [first, second]


def test_newline_framing_and_a_mix_frame_by_frame():
    data = b"<13>Jan  1 00:00:00 h a: one\r\n\n5 hello<13>Jan  1 00:00:01 h a: two\n2024-01-01T00:00:00Z h a: iso\n"
    assert _frames(data) == [
        b"<13>Jan  1 00:00:00 h a: one",
        b"hello",
        b"<13>Jan  1 00:00:01 h a: two",
        b"2024-01-01T00:00:00Z h a: iso",
    ]


def test_a_frame_cut_short_by_the_end_of_the_stream_is_kept():
    assert _frames(b"40 <13>Jan  1 00:00:00 h a: cut") == [b"<13>Jan  1 00:00:00 h a: cut"]


def test_buffer_is_due_at_flush_lines_or_when_its_oldest_has_waited():
    clock, collector = FakeClock(), Collector()
    buffer = MessageBuffer(collector, flush_lines=3, flush_seconds=5, clock=clock)
    assert not buffer.due()
    buffer.add("a")
    clock.now += 4.9
    buffer.add("b")
    assert not buffer.due()
    clock.now += 0.1
    assert buffer.due()  # "a" has waited 5 s
    assert buffer.flush() == 2
    buffer.add("c")
    buffer.add("d")
    buffer.add("e")
    assert buffer.due()  # three held
    buffer.add("f")
    assert buffer.flush() == 4
    assert collector.batches == [["a", "b"], ["c", "d", "e"], ["f"]]
    assert (buffer.counters.received, buffer.counters.flushed, buffer.counters.batches) == (6, 6, 3)


def test_a_failed_flush_keeps_the_messages_for_the_next_one():
    errors: list[tuple[str, int]] = []
    calls: list[list[str]] = []

    def flaky(lines: list[str]) -> None:
        calls.append(list(lines))
        if len(calls) == 1:
            raise RuntimeError("database is locked")

    buffer = MessageBuffer(
        flaky, flush_lines=10, flush_seconds=5, on_error=lambda exc, held: errors.append((str(exc), held))
    )
    buffer.add("a")
    buffer.add("b")
    assert buffer.flush() == 0
    assert errors == [("database is locked", 2)]
    buffer.add("c")
    assert buffer.flush() == 3
    assert calls == [["a", "b"], ["a", "b", "c"]]
    assert (buffer.counters.failures, buffer.counters.dropped, buffer.held) == (1, 0, 0)


def test_beyond_max_held_the_oldest_are_dropped_and_counted():
    def failing(lines: list[str]) -> None:
        raise RuntimeError("down")

    buffer = MessageBuffer(failing, flush_lines=2, flush_seconds=5, max_held=3, on_error=lambda exc, held: None)
    for line in "abcde":
        buffer.add(line)
    buffer.flush()
    assert buffer.held == 3
    assert buffer.counters.dropped == 2
    keep: list[str] = []
    buffer._flush = keep.extend  # the store is back
    buffer.flush()
    assert keep == ["c", "d", "e"]


def _send_udp(address: tuple[str, int], *messages: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for message in messages:
            sender.sendto(message, address)


def test_udp_batches_flush_by_size():
    collector = Collector()
    listener = SyslogListener(
        host="127.0.0.1", port=0, protocol="udp", flush=collector, flush_lines=3, flush_seconds=3600
    )
    address = listener.start()
    try:
        _send_udp(
            address, b"<13>Jan  1 00:00:00 h a: 1\n", b"<13>Jan  1 00:00:00 h a: 2", b"<13>Jan  1 00:00:00 h a: 3"
        )
        assert collector.arrived.wait(WAIT)
    finally:
        counters = listener.stop()
    assert sorted(collector.batches[0]) == [
        "<13>Jan  1 00:00:00 h a: 1",
        "<13>Jan  1 00:00:00 h a: 2",
        "<13>Jan  1 00:00:00 h a: 3",
    ]
    assert (counters.received, counters.flushed, counters.batches) == (3, 3, 1)


def test_udp_flushes_by_time_when_the_batch_stays_small():
    collector = Collector()
    listener = SyslogListener(
        host="127.0.0.1", port=0, protocol="udp", flush=collector, flush_lines=1000, flush_seconds=0.05
    )
    address = listener.start()
    try:
        _send_udp(address, b"<13>Jan  1 00:00:00 h a: alone")
        assert collector.arrived.wait(WAIT)
        assert collector.batches == [["<13>Jan  1 00:00:00 h a: alone"]]
    finally:
        listener.stop()


def test_tcp_stop_hands_on_everything_held_over_open_connections():
    collector = Collector()
    listener = SyslogListener(
        host="127.0.0.1", port=0, protocol="tcp", flush=collector, flush_lines=1000, flush_seconds=3600
    )
    address = listener.start()
    first = b"<13>1 2024-01-01T00:00:00Z h app - - - counted\nwith newline"
    sender = socket.create_connection(address)
    try:
        sender.sendall(b"%d %s" % (len(first), first) + b"<13>Jan  1 00:00:00 h a: by newline\n")
        other = socket.create_connection(address)
        other.sendall(b"<13>Jan  1 00:00:00 h a: second connection\n")
        other.close()
        for _ in range(int(WAIT / 0.01)):
            if listener.buffer.counters.received == 3:
                break
            threading.Event().wait(0.01)
        assert collector.batches == []  # nothing was due yet
        counters = listener.stop()  # the first connection is still open
    finally:
        sender.close()
    assert sorted(collector.lines) == sorted(
        [first.decode(), "<13>Jan  1 00:00:00 h a: by newline", "<13>Jan  1 00:00:00 h a: second connection"]
    )
    assert (counters.received, counters.flushed) == (3, 3)


def test_address_before_start_is_an_error():
    listener = SyslogListener(host="127.0.0.1", port=0, protocol="udp", flush=Collector())
    with pytest.raises(RuntimeError, match="not started"):
        _ = listener.address
