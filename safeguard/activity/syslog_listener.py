"""A syslog receiver: UDP datagrams (RFC 5426, one message each) or TCP streams (RFC 6587: octet counting,
`LEN SP MSG`, or newline framing, told apart frame by frame), collected in memory and handed on in batches.

A batch goes when it holds `flush_lines` messages or its oldest message has waited `flush_seconds`, and once
more on stop, so a clean stop loses nothing received. One flusher thread does all the handing on, so the
callback (ingestion, which writes the database and the event store) never runs concurrently with itself. When
the callback fails the messages are kept and retried with the next batch; beyond `max_held` messages the oldest
are dropped and counted, because a receiver that grows without bound takes the machine down with it."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

FlushCallback = Callable[[list[str]], object]
ErrorCallback = Callable[[Exception, int], None]  # the error, messages held for a retry
Transport = Literal["udp", "tcp"]

MAX_MESSAGE_BYTES = 64 * 1024
MAX_LENGTH_DIGITS = 6  # octet counts above 999,999 are not syslog messages


@dataclass
class Counters:
    received: int = 0
    flushed: int = 0
    batches: int = 0
    failures: int = 0
    dropped: int = 0
    unflushed: int = 0  # still held when the listener stopped: the last hand-on failed


class MessageBuffer:
    """Messages waiting to be handed on, and the rule for when they go."""

    def __init__(
        self,
        flush: FlushCallback,
        *,
        flush_lines: int,
        flush_seconds: float,
        max_held: int | None = None,
        on_error: ErrorCallback | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._flush = flush
        self.flush_lines = max(1, flush_lines)
        self.flush_seconds = flush_seconds
        self.max_held = max_held if max_held is not None else 20 * self.flush_lines
        self._on_error = on_error
        self._clock = clock
        self._held: list[str] = []
        self._oldest: float | None = None
        self._condition = threading.Condition()
        self.counters = Counters()

    def add(self, message: str) -> None:
        with self._condition:
            if not self._held:
                self._oldest = self._clock()
            self._held.append(message)
            self.counters.received += 1
            if len(self._held) >= self.flush_lines:
                self._condition.notify()

    def due(self) -> bool:
        with self._condition:
            return self._due()

    def _due(self) -> bool:
        if not self._held:
            return False
        if len(self._held) >= self.flush_lines:
            return True
        return self._oldest is not None and self._clock() - self._oldest >= self.flush_seconds

    def wait_until_due(self, timeout: float) -> None:
        with self._condition:
            self._condition.wait_for(self._due, timeout=timeout)

    def wake(self) -> None:
        with self._condition:
            self._condition.notify_all()

    def flush(self) -> int:
        """Hand on what is held (at most `flush_lines` per call to the callback); the number handed on."""
        handed = 0
        while True:
            with self._condition:
                batch = self._held[: self.flush_lines]
                if not batch:
                    return handed
                del self._held[: len(batch)]
                self._oldest = self._clock() if self._held else None
            try:
                self._flush(batch)
            except Exception as exc:  # noqa: BLE001 - a failed ingestion must not stop the receiver
                self._keep(batch, exc)
                return handed
            with self._condition:
                self.counters.flushed += len(batch)
                self.counters.batches += 1
            handed += len(batch)

    def _keep(self, batch: list[str], exc: Exception) -> None:
        with self._condition:
            self._held[:0] = batch
            self._oldest = self._clock()
            self.counters.failures += 1
            excess = len(self._held) - self.max_held
            if excess > 0:
                del self._held[:excess]
                self.counters.dropped += excess
            held = len(self._held)
        if self._on_error is not None:
            self._on_error(exc, held)

    @property
    def held(self) -> int:
        with self._condition:
            return len(self._held)


def decode(data: bytes) -> str:
    return data.decode("utf-8", "replace").rstrip("\r\n\x00")


class _UdpHandler(socketserver.BaseRequestHandler):
    server: _UdpServer

    def handle(self) -> None:
        data = self.request[0]
        if data.strip():
            self.server.buffer.add(decode(data))


class _TcpHandler(socketserver.StreamRequestHandler):
    server: _TcpServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        self.server.track(self.connection, open_=False)
        super().finish()

    def handle(self) -> None:
        while (frame := read_frame(self.rfile)) is not None:
            if frame.strip():
                self.server.buffer.add(decode(frame))


class Readable(typing.Protocol):
    def read(self, size: int = ..., /) -> bytes: ...

    def readline(self, size: int = ..., /) -> bytes: ...


def read_frame(stream: Readable) -> bytes | None:
    """The next message of a TCP stream, or None at its end. A frame starting with digits and a space is octet
    counted; anything else (a "<PRI>", or digits not followed by a space, as an ISO time) runs to the newline."""
    first = stream.read(1)
    while first in (b"\n", b"\r"):
        first = stream.read(1)
    if not first:
        return None
    if not first.isdigit():
        return first + stream.readline(MAX_MESSAGE_BYTES).rstrip(b"\r\n")
    digits = first
    while len(digits) <= MAX_LENGTH_DIGITS:
        char = stream.read(1)
        if char.isdigit():
            digits += char
            continue
        if char == b" " and digits[:1] != b"0":
            return stream.read(int(digits))[:MAX_MESSAGE_BYTES]
        return digits + char + (b"" if char in (b"\n", b"") else stream.readline(MAX_MESSAGE_BYTES)).rstrip(b"\r\n")
    return digits + stream.readline(MAX_MESSAGE_BYTES).rstrip(b"\r\n")


class _UdpServer(socketserver.UDPServer):
    allow_reuse_address = True
    max_packet_size = MAX_MESSAGE_BYTES

    def __init__(self, address: tuple[str, int], buffer: MessageBuffer) -> None:
        self.buffer = buffer
        super().__init__(address, _UdpHandler)


class _TcpServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], buffer: MessageBuffer) -> None:
        self.buffer = buffer
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        super().__init__(address, _TcpHandler)

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def hang_up(self) -> None:
        """End every open connection's read so its handler finishes (a sender's next write reconnects)."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class SyslogListener:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        protocol: Transport,
        flush: FlushCallback,
        flush_lines: int = 5000,
        flush_seconds: float = 5.0,
        on_error: ErrorCallback | None = None,
        on_flusher_exit: Callable[[], object] | None = None,
    ) -> None:
        self.buffer = MessageBuffer(flush, flush_lines=flush_lines, flush_seconds=flush_seconds, on_error=on_error)
        self.protocol = protocol
        self._requested = (host, port)
        self._server: _UdpServer | _TcpServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._on_flusher_exit = on_flusher_exit

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None:
            raise RuntimeError("The listener is not started.")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> tuple[str, int]:
        """Bind (port 0: any free port) and start receiving; the address bound."""
        server_class = _UdpServer if self.protocol == "udp" else _TcpServer
        self._server = server_class(self._requested, self.buffer)
        server = self._server
        receiver = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.1), name="syslog-receiver", daemon=True
        )
        flusher = threading.Thread(target=self._flush_loop, name="syslog-flusher", daemon=True)
        self._threads = [receiver, flusher]
        for thread in self._threads:
            thread.start()
        return self.address

    def _flush_loop(self) -> None:
        tick = max(0.01, min(0.5, self.buffer.flush_seconds / 4))
        try:
            while not self._stopping.is_set():
                self.buffer.wait_until_due(timeout=tick)
                if self.buffer.due():
                    self.buffer.flush()
            self.buffer.flush()
        finally:
            if self._on_flusher_exit is not None:
                self._on_flusher_exit()

    def stop(self) -> Counters:
        """Stop receiving, hand on everything held, and return the counts."""
        server = self._server
        if server is None:
            return self.buffer.counters
        server.shutdown()
        if isinstance(server, _TcpServer):
            server.hang_up()
        server.server_close()
        self._stopping.set()
        self.buffer.wake()
        for thread in self._threads:
            thread.join()
        self._server = None
        self.buffer.counters.unflushed = self.buffer.held
        return self.buffer.counters
