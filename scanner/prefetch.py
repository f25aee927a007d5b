"""Warming the page cache ahead of a big bundle's readers.

A bundle is tens of thousands of small files (the benchmark's large estate: 59,603 files, 207 MB). When
they are not in the page cache (a scheduled scan reads a bundle collected an hour ago; the host reclaimed
it), each reader's ``open``/``read`` waits for the disk one file at a time, a queue of depth one: on this
machine the large estate's reading took 19.4 s with its files' data evicted against 12.3 s cached, and
11.0-13.5 s evicted with these threads (eight runs); after 170 s idle, when the host had reclaimed part of
it, 18.9 and 23.7 s without them against 17.0 and 16.2 s with them (bench/README.md). A few
threads here ask the kernel for the files in the order the readers will want them
(``posix_fadvise(POSIX_FADV_WILLNEED)``: the kernel starts reading and the call returns), so the disk
works on many at once while the readers parse. Nothing is read into this process; the threads only
open, advise and close, and stop when told to or at the end of the list. Where ``posix_fadvise`` does
not exist (macOS, Windows) nothing is started.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from itertools import zip_longest

#: Threads issuing advice: each waits on the disk for an inode while it opens a cold file, so a few of
#: them keep several requests in flight (2 and 4 threads were not better in single runs here; not tuned further).
THREADS = 8


class Prefetch:
    """Advising threads for one bundle; :meth:`stop` ends them (they are daemons: they never keep the
    process alive)."""

    def __init__(self, root: str, streams: Sequence[Sequence[str]], threads: int = THREADS) -> None:
        self._stop = threading.Event()
        # the streams' files taken in turn (each stream is a reader's files in its reading order), so
        # every reader's next files are asked for early
        order = [rel for group in zip_longest(*streams) for rel in group if rel is not None]
        self.files = len(order)
        self._threads = [
            threading.Thread(
                target=self._advise, args=(root, order[i::threads]), name=f"regwarden-prefetch-{i}", daemon=True
            )
            for i in range(threads if order and hasattr(os, "posix_fadvise") else 0)
        ]
        for t in self._threads:
            t.start()

    def _advise(self, root: str, rels: list[str]) -> None:
        for rel in rels:
            if self._stop.is_set():
                return
            try:
                # non-blocking: a file swapped for a FIFO since the listing must not hang the thread
                fd = os.open(os.path.join(root, rel), os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
            except OSError:
                continue  # gone or unreadable: its reader says so, by name
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
            except OSError:
                pass
            finally:
                os.close(fd)

    @property
    def running(self) -> bool:
        """Whether any thread is still advising."""
        return any(t.is_alive() for t in self._threads)

    def stop(self) -> None:
        """Stop advising (a thread ends after the file it is on)."""
        self._stop.set()
