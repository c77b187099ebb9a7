# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The records of requests leave in batches: one write to the stream per batch instead of a
system call per request, which cost more than the rest of the access log.

Access records and security events (records with an `event`) wait at most `interval` seconds
or `max_bytes`. Every other record (start-up, shutdown, errors and tracebacks) is written at
once, after those waiting before it, so the order of lines is kept. Shutdown writes out what
waits; a service killed outright (SIGKILL) loses at most `interval` seconds of request records.
"""

import atexit
import threading
import weakref
from typing import TextIO

_streams: "weakref.WeakSet[AccessBatchingStream]" = weakref.WeakSet()


class AccessBatchingStream:
    """A loguru sink: `write` takes each formatted record (a str with its `record`)."""

    def __init__(
        self, stream: TextIO, *, interval: float = 0.1, max_bytes: int = 64 * 1024
    ) -> None:
        self.stream = stream
        self.interval = interval
        self.max_bytes = max_bytes
        self._lines: list[str] = []
        self._size = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        threading.Thread(target=self._drain_every_interval, name="log-drain", daemon=True).start()
        _streams.add(self)

    def write(self, message: str) -> None:
        record = getattr(message, "record", None)
        of_a_request = record is not None and "event" in record["extra"]
        with self._lock:
            self._lines.append(message)
            self._size += len(message)
            if not of_a_request or self._size >= self.max_bytes:
                self._write_out()

    def drain(self) -> None:
        with self._lock:
            self._write_out()

    def stop(self) -> None:
        """Loguru calls this when the sink is removed."""
        self._stopped.set()
        self.drain()

    def _write_out(self) -> None:
        if self._lines:
            self.stream.write("".join(self._lines))
            self._lines.clear()
            self._size = 0
            self.stream.flush()

    def _drain_every_interval(self) -> None:
        while not self._stopped.wait(self.interval):
            self.drain()


def drain_all() -> None:
    """Write out every waiting record now (at shutdown, or before reading the log)."""
    for stream in list(_streams):
        stream.drain()


atexit.register(drain_all)
