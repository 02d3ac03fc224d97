"""JAX's persistent compilation cache, on by default in a user cache directory.

A fresh process otherwise compiles every kernel of its first gradient again
(about 20 XLA compiles for a small MLP: most of the first call). With the
cache a later process reads them from disk instead. The quick and the
full compile tier (`tape/tiers.py`) are cached apart (compile options are
part of the key); a full-tier compile still queued when a process exits
is dropped, so that process's successor compiles it again (in the
background, from its second step).

Where: `$JAXTAPE_COMPILATION_CACHE` when it names a directory, else
`$XDG_CACHE_HOME/jaxtape/xla`, else `~/.cache/jaxtape/xla`. Off:
`JAXTAPE_COMPILATION_CACHE=0` (or `false`, `off`, `no`) before jaxtape is
imported. Left alone when the user has configured JAX's own cache
(`JAX_COMPILATION_CACHE_DIR` or `jax.config` before the import). Kernels
here compile in 15-300 ms each, under JAX's default one-second threshold
for caching, so the threshold is lowered to 0 and the directory bounded.

Bounded by jaxtape, not by JAX's size cap: with a cap set, JAX walks the
whole directory (a stat and an access-time file read per entry) on every
write and rewrites an access-time file on every read, under a file lock.
With ~10,000 entries (a test suite, a few benchmark runs) that cost about
0.5 s per compiled kernel (measured: a new batch size every call went from
0.3 s to 4.9 s a call with the cache on). So JAX runs uncapped and each
process trims the directory once, in a daemon thread after the import:
oldest files (by modification time) go first beyond `MAX_BYTES`.

jaxtape's own kernels are also kept in `kernels/` inside the directory,
keyed by what each kernel is rather than by its lowered program, so a hit
skips the trace and the lowering JAX's cache needs before it can look up
(`framework/kernel_cache.py`); on and off with this cache, trimmed with it.
"""
from __future__ import annotations

import os
import threading

import jax

from jaxtape._src.framework import kernel_cache

ENV = "JAXTAPE_COMPILATION_CACHE"
KERNELS = "kernels"  # the kernel cache's subdirectory (`framework/kernel_cache.py`)
OFF = ("0", "false", "off", "no")
MAX_BYTES = 1 << 30  # least recently used entries go first beyond this

state = {"dir": None}  # the directory jaxtape enabled, or None


def directory(environ=os.environ) -> str | None:
    """Where the cache goes, or None when it is switched off."""
    setting = environ.get(ENV, "").strip()
    if setting.lower() in OFF:
        return None
    if setting and setting != "1":
        return setting
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "jaxtape", "xla")


def enable(environ=os.environ) -> str | None:
    """Turns the cache on unless switched off or configured by the user; the
    directory or None. jaxtape's kernel cache (`framework/kernel_cache.py`) is on
    exactly when this is, in its `KERNELS` subdirectory."""
    if jax.config.jax_compilation_cache_dir is not None or environ.get("JAX_COMPILATION_CACHE_DIR"):
        return None  # the user's own configuration wins
    path = directory(environ)
    if path is None:
        return None
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:  # a read-only home: run without the cache
        return None
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    state["dir"] = path
    kernel_cache.configure(os.path.join(path, KERNELS))
    threading.Thread(target=trim, args=(path,), name="jaxtape-cache-trim", daemon=True).start()
    return path


def trim(path, max_bytes=MAX_BYTES) -> int:
    """Deletes the oldest files under `path` (its subdirectories included:
    the kernel cache's) until it holds at most `max_bytes`; returns how many
    went. Errors (a file another process removed) are skipped."""
    entries, total = [], 0
    dirs = [path]
    while dirs:
        try:
            with os.scandir(dirs.pop()) as it:
                for e in it:
                    try:
                        if e.is_dir(follow_symlinks=False):
                            dirs.append(e.path)
                            continue
                        st = e.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    entries.append((st.st_mtime, st.st_size, e.path))
                    total += st.st_size
        except OSError:
            continue
    removed = 0
    for _, size, name in sorted(entries):
        if total <= max_bytes:
            break
        try:
            os.remove(name)
        except OSError:
            continue
        total -= size
        removed += 1
    return removed


def disable() -> None:
    """Stops reading and writing the cache jaxtape enabled (for this process),
    the kernel cache included."""
    kernel_cache.configure(None)
    if state["dir"] is not None and jax.config.jax_compilation_cache_dir == state["dir"]:
        jax.config.update("jax_compilation_cache_dir", None)
        from jax.experimental.compilation_cache import compilation_cache  # noqa: PLC0415 - rarely used
        compilation_cache.reset_cache()
    state["dir"] = None


enable()
