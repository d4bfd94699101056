"""Keep the server's memory from creeping while many tabs watch: a fixed glibc mmap threshold.

Each tab's timed redraw builds and serialises a few hundred kB of chart JSON and protobuf. glibc's malloc serves
blocks of at least ``M_MMAP_THRESHOLD`` bytes with ``mmap`` and returns them to the system on free, but by default
it *raises* that threshold after each such free (up to 32 MiB), so later blocks of that size come from the heap,
where freed holes of mixed sizes stay mapped. Measured through Streamlit's websocket protocol
(``benchmarks/bench_classroom.py``'s viewers), 10 tabs redrawing a run every 2 s for 4 minutes, about 1,190
redraws: the server's private memory grew 33.8 MB with the default, 17.6 MB (and flattening) with the threshold
fixed at 64 KiB from the start (``MALLOC_MMAP_THRESHOLD_=65536`` in the environment, as the Dockerfile sets it) and
23.1 MB with it fixed by this module once the server had started, while Python's own allocations
(``tracemalloc``) grew by under 1 MB. Setting the threshold with ``mallopt`` turns the dynamic adjustment off
(glibc ``malloc/malloc.c``, "M_MMAP_THRESHOLD").
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 64 * 1024
"""Blocks from 64 KiB up are mapped on their own and given back when freed (the default before adjustment is
128 KiB)."""
TRIM_THRESHOLD_BYTES = 128 * 1024
"""Free memory at the top of the heap beyond this goes back to the system."""


def fix_malloc_thresholds() -> bool:
    """Fix glibc's mmap and trim thresholds for this process; False (and nothing changed) off glibc.

    Called once by the server when it creates its run manager; the training workers are not affected (they
    are forked from a forkserver that started afresh).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    done = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1 and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1
    if not done:
        log.warning("mallopt refused the thresholds; the server's memory may creep while many tabs watch")
    return done
