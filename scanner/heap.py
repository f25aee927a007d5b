"""Python's cyclic garbage collector during an analysis.

An analysis builds millions of long-lived objects (nodes, edges, reach sets, report models) and
almost no reference cycles: everything it frees, reference counting frees. The cyclic collector
still walks every live object on each full collection, and full collections keep coming while the
heap grows — measured on the benchmark's 100k-identity estate: 20 of 56 seconds were collector
passes (read+transform 30.4 s → 16.6 s, graph 4.0 s → 1.2 s with it paused), with the same peak
memory. So the collector is paused for one analysis and resumed afterwards; any cycle made in the
meantime is collected by its next automatic pass. The reading worker (scanner.analyse) runs without
it at all, so reading must make no reference cycles: tests/scanner/test_heap.py reads every fixture
bundle and finds nothing for the collector to free. The installed command ends through
:func:`end_process`.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

#: Objects the installed command holds until :func:`end_process` ends the process (None: nothing is
#: held, the default; a process that goes on after a command, such as the scheduler's, frees as it goes).
_HELD: list[object] | None = None


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause automatic cyclic garbage collection for the block (nested uses are fine)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            if _HELD is not None:
                # The installed command keeps what the block made until end_process. Every object the
                # block allocated is still in the youngest generation (no pass ran to age it), so the
                # first automatic pass after resuming would walk all of them: 5.7 million objects and
                # ~2.5 s after the large benchmark estate's reports were written, for nothing. Moved
                # to the permanent generation instead; reference counting still frees them.
                gc.freeze()
            gc.enable()


def hold_until_exit() -> None:
    """From now on :func:`hold` keeps what it is given until :func:`end_process`: the installed
    command calls it first, as nothing after its one command needs the memory back."""
    global _HELD
    if _HELD is None:
        _HELD = []


def free_as_you_go() -> None:
    """Undo :func:`hold_until_exit` (and let go of what is held): for a command that runs others in
    the same process, one after the other (``regwarden schedule``)."""
    global _HELD
    _HELD = None


def hold(obj: object) -> None:
    """Keep ``obj`` (an analysis: millions of objects) until the process ends, when the installed
    command is running (:func:`hold_until_exit`); otherwise do nothing.

    Freeing a large estate's analysis object by object when the command's function returns took
    ~0.8 s on the benchmark's 100k-identity estate (py-spy: the last line of ``cli._run``), after
    every report was written and for nothing :func:`end_process` would not do at once."""
    if _HELD is not None:
        _HELD.append(obj)


def end_process(code: int) -> NoReturn:
    """End the process with ``code`` without tearing its heap down (the installed command's last step).

    At interpreter exit Python runs a last full collection and frees every object still alive one by
    one: on the benchmark's 100k-identity estate that took ~5 s once the reports were written (the
    report document was then kept to the end), for nothing the operating system does not do at once.
    So output is flushed, logging shut down, a reading worker still running (only after an error)
    stopped, and the process ends with ``os._exit``, as mypy's command does. Nothing regwarden writes
    is left unfinished here: reports and bundles are written atomically, and the history store is
    committed (or rolled back) and closed, before a command returns.
    """
    import logging

    mp = sys.modules.get("multiprocessing")  # no worker without it: not imported just to find none
    for child in mp.active_children() if mp is not None else ():  # a worker reading when the command failed
        child.terminate()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # the reader left (`| head`), or it is closed
            stream.flush()
    os._exit(code)
