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
"""
from __future__ import annotations

import gc
import os

# Whether `freeze_import_time_objects` froze anything in this process.
frozen = False


def freeze_import_time_objects() -> None:
    """Freezes every object alive now, unless `JAXTAPE_GC_FREEZE=0` (or the
    interpreter has no `gc.freeze`)."""
    global frozen
    if os.environ.get("JAXTAPE_GC_FREEZE", "1") == "0" or not hasattr(gc, "freeze"):
        return
    gc.freeze()
    frozen = True
