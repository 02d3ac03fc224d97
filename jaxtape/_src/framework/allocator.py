"""Keeps freed large host buffers in the process instead of the OS's hands.

Why: XLA:CPU allocates every array buffer with (aligned) `malloc`, on its
worker threads as well as on the calling one. glibc serves a request above
its mmap threshold with a fresh `mmap` and returns it with `munmap` on
`free`; that threshold adapts upwards only to 32 MiB. Below it, a thread
arena's heap gives its free top back (trim), and an emptied thread heap is
unmapped whatever the trim threshold. Each fresh mapping is then faulted in
page by page (one minor fault per 4 KiB, the kernel zeroing each page): a
20-op elementwise chain on 1e7 float32 elements (40 MB a buffer) took about
205,000 faults a call, every intermediate mapped, touched and unmapped.

What: at import, on glibc only, `mallopt` sets M_MMAP_THRESHOLD to 256 MiB
(blocks up to that come from the heap; larger ones keep their own mapping),
M_TRIM_THRESHOLD to 512 MiB (free memory at the heap's top is kept up to
that) and M_ARENA_MAX to 1: every thread allocates from the main heap, so
there are no thread heaps to delete. Freed buffers go back to malloc's free
lists and are reused by the next op: measured, 0 faults a call instead of
205,000 (glibc's defaults) or 29,000 (the two thresholds alone, thread
heaps still deleted).

Why not more arenas kept alive with M_TOP_PAD at a thread heap's size (64
MiB; an earlier version did): each arena's resident size then climbs to the
largest working set it has served and stays there, the main heap's with
it, and once a fresh process's compiles had made glibc's 16 arenas (eight
per core), resident memory of the small MLP's eager training loop crept up
for tens of thousands of steps: +17 to +51 MB between steps 1,000 and
28,000 (`benchmarks/workloads/memory.py`), where one arena and no pad stay
flat (+0.0 MB, 4 of 4 runs). The price of one arena is one malloc lock for
every thread, measured in A/B runs against the pad version
(`python -m benchmarks --only mlp,mlp_compiled --frameworks jaxtape,jax`,
2-core Xeon): the compiled MLP step ~3% slower (1.52-1.59 vs 1.48-1.54 ms),
the eager step ~1.5%, a Keras `fit` epoch ~8% (25.8 vs 23.7 ms). Two arenas
without the pad cost nothing there but brought back 19,000-34,000 faults a
call at 1e7 elements (a worker thread's emptied heap is deleted).
The cost that remains: memory a large computation freed stays in the
process for the next one.

These are the knobs users otherwise set with `MALLOC_MMAP_THRESHOLD_`,
`MALLOC_TRIM_THRESHOLD_` and `MALLOC_ARENA_MAX`; if any of them (or
`MALLOC_TOP_PAD_`, or `GLIBC_TUNABLES`) is set we leave the user's choice alone, and
`JAXTAPE_MALLOC_DEFAULTS=1` keeps glibc's defaults. On other C libraries
(musl, macOS, Windows) nothing is done; GPU buffers do not come from
malloc, so on a GPU only host-side buffers are affected.
"""
from __future__ import annotations

import ctypes
import os
import platform

M_TRIM_THRESHOLD = -1  # glibc's malloc.h
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8

MMAP_THRESHOLD = 256 * 2 ** 20
TRIM_THRESHOLD = 512 * 2 ** 20  # mallopt takes an int: at most 2 GiB - 1
ARENA_MAX = 1

_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                  "MALLOC_ARENA_MAX", "GLIBC_TUNABLES")

applied: dict = {}  # what `keep_freed_buffers` set, for tests and benchmarks


def keep_freed_buffers() -> dict:
    """Applies the thresholds once; returns {name: value} of what was set
    (empty when not glibc, or when the user tuned malloc themselves)."""
    if applied or os.environ.get("JAXTAPE_MALLOC_DEFAULTS"):
        return applied
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return applied
    if any(os.environ.get(name) for name in _USER_SETTINGS):
        return applied
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return applied
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    for name, param, value in (("M_MMAP_THRESHOLD", M_MMAP_THRESHOLD, MMAP_THRESHOLD),
                               ("M_TRIM_THRESHOLD", M_TRIM_THRESHOLD, TRIM_THRESHOLD),
                               ("M_ARENA_MAX", M_ARENA_MAX, ARENA_MAX)):
        if mallopt(param, value) == 1:
            applied[name] = value
    return applied
