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
M_TRIM_THRESHOLD to 512 MiB (free memory at a heap's top is kept up to
that) and M_TOP_PAD to 64 MiB, a thread heap's whole size (glibc then never
deletes an emptied thread heap; the pad is address space, not resident
memory). Freed buffers go back to malloc's free lists and are reused by the
next op: measured, 0-20 faults a call instead of 205,000. A thread heap
holds at most 64 MiB, so larger blocks allocated on XLA's worker threads
still get their own mapping; only M_ARENA_MAX=1 would change that, at the
price of one malloc lock for all threads, which we do not take. The cost:
memory a large computation freed stays in the process for the next one.

These are the knobs users otherwise set with `MALLOC_MMAP_THRESHOLD_`,
`MALLOC_TRIM_THRESHOLD_` and `MALLOC_TOP_PAD_`; if any of them (or
`GLIBC_TUNABLES`) is set we leave the user's choice alone, and
`JAXTAPE_MALLOC_DEFAULTS=1` keeps glibc's defaults. On other C libraries
(musl, macOS, Windows) nothing is done; GPU buffers do not come from
malloc, so on a GPU only host-side buffers are affected.
"""
from __future__ import annotations

import ctypes
import os
import platform

M_TRIM_THRESHOLD = -1  # glibc's malloc.h
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 256 * 2 ** 20
TRIM_THRESHOLD = 512 * 2 ** 20  # mallopt takes an int: at most 2 GiB - 1
TOP_PAD = 64 * 2 ** 20  # glibc's HEAP_MAX_SIZE on 64-bit

_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                  "GLIBC_TUNABLES")

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
                               ("M_TOP_PAD", M_TOP_PAD, TOP_PAD)):
        if mallopt(param, value) == 1:
            applied[name] = value
    return applied
