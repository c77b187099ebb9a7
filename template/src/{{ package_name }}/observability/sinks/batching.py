# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Access records leave in batches: one write to the stream per batch instead of a system call
per request, which cost more than the rest of the access log. Every other record is written
at once, after the access records waiting before it, so the order of lines is kept and
nothing but access records ever waits. At most `interval` seconds (or `max_bytes`) of access
records wait; a service killed outright (SIGKILL) loses those.
"""

import atexit
import threading
import weakref
from typing import TextIO

ACCESS_EVENT = "http.access"
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
        access = record is not None and record["extra"].get("event") == ACCESS_EVENT
        with self._lock:
            self._lines.append(message)
            self._size += len(message)
            if not access or self._size >= self.max_bytes:
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
    """Write out every waiting access record now (at shutdown, or before reading the log)."""
    for stream in list(_streams):
        stream.drain()


atexit.register(drain_all)
