"""Persistence of the sandbox's state: a JSON file written in the background, and a lock.

Writes within FLUSH_INTERVAL are saved together (rewriting a large state on every call
made the sandbox quadratic), only when something changed (a read-only command writes
nothing back), to an absolute path (the background flush must not follow a later change
of directory), atomically (a temporary file, then a rename).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from typing import Any, Iterator, Optional

from filelock import FileLock, Timeout

from tatango_iac.errors import TatangoIacError


class Persisted:
    """The storage half of ``State``: expects ``path``, ``lock``, ``data``, ``_changed``, ``_dirty``."""

    FLUSH_INTERVAL = 0.2  # seconds: writes within it are saved together
    path: Optional[str]
    lock: Any
    data: dict[str, Any]
    _changed: bool
    _dirty: threading.Event
    _flusher: Optional[threading.Thread]

    def save(self) -> None:
        """Mark the state changed; a background thread writes it soon (rewriting a large state
        on every call made the sandbox quadratic). ``flush`` writes at once."""
        if not self.path:
            return
        self._changed = True
        self._dirty.set()
        if self._flusher is None:
            self._flusher = threading.Thread(target=self._flush_loop, name="sandbox-state-flush", daemon=True)
            self._flusher.start()

    def _flush_loop(self) -> None:
        while True:
            self._dirty.wait()
            threading.Event().wait(self.FLUSH_INTERVAL)
            self.flush()

    def flush(self) -> None:
        if not self.path:
            return
        with self.lock:
            self._dirty.clear()
            if self._changed:
                self._write()
                self._changed = False

    def _write(self) -> None:
        assert self.path
        directory = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(prefix=".sandbox-", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self.data, handle, separators=(",", ":"), sort_keys=True)
        os.replace(tmp, self.path)


class StateLocked(TatangoIacError):
    """Another command holds the state file for longer than we wait."""


@contextlib.contextmanager
def locked(path: str, timeout: float = 30.0) -> Iterator[None]:
    """Hold ``PATH.lock`` for the duration: two commands on one state file never lose each other's writes.

    Each command loads the state, works, and writes it back; holding the lock from load to
    write-back serialises them. A command waits up to ``timeout`` seconds, then fails clearly.
    ``filelock`` picks the OS's own lock (``fcntl`` on POSIX, ``msvcrt`` on Windows), so the
    tool imports and runs where ``fcntl`` does not exist; the OS releases it if the process dies.
    """
    # The resolved path: a symlink to the state and the state itself are one state, with one lock.
    lock = FileLock(os.path.realpath(path) + ".lock", timeout=timeout)
    try:
        lock.acquire(poll_interval=0.05)
    except Timeout:
        raise StateLocked(
            f"another command is using the sandbox state {path} (waited {timeout:.0f} s; "
            f"a `sandbox serve` on it holds it while it runs)"
        ) from None
    try:
        yield
    finally:
        lock.release()
