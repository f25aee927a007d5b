"""Run a command with a timeout and report its wall time and peak memory:
``python -m bench.measure TIMEOUT -- CMD ...`` prints one JSON object.

The command is this process's only child, so ``RUSAGE_CHILDREN``'s ``ru_maxrss`` is its peak
resident memory, also when it had to be killed at the timeout (its whole process group is).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time


def main(argv: list[str] | None = None) -> int:
    """Command line: ``TIMEOUT -- CMD...``."""
    args = list(sys.argv[1:] if argv is None else argv)
    timeout = float(args[0])
    cmd = args[args.index("--") + 1 :]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    timed_out = False
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out = {
        "seconds": round(seconds, 3),
        "peak_rss_mb": round(peak, 1),
        "timed_out": timed_out,
        "returncode": None if timed_out else proc.returncode,
        "stderr_tail": err.decode("utf-8", "replace")[-500:] if proc.returncode and not timed_out else "",
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
