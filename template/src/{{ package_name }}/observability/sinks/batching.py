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
import traceback
import weakref
from typing import Protocol

_streams: "weakref.WeakSet[AccessBatchingStream]" = weakref.WeakSet()


class Output(Protocol):
    """Where the batches go: a text stream (`sys.stdout`) or anything that writes like one."""

    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...

    def close(self) -> object: ...


class AccessBatchingStream:
    """A loguru sink: `write` takes each formatted record (a str with its `record`); `append`
    takes an event line the sink formatted itself (`logging.EventWriter`), which waits.

    A thread of its own writes the batches, so that a slow disk or pipe never holds up the
    event loop; the loop only appends to a list.
    """

    def __init__(
        self,
        stream: Output,
        *,
        interval: float = 0.1,
        max_bytes: int = 64 * 1024,
        owned: bool = False,
    ) -> None:
        self.stream = stream
        self.owned = owned
        self.interval = interval
        self.max_bytes = max_bytes
        self._lines: list[str] = []
        self._size = 0
        self._lock = threading.Lock()  # guards the waiting lines, held for moments
        self._writing = threading.Lock()  # one writer at a time, in order
        self._wake = threading.Event()
        self._stopped = threading.Event()
        threading.Thread(target=self._write_in_batches, name="log-writer", daemon=True).start()
        _streams.add(self)

    def write(self, message: str) -> None:
        record = getattr(message, "record", None)
        self.append(message)
        if record is None or "event" not in record["extra"]:
            self.drain()  # start-up, shutdown, errors: rare, and written at once

    def append(self, line: str) -> None:
        with self._lock:
            self._lines.append(line)
            self._size += len(line)
            full = self._size >= self.max_bytes
        if full:
            self._wake.set()

    def drain(self) -> None:
        with self._writing:
            with self._lock:
                if not self._lines:
                    return
                text = "".join(self._lines)
                self._lines.clear()
                self._size = 0
            self.stream.write(text)
            self.stream.flush()

    def stop(self) -> None:
        """Loguru calls this when the sink is removed. An `owned` stream (a file the sink
        opened) is closed after the last batch."""
        self._stopped.set()
        self._wake.set()
        self.drain()
        if self.owned:
            with self._writing:
                self.stream.close()

    def _write_in_batches(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.drain()
            except Exception:  # a stream that failed once must not stop every later batch
                traceback.print_exc()


def drain_all() -> None:
    """Write out every waiting record now (at shutdown, or before reading the log)."""
    for stream in list(_streams):
        stream.drain()


atexit.register(drain_all)
