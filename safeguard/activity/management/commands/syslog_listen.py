"""Receive syslog for one source and ingest it in batches:
`syslog_listen --source NAME [--org SLUG] [--host H] [--port P] [--udp|--tcp] [--flush-seconds S]
[--flush-lines N]`.

Listens on ACTIVITY_SYSLOG_HOST (loopback) unless --host says otherwise: receiving from the network is a choice
made on the command line, with a warning, never a default. Runs until SIGTERM or Ctrl-C, then ingests what it
holds. Exit status: 0 after a clean stop, 1 when the source cannot take syslog or the address cannot be bound,
1 also when messages
received could not be ingested before the stop, 2 for a usage error (unknown organization or source, bad numbers)."""

from __future__ import annotations

import ipaddress
import signal
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connections

from safeguard.activity.models import IngestBatch, LogSource, SourceFormat
from safeguard.activity.services.ingestion import ingest_records
from safeguard.activity.syslog_listener import SyslogListener, Transport
from safeguard.core.audit import Actor
from safeguard.core.models import Organization

USAGE = 2


def listener_flush(source: LogSource) -> Callable[[list[str]], IngestBatch]:
    """What the listener calls with each batch of messages."""
    actor = Actor.system("syslog-listener")

    def flush(lines: list[str]) -> IngestBatch:
        # Flushes come every few seconds: the scheduled micro-batch evaluates them, not one run per flush.
        return ingest_records(source, list(lines), channel=IngestBatch.Channel.LISTENER, actor=actor, evaluate=False)

    return flush


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def find_source(slug: str | None, name: str) -> LogSource:
    sources = LogSource.objects.select_related("organization").filter(name__iexact=name.strip())
    if slug:
        if not Organization.objects.filter(slug=slug).exists():
            raise CommandError(f"No organization with slug {slug!r}.", returncode=USAGE)
        sources = sources.filter(organization__slug=slug)
    found = list(sources[:2])
    if not found:
        where = f" in {slug}" if slug else ""
        raise CommandError(f"No log source named {name!r}{where}.", returncode=USAGE)
    if len(found) > 1:
        raise CommandError(
            f"Several organizations have a source named {name!r}: name one with --org SLUG.", returncode=USAGE
        )
    return found[0]


def positive(kind: type[int] | type[float]) -> Any:
    def convert(value: str) -> int | float:
        number = kind(value)
        if number <= 0:
            raise ValueError(value)
        return number

    convert.__name__ = f"positive {kind.__name__}"
    return convert


class Command(BaseCommand):
    help = "Receive syslog (UDP or TCP) for one log source and ingest it in batches until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", required=True, metavar="NAME", help="the syslog source's name (case ignored)")
        parser.add_argument("--org", metavar="SLUG", help="the organization (needed when several have that source)")
        parser.add_argument("--host", help="address to listen on (default: ACTIVITY_SYSLOG_HOST, loopback)")
        parser.add_argument("--port", type=int, help="port (default: ACTIVITY_SYSLOG_PORT, 5514)")
        transport = parser.add_mutually_exclusive_group()
        transport.add_argument("--udp", dest="transport", action="store_const", const="udp", help="UDP (default)")
        transport.add_argument("--tcp", dest="transport", action="store_const", const="tcp", help="TCP")
        parser.add_argument("--flush-seconds", type=positive(float), default=5.0, help="longest wait (default 5)")
        parser.add_argument("--flush-lines", type=positive(int), default=5000, help="largest batch (default 5000)")

    def handle(self, *args: Any, **options: Any) -> None:
        source = find_source(options["org"], options["source"])
        if source.format != SourceFormat.SYSLOG:
            raise CommandError(f"The source {source.name!r} reads {source.get_format_display()}, not syslog.")
        if not source.is_active:
            raise CommandError(f"The source {source.name!r} is deactivated: reactivate it to add events.")
        host = self._host(options["host"])
        port = options["port"] if options["port"] is not None else settings.ACTIVITY_SYSLOG_PORT
        transport: Transport = "tcp" if options["transport"] == "tcp" else "udp"
        ingest = listener_flush(source)

        def flush(lines: list[str]) -> None:
            close_old_connections()
            batch = ingest(lines)
            if batch.rejected:
                self.stderr.write(f"{batch.rejected} of {len(lines)} messages were refused (batch {batch.public_id}).")

        listener = SyslogListener(
            host=host,
            port=port,
            protocol=transport,
            flush=flush,
            flush_lines=options["flush_lines"],
            flush_seconds=options["flush_seconds"],
            on_error=self._ingestion_failed,
            on_flusher_exit=connections.close_all,
        )
        try:
            bound_host, bound_port = listener.start()
        except OSError as exc:
            raise CommandError(f"Cannot listen on {transport} {host}:{port}: {exc.strerror or exc}.") from exc
        self.stdout.write(
            f"Listening for {source.name} ({source.organization.slug}) on {transport} {bound_host}:{bound_port}; "
            "Ctrl-C or SIGTERM stops after ingesting what is held."
        )
        self._wait_for_signal(listener)
        counters = listener.stop()
        self.stdout.write(
            f"Stopped: {counters.received} messages received, {counters.flushed} handed to ingestion in "
            f"{counters.batches} batches, {counters.dropped} dropped after failed ingestions."
        )
        if counters.unflushed:
            raise CommandError(f"{counters.unflushed} messages received could not be ingested before stopping.")

    def _ingestion_failed(self, exc: Exception, held: int) -> None:
        self.stderr.write(f"Ingestion failed ({type(exc).__name__}: {exc}); {held} messages kept for a retry.")

    def _host(self, given: str | None) -> str:
        if given is None:
            host = str(settings.ACTIVITY_SYSLOG_HOST)
            if not is_loopback(host):
                raise CommandError(
                    f"ACTIVITY_SYSLOG_HOST is {host}, not a loopback address: pass --host {host} to listen on the "
                    "network deliberately."
                )
            return host
        if not is_loopback(given):
            self.stderr.write(
                f"Warning: listening on {given}, reachable from the network. Syslog has no authentication: anyone "
                "who can reach this port can add events. Restrict it with a firewall."
            )
        return given

    def _wait_for_signal(self, listener: SyslogListener) -> None:
        stop = threading.Event()
        previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
        for number in previous:
            signal.signal(number, lambda *_: stop.set())
        try:
            while not stop.wait(timeout=1.0):
                pass
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
