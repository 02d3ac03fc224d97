"""Keeps the garbage collector's full passes off the objects imports leave.

CPython's full (generation-2) collection walks every tracked object outside
the permanent generation, and it runs whenever the objects promoted since
the last one exceed a quarter of those that survived it. Importing JAX and
jaxtape leaves about 100,000 tracked objects (modules, functions, classes,
JAX's registries) that live as long as the process, and a long tape
promotes several objects per op (its nodes, the tensors and arrays they
keep), so a loop over 5000-op tapes paid a full pass every few calls, each
walking all of them again: 100-250 ms a pass on a 200-450 ms call here.

`gc.freeze()` once, when `import jaxtape` ends, moves what is alive then into
the permanent generation: full passes walk only what was created later
(20-30 ms a pass on that loop, the tape's own live objects), and reference
counting still frees frozen objects as usual. The cost: a frozen object that
later becomes part of an unreachable reference cycle is never reclaimed
(the import leaves 6 such objects, ~2 KB; no `gc.collect()` first, which
would add ~150 ms to the import), and objects a program created before
importing jaxtape are frozen with it. `JAXTAPE_GC_FREEZE=0` opts out; a
program can also call `gc.unfreeze()` itself.

The same import raises the young generation's threshold from CPython's 700
to `YOUNG_THRESHOLD` allocations (when the thresholds are still CPython's
defaults: a program's own choice is kept). A young pass visits every
tracked object allocated since the last one and still alive, and a tape's
nodes, tensors and arrays (3 an op) and its backward plan's steps live
until the gradient: at 700, each was walked by a young pass, again by a
middle one, and every other call of a 5000-op tape by a full pass (60, 5
and 0.5 passes a call; collection time 5.4-8.4% of the call's CPU time).
At 10,000: 2.8, 0.2 and ~0 passes, 2.6-3.6%. The cost: unreachable
cycles wait for up to 10,000 allocations instead of 700 to be freed.
`JAXTAPE_GC_FREEZE=0` leaves the thresholds alone too.
"""
from __future__ import annotations

import gc
import os

# Whether `freeze_import_time_objects` froze anything in this process.
frozen = False

CPYTHON_THRESHOLDS = (700, 10, 10)
YOUNG_THRESHOLD = 10_000


def freeze_import_time_objects() -> None:
    """Freezes every object alive now and raises the young generation's
    threshold, unless `JAXTAPE_GC_FREEZE=0` (or the interpreter has no
    `gc.freeze`)."""
    global frozen
    if os.environ.get("JAXTAPE_GC_FREEZE", "1") == "0" or not hasattr(gc, "freeze"):
        return
    gc.freeze()
    frozen = True
    if gc.get_threshold() == CPYTHON_THRESHOLDS:
        gc.set_threshold(YOUNG_THRESHOLD, *CPYTHON_THRESHOLDS[1:])
