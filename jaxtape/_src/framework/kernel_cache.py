"""A persistent cache of jaxtape's own compiled kernels, keyed by what a kernel is.

JAX's persistent compilation cache is keyed by a hash of the lowered
program, so a hit still pays the trace and the lowering first: a fresh
process's first MLP + Adam step looks up 49 kernels, each ~3 ms of trace,
~8 ms of lowering (an MLIR context per lowering) and ~5 ms of fetch. This
cache keys a kernel by its definition instead, so a hit deserializes the
executable (`jax.experimental.serialize_executable`: ~2 ms) and serves
that shape with no trace and no lowering; a deserialized executable's call
costs what the jit's C++ fast path costs (10.3 vs 10.2 µs measured).

The key is everything the compiled code depends on, or a hit would run the
wrong code: the kernel's definition (`identity`: functions defined in
jaxtape, or importable by name from jax / numpy, by module and qualified
name; closures by their code and the values they close over; static
arguments by value; user functions, objects and unknown types make a
kernel uncacheable), its kind (forward, a VJP with its mask, a whole
backward plan), the input avals (shape, dtype, weak type; uncommitted
arrays on the default device only), the jax / jaxlib / numpy / Python
versions, the backend's platform, version and device kind, JAX's
configuration (the trace context per lookup, the rest once per process),
`XLA_FLAGS`, and a fingerprint of jaxtape's own source files (sizes and
modification times, taken once per process in a thread started at
import), so an edited checkout never reads a stale kernel. Not in the
key: module-level state a kernel's code might read at trace time (the
kernels are pure functions of their arguments and static arguments).

Only kernels XLA compiled afresh in this process are stored: one that
JAX's persistent cache loaded serializes without its object code. The
import's thread also loads, ahead of need, the kernels the previous
process used first (`RECENT`), and starts JAX's CPU backend.

Used by `tape/tiers.py` for every op's forward and VJP kernels, by
`tape/backward.py` for whole-plan programs, by `jit` here for the
framework's own (a variable's `assign_add`/`assign_sub`), and by the Keras
bridge for an optimizer's and a metric's update (`keras/common.cached_jit`:
keyed by what the Keras object holds, with `Kernel.ident` set by the caller).
A kernel whose miss JAX's cache answered can carry `Kernel.fresh`: the same
function under a name of its own (`tag`), lowered at its next call and
compiled in the background, so that code is stored after all.

Where: the `kernels` subdirectory of the compilation cache's directory
(`config/compilation_cache.py`: the same switch turns both off; its trim
covers this directory). Files are written whole (a temporary file, then
`os.replace`) and carry a checksum; an unreadable, truncated or corrupt
file is a miss (and removed), and any error raised while loading or
calling a cached executable falls back to the jit, as does a platform where
serialization is unsupported (then the cache stops trying).
"""
from __future__ import annotations

import atexit
import enum
import functools
import hashlib
import os
import pickle
import struct
import sys
import threading
import types
import weakref

import jax
import numpy as np

FORMAT = b"jaxtape-kernel-1\n"
# Calls of a cache-served shape after which the jit is warmed for it in the
# background (~16 ms of trace, lowering and JAX cache fetch, off the caller's
# thread) so the slot can go back to the jit's C++ fast path: serving costs
# a Python call (~1 µs) more per call, repaid after thousands of calls.
WARM_AFTER = 2048
SETTLE = 32       # calls without a new shape after which a slot goes back to the plain jit
RECENT = "recent"  # the digests a process used first: the next one loads them ahead
RECENT_N = 256

state = {"dir": None, "unsupported": False, "env": None, "source": None}
stats = {"hits": 0, "misses": 0, "stores": 0, "errors": 0, "warmed": 0, "ahead": 0}
_ready = threading.Event()  # set once the source fingerprint (and the backend) are there
_started = [False]
_thread = [None]
_stop = threading.Event()


@atexit.register
def _finish(timeout=10.0):
    """At exit: the set-up thread stops loading ahead and is waited for. A
    daemon thread still inside JAX's C++ when the interpreter finalizes
    aborts the process ("terminate called after throwing an instance of",
    SIGABRT): a short script's exit while kernels were loading ahead did."""
    _stop.set()
    thread = _thread[0]
    if thread is not None and thread.is_alive():
        thread.join(timeout)


_used: dict = {}   # digests this process looked up or stored, in order (its first RECENT_N)
_ahead: dict = {}  # digest -> executable loaded ahead by the set-up thread


def configure(path):
    """Turns the cache on in `path` (made if missing), or off with None."""
    if path is not None:
        try:
            os.makedirs(path, exist_ok=True)
        except OSError:
            path = None
    state["dir"] = path
    if path is not None and not _started[0]:
        _started[0] = True
        _thread[0] = threading.Thread(target=_prepare, args=(path,), name="jaxtape-kernel-cache",
                                      daemon=True)
        _thread[0].start()


def _prepare(path):
    """At import, on a daemon thread: the source fingerprint (stats ~200 files:
    1.5 ms quiet, far more under load), JAX's CPU backend (~15 ms of CPU that
    the first op would otherwise pay; TF pays its own in its import) and the
    executables the previous process used first (~2.4 ms of CPU each to
    deserialize), so a fresh process's first steps find them loaded."""
    try:
        _source_fingerprint()
        if _cpu_only():
            _env()  # starts the backend
    except Exception:  # noqa: BLE001 - the first lookup tries again
        pass
    finally:
        _ready.set()
    try:
        _load_ahead(path)
    except Exception:  # noqa: BLE001 - only a head start
        pass


def _cpu_only():
    """Whether JAX will start only its CPU backend (starting an accelerator's
    at import would take its memory before the user's first op)."""
    platforms = (jax.config.jax_platforms or os.environ.get("JAX_PLATFORMS") or "").strip()
    if platforms:
        return platforms == "cpu"
    import importlib.util  # noqa: PLC0415 - only here
    return not any(importlib.util.find_spec(m) for m in (
        "jax_plugins", "jax_cuda12_plugin", "jax_cuda13_plugin", "jax_rocm60_plugin",
        "jax_rocm7_plugin", "libtpu"))


def _recent_header():
    env = state["env"]
    return hashlib.sha256(repr((env, state["source"])).encode()).hexdigest() if env else None


def _load_ahead(path):
    header = _recent_header()
    if header is None:
        return
    try:
        with open(os.path.join(path, RECENT), encoding="ascii") as f:
            lines = f.read().split()
    except OSError:
        return
    if not lines or lines[0] != header:
        return  # another source tree or configuration wrote it
    for digest in lines[1:RECENT_N + 1]:
        if state["dir"] != path or _stop.is_set():
            return
        if digest in _used:
            continue  # the caller got there first
        exe = _read(os.path.join(path, digest + ".kernel"), digest)
        if exe is not None and digest not in _used:
            _ahead[digest] = exe


def _note(digest):
    """Records a digest used by this process; its first RECENT_N go to `RECENT`."""
    if digest in _used or len(_used) >= RECENT_N:
        return
    _used[digest] = None
    if len(_used) == RECENT_N:
        _write_recent()


_written = [False]


@atexit.register
def _write_recent():
    path, header = state["dir"], _recent_header()
    if path is None or header is None or not _used or _written[0]:
        return
    _written[0] = True
    try:
        name = os.path.join(path, RECENT)
        tmp = f"{name}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="ascii") as f:
            f.write("\n".join([header, *_used]) + "\n")
        os.replace(tmp, name)
    except OSError:
        pass


def enabled():
    return state["dir"] is not None and not state["unsupported"]


# -- what a kernel is ------------------------------------------------------------

class Unqualified(Exception):
    """A value whose identity is not deterministic across processes."""


_TRUSTED = ("jaxtape", "jax", "numpy")  # top-level packages whose names identify their objects


def _package(module):
    return (module or "").partition(".")[0]


def _resolves(obj, module, qualname):
    """Whether `module.qualname` names `obj` itself (then the name identifies it)."""
    if "<" in qualname:
        return False
    target = sys.modules.get(module)
    for part in qualname.split("."):
        target = getattr(target, part, None)
        if target is None:
            return False
    return target is obj


def _code(co, depth):
    consts = tuple(_code(c, depth) if isinstance(c, types.CodeType) else _value(c, depth, {})
                   for c in co.co_consts)
    return ("code", co.co_qualname, co.co_firstlineno, co.co_code, consts, co.co_names,
            co.co_varnames, co.co_freevars, co.co_argcount, co.co_kwonlyargcount, co.co_flags)


def _value(v, depth, seen):
    """A tuple of plain values (str, int, bytes, None, bool) that is equal in
    every process exactly when `v` computes the same; raises `Unqualified`."""
    if depth > 24:
        raise Unqualified("too deep")
    t = type(v)
    if v is None or t is bool or t is int or t is str or t is bytes:
        return v
    if t is float:
        return ("f", struct.pack("<d", v))
    if t is complex:
        return ("c", struct.pack("<dd", v.real, v.imag))
    if t is tuple or t is list:
        return (t.__name__, *[_value(x, depth + 1, seen) for x in v])
    if t is dict:
        items = [(_value(k, depth + 1, seen), _value(x, depth + 1, seen)) for k, x in v.items()]
        return ("dict", *sorted(items, key=repr))
    if t is frozenset or t is set:
        return (t.__name__, *sorted((_value(x, depth + 1, seen) for x in v), key=repr))
    if t is slice:
        return ("slice", *(_value(x, depth + 1, seen) for x in (v.start, v.stop, v.step)))
    if v is Ellipsis:
        return ("...",)
    if isinstance(v, np.dtype):
        return ("dtype", v.name)
    if isinstance(v, np.generic):
        return ("scalar", v.dtype.name, v.tobytes())
    if t is np.ndarray:
        if v.size > 4096 or v.dtype.hasobject:
            raise Unqualified("array")
        return ("ndarray", v.dtype.name, v.shape, v.tobytes())
    if isinstance(v, enum.Enum):
        return ("enum", t.__module__, t.__qualname__, v.name)
    key = id(v)
    if key in seen:  # a closure that refers to itself
        return ("again", seen[key])
    seen[key] = len(seen)
    if isinstance(v, functools.partial):
        return ("partial", _value(v.func, depth + 1, seen), _value(v.args, depth + 1, seen),
                _value(v.keywords, depth + 1, seen))
    module = getattr(v, "__module__", None) or ""
    qualname = getattr(v, "__qualname__", None) or getattr(v, "__name__", None) or ""
    if isinstance(v, type) or t is np.ufunc or t is types.BuiltinFunctionType:
        # classes (np.float32), ufuncs, builtins: by name where the name leads to them
        if t is np.ufunc:
            module, qualname = "numpy", v.__name__
        if _resolves(v, module, qualname) or (module == "builtins" and isinstance(v, type)):
            return ("named", module, qualname)
        raise Unqualified(qualname)
    if t.__module__ == "jaxtape._src.tape.primitive" and t.__qualname__ == "Primitive":
        # In a VJP's closure: what its kernels compute follows from these.
        return ("primitive", _value(v.fn, depth + 1, seen), v.multiple_results, v.jit,
                v.differentiable, v.keep_residuals, _value(v._save_policy, depth + 1, seen))
    if _package(module) not in _TRUSTED:
        raise Unqualified(module)  # a user's function or object
    if t is types.FunctionType:
        if _resolves(v, module, qualname):
            return ("named", module, qualname)
        if _package(module) != "jaxtape":
            raise Unqualified(qualname)
        cells = tuple(_value(c.cell_contents, depth + 1, seen) for c in (v.__closure__ or ()))
        return ("closure", module, qualname, _code(v.__code__, depth),
                _value(v.__defaults__, depth + 1, seen), _value(v.__kwdefaults__, depth + 1, seen),
                cells)
    if t.__name__ in ("custom_vjp", "custom_jvp") and _package(t.__module__) == "jax":
        if _resolves(v, module, qualname):
            return ("named", module, qualname)
        parts = [_value(getattr(v, a, None), depth + 1, seen) for a in
                 ("fun", "fwd", "bwd", "jvp", "nondiff_argnums", "symbolic_zeros", "optimize_remat")]
        return (t.__name__, *parts)
    if t.__name__ == "PjitFunction" or callable(v):
        if _resolves(v, module, qualname):  # jnp.add and friends: jitted by jax, by name
            return ("named", module, qualname)
    raise Unqualified(t.__qualname__)


def identity(obj):
    """`obj`'s identity as plain values, or None when it has none that holds across processes."""
    try:
        return _value(obj, 0, {})
    except Unqualified:
        return None
    except Exception:  # noqa: BLE001 - an odd object: not cached
        return None


_step_ids = weakref.WeakKeyDictionary()  # primitive -> {(skey, mask): identity of its VJP}


def plan_identity(plan):
    """A whole backward plan's identity (every step's VJP must have one), or None."""
    parts = []
    try:
        for s in plan.steps:
            memo = _step_ids.get(s.prim)
            if memo is None:
                memo = _step_ids[s.prim] = {}
            k = (s.skey, s.mask)
            ident = memo.get(k)
            if ident is None:
                ident = memo[k] = identity(s.prim.raw_vjp(s.skey, s.static, s.mask)) or False
            if ident is False:
                return None
            parts.append((ident, s.mask, s.arg_slots, s.out_slots, s.in_slots,
                          _value(s.out_avals, 0, {})))
    except Exception:  # noqa: BLE001 - e.g. an unhashable static key: not cached
        return None
    return ("plan", tuple(parts), plan.n_cts, plan.target_slots, plan.source_slots)


# -- the environment part of the key ---------------------------------------------

def _source_fingerprint():
    """Sizes and modification times of jaxtape's source files, hashed."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    h = hashlib.sha256()
    stack = [root]
    try:
        while stack:
            d = stack.pop()
            with os.scandir(d) as it:
                entries = sorted(it, key=lambda e: e.name)
            for e in entries:
                if e.is_dir(follow_symlinks=False):
                    if e.name != "__pycache__":
                        stack.append(e.path)
                elif e.name.endswith(".py"):
                    st = e.stat()
                    h.update(f"{os.path.relpath(e.path, root)}\0{st.st_size}\0{st.st_mtime_ns}\n"
                             .encode())
        state["source"] = h.hexdigest()
    except OSError:
        state["source"] = False  # unreadable: nothing is cached
    return state["source"]


_NOT_KEYED = ("cache", "log", "explain", "traceback", "debug_key_reuse")


def _env():
    """What the key holds besides the kernel and the trace context: computed
    once per process (False: a configuration value is an object, nothing is cached)."""
    env = state["env"]
    if env is None:
        device = jax.devices()[0]
        client = device.client
        holders = getattr(jax.config, "_value_holders", {})
        try:
            config = tuple(sorted((name, _value(h.value, 0, {})) for name, h in holders.items()
                                  if not any(w in name for w in _NOT_KEYED)))
        except Unqualified:
            config = None
        env = state["env"] = config is not None and (
            FORMAT, jax.__version__, _jaxlib_version(), np.__version__, sys.version,
            client.platform, client.platform_version, device.device_kind, device.id,
            os.environ.get("XLA_FLAGS", ""), os.environ.get("LIBTPU_INIT_ARGS", ""), config)
    return env


def _jaxlib_version():
    import jaxlib  # noqa: PLC0415 - only for the key
    return getattr(jaxlib, "__version__", "")


def _trace_context():
    """JAX's thread-local configuration that tracing depends on, as plain
    values; None when it holds an object (a mesh, a default device)."""
    from jax._src import config as jax_config  # noqa: PLC0415 - private; checked by the caller
    out = []
    for v in jax_config.trace_context():
        if type(v).__name__ == "AxisEnv":
            if getattr(v, "axis_sizes", None):
                return None
            continue
        try:
            out.append(_value(v, 0, {}))
        except Unqualified:
            return None
    return tuple(out)


def _digest(ident, avals):
    if _started[0] and not _ready.is_set():
        _ready.wait(5.0)  # the set-up thread's fingerprint (a few ms)
    source = state["source"] if state["source"] is not None else _source_fingerprint()
    if not source:
        return None
    env = _env()
    trace = _trace_context()
    if not env or trace is None or jax.config.jax_disable_jit:
        return None
    key = (env, source, trace, ident, _avals_value(avals))
    return hashlib.sha256(repr(key).encode()).hexdigest()


def tag(ident):
    """A short name part that differs with the key of `ident` (all but the
    avals), or "" when nothing is cached: a jit named with it lowers to a
    program JAX's persistent cache has not seen for any other key, so it
    compiles afresh and can be stored here (see `Kernel.fresh`)."""
    try:
        digest = _digest(ident, ()) if enabled() and ident else None
    except Exception:  # noqa: BLE001 - not cached
        digest = None
    return digest[:16] if digest else ""


def _avals_value(avals):
    return tuple(a if isinstance(a, str) else (tuple(a[0]), np.dtype(a[1]).name, a[2])
                 for a in avals)


# -- the files ---------------------------------------------------------------------

def _path(digest):
    return os.path.join(state["dir"], digest + ".kernel")


def load(ident, avals):
    """The executable stored for (`ident`, `avals`), loaded, or None."""
    if not enabled():
        return None
    try:
        digest = _digest(ident, avals)
    except Exception:  # noqa: BLE001 - never fatal: the jit compiles it
        stats["errors"] += 1
        return None
    if digest is None:
        return None
    _note(digest)
    exe = _ahead.pop(digest, None)
    if exe is not None:
        stats["hits"] += 1
        stats["ahead"] += 1
        return exe
    exe = _read(_path(digest), digest)
    if exe is not None:
        stats["hits"] += 1
        try:
            os.utime(_path(digest))  # recently used: the trim removes the oldest first
        except OSError:
            pass
    return exe


def _read(path, digest):
    """The executable in `path` (written for `digest`), loaded; None when
    missing or unreadable (a bad file is removed)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        stats["misses"] += 1
        return None
    except OSError:
        stats["errors"] += 1
        return None
    try:
        n = len(FORMAT)
        payload = data[n + 32:]
        if data[:n] != FORMAT or hashlib.sha256(payload).digest() != data[n:n + 32]:
            raise ValueError("corrupt kernel file")
        stored, serialized, in_tree, out_tree = pickle.loads(payload)
        if stored != digest:
            raise ValueError("kernel file of another key")
        from jax.experimental import serialize_executable  # noqa: PLC0415 - first use only
        return serialize_executable.deserialize_and_load(serialized, in_tree, out_tree)
    except Exception:  # noqa: BLE001 - never fatal: the jit compiles it
        stats["errors"] += 1
        try:
            os.remove(path)
        except OSError:
            pass
        return None


# What XLA compiled on each thread, from JAX's monitoring events: an
# executable that JAX's persistent cache loaded serializes without its
# object code (measured: its reload fails "Function multiply_add_fusion not
# found" when run), so only a kernel compiled afresh by the call is stored.
_compiled_here = threading.local()


def _on_duration(name, secs, **kw):
    if name == "/jax/core/compile/backend_compile_duration":
        _compiled_here.compiles = getattr(_compiled_here, "compiles", 0) + 1


def _on_event(name, **kw):
    if name == "/jax/compilation_cache/cache_hits":
        _compiled_here.loaded = getattr(_compiled_here, "loaded", 0) + 1


jax.monitoring.register_event_duration_secs_listener(_on_duration)
jax.monitoring.register_event_listener(_on_event)


def compile_count():
    """(XLA compiles, persistent-cache loads) on this thread so far."""
    return getattr(_compiled_here, "compiles", 0), getattr(_compiled_here, "loaded", 0)


def compiled_afresh(before):
    """Whether this thread compiled since `compile_count()` gave `before`,
    with nothing loaded from JAX's persistent cache."""
    compiles, loaded = compile_count()
    return compiles > before[0] and loaded == before[1]


def _calls_out(compiled):
    """Whether the code calls a custom-call target (LAPACK's QR/SVD/eigh, FFTs,
    host callbacks): such a target is a function pointer resolved in the
    process that compiled it, and a kernel holding one crashed (SIGSEGV, not an
    exception) when loaded by another process (QR stored by a process that had
    imported TensorFlow, loaded by one that had not). Those are not stored."""
    try:
        return "custom-call" in compiled.as_text()
    except Exception:  # noqa: BLE001 - unknown: not stored
        return True


def store(ident, avals, compiled, digest=None):
    """Writes `compiled` (a `jax.stages.Compiled`) under (`ident`, `avals`), or `digest`."""
    if not enabled():
        return
    try:
        digest = digest or _digest(ident, avals)
        if digest is None:
            return
        from jax.experimental import serialize_executable  # noqa: PLC0415 - first use only
        if _calls_out(compiled):
            return
        try:
            serialized, in_tree, out_tree = serialize_executable.serialize(compiled)
        except Exception:  # noqa: BLE001 - e.g. a host callback in the kernel
            stats["errors"] += 1
            return
        payload = pickle.dumps((digest, serialized, in_tree, out_tree), protocol=5)
        path = _path(digest)
        tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "wb") as f:
            f.write(FORMAT + hashlib.sha256(payload).digest() + payload)
        os.replace(tmp, path)
        stats["stores"] += 1
        _note(digest)
    except NotImplementedError:
        state["unsupported"] = True  # a backend that cannot serialize: stop trying
    except Exception:  # noqa: BLE001 - never fatal
        stats["errors"] += 1


def _checked(exe, args):
    """The first run of a loaded executable, waited for: an executable whose
    object code did not survive serialization fails only when it runs, in its
    results (asynchronously), where the caller could not fall back."""
    return jax.block_until_ready(exe(*args))


def _store_fresh(ident, avals, compile_again):
    """Stores what `compile_again()` gives (the call just compiled it: JAX's
    in-memory cache answers, ~0.5 ms), unless that answer came from JAX's
    persistent cache instead (an in-memory miss): such code would not run
    when loaded again (see `compiled_afresh`)."""
    try:
        before = compile_count()
        compiled = compile_again()
        if compile_count()[1] == before[1]:
            store(ident, avals, compiled)
    except Exception:  # noqa: BLE001 - never fatal
        stats["errors"] += 1


# -- serving -----------------------------------------------------------------------

try:  # jax.Array's concrete type (creating an array here would start the backend at import)
    from jax._src.array import ArrayImpl as _Array
except ImportError:  # pragma: no cover - another jax layout: nothing is served
    _Array = None


def avals_of(args):
    """(shape, dtype, weak_type) per argument, or None unless every argument is
    an uncommitted array (on the default device): what a cached executable serves."""
    out = []
    for a in args:
        if type(a) is not _Array or a.committed:
            return None
        av = a.aval
        out.append((av.shape, av.dtype, av.weak_type))
    return tuple(out)


def _specs(avals):
    return [jax.ShapeDtypeStruct(s, d, weak_type=w) for s, d, w in avals]


class Kernel:
    """A kernel slot (`tiers.jit`) that looks each new shape up in the cache.

    A hit serves that shape from the loaded executable; a miss calls the
    jit (which compiles) and stores what it compiled. Shapes the cache
    serves are warmed in the jit in the background once they recur
    (`WARM_AFTER` calls: from JAX's in-memory or persistent cache), and a
    slot with nothing left to serve goes back to the plain jit after
    `SETTLE` calls without a new shape, so a steady kernel is on the jit's
    C++ fast path. A trace of a new shape after that puts this dispatcher
    back (`tiers`): the shape after it is looked up again.
    """

    __slots__ = ("jit", "fn", "table", "key", "met", "kind", "ident", "served", "sent", "quiet",
                 "fresh", "pending", "__weakref__")

    def __init__(self, jit, fn, table, key, met=None, kind=None):
        self.jit, self.fn, self.table, self.key = jit, fn, table, key
        self.met = met  # called with the arguments of a shape served with no trace
        self.kind = kind  # what else the code depends on (a quick tier's compiler options)
        self.ident = None  # computed at the first lookup; False: not cacheable
        self.served = {}   # avals -> [loaded executable, calls]
        self.sent = set()  # avals the jit serves
        self.quiet = 0     # calls since the last new shape
        # The same function jitted under a name of its own (`tag`): lowered at
        # the next call and compiled in the background, then stored, when
        # JAX's cache answered a miss (`pending`: those avals; see `_first`).
        self.fresh = None
        self.pending = None

    def __call__(self, *args):
        k = avals_of(args)
        if k is not None:
            entry = self.served.get(k)
            if entry is not None:
                entry[1] += 1
                if entry[1] == WARM_AFTER:
                    self._warm(k)
                try:
                    if entry[1] == 1:  # preloaded, not yet run: checked as `_first` checks
                        return _checked(entry[0], args)
                    return entry[0](*args)
                except Exception:  # noqa: BLE001 - the jit gives the answer (or the error)
                    self.served.pop(k, None)
                    self.sent.add(k)
                    return self.jit(*args)
            if k not in self.sent:
                return self._first(k, args)
            if self.pending is not None:
                self._lower_fresh()
            self.quiet += 1
            if self.quiet >= SETTLE and not self.served:
                self._hand_back()
        return self.jit(*args)

    def _hand_back(self):
        if self.table is not None and self.table.get(self.key) is self:
            self.table[self.key] = self.jit

    def lower(self, *args):
        return self.jit.lower(*args)

    def _identity(self):
        ident = self.ident
        if ident is None and enabled():
            ident, kind = identity(self.fn), identity(self.kind)
            ident = self.ident = False if ident is None or (kind is None) != (
                self.kind is None) else (ident, kind)
            self.fn = None
        return ident

    def preload(self, args):
        """Whether `args`' shape is served from the cache (read now if it is
        there): `tiers.promote` then needs no lowering and no compile."""
        k = avals_of(args)
        if k is None or k in self.sent:
            return False
        if k in self.served:
            return True
        ident = self._identity()
        exe = load(ident, k) if ident and enabled() else None
        if exe is None:
            return False
        self.served[k] = [exe, 0]
        return True

    def keep(self, k, compiled):
        """Stores `compiled` (compiled afresh elsewhere: `tiers.promote`'s thread) for avals `k`."""
        ident = self._identity()
        if ident and enabled() and k is not None:
            store(ident, k, compiled)

    def _first(self, k, args):
        self.quiet = 0
        ident = self._identity()
        if ident and enabled():
            exe = load(ident, k)
            if exe is not None:
                try:
                    out = _checked(exe, args)
                except Exception:  # noqa: BLE001 - served by the jit instead
                    pass
                else:
                    # The executable's C++ call itself (`Compiled.__call__` made it): one
                    # Python frame less per call.
                    self.served[k] = [getattr(exe, "_call", None) or exe, 0]
                    if self.met is not None:
                        self.met(args)
                    return out
        self.sent.add(k)
        before = compile_count()
        out = self.jit(*args)
        if ident and enabled():
            if compiled_afresh(before):
                _store_fresh(ident, k, lambda: self.jit.lower(*_specs(k)).compile())
            elif self.fresh is not None and run_later[0] is not None:
                self.pending = k  # not on this call: a first step is what it would slow down
        return out

    def _lower_fresh(self):
        """Lowers `fresh` for the pending avals here, in the caller's trace
        context (a trace of Keras code on another thread saw other state and
        broke the caller's); its compile and store go to the background."""
        k, self.pending = self.pending, None
        try:
            digest = _digest(self._identity(), k)
            lowered = self.fresh.lower(*_specs(k))
        except Exception:  # noqa: BLE001 - only a head start for the next process
            stats["errors"] += 1
            return
        if digest is not None:
            run_later[0](functools.partial(_compile_fresh, lowered, digest))

    def _warm(self, k):
        later = run_later[0]
        if later is None:
            return  # no background thread: the cache keeps serving it
        ref = weakref.ref(self)

        def warm():
            me = ref()
            if me is None:
                return
            me.jit.lower(*_specs(k)).compile()
            me.sent.add(k)
            me.served.pop(k, None)
            stats["warmed"] += 1
        later(warm)


def _compile_fresh(lowered, digest):
    """On the background thread: a `Kernel.fresh` lowering compiled (its name
    is new to JAX's cache, so XLA compiles it) and stored under `digest`."""
    try:
        before = compile_count()
        compiled = lowered.compile()
        if compiled_afresh(before):
            store(None, None, compiled, digest=digest)
    except Exception:  # noqa: BLE001 - only a head start for the next process
        stats["errors"] += 1


# `tiers.later` (set by tape/tiers.py, a layer above): runs a task on the
# background compile thread.
run_later = [None]


def jit(fn, name=None):
    """`jax.jit(fn)` behind a `Kernel`, for a module-level kernel outside
    `tiers` (a variable's update): called through its slot, which goes back
    to the plain jit once it has nothing to serve."""
    slot = {}

    def traced(*args):
        if slot.get("k") is full:  # a new shape after the hand-back: look the next one up
            slot["k"] = kernel
        return fn(*args)

    traced.__name__ = name or getattr(fn, "__name__", "kernel")
    full = jax.jit(traced)
    kernel = slot["k"] = Kernel(full, fn, slot, "k")

    def call(*args):
        return slot["k"](*args)

    return call


def planned(jitted, plan):
    """A whole-plan program (`backward._compile`) served from the cache when
    it holds one for this plan and these shapes; else the jit, whose code is
    stored. One (structure, shapes) per program: the caller keys it so."""
    if not enabled():
        return jitted
    box = {"exe": None, "plan": plan}  # the plan until the first call (its steps, not its values)

    def program(values, seeds):
        exe = box["exe"]
        if exe is not None:
            try:
                return exe(values, seeds)
            except Exception:  # noqa: BLE001 - e.g. other weak types under the same key
                box["exe"] = False
                return jitted(values, seeds)
        if exe is False:
            return jitted(values, seeds)
        box["exe"] = False
        ident = plan_identity(box.pop("plan")) if box.get("plan") is not None else None
        avals = avals_of(values), avals_of(seeds)
        if ident is None or avals[0] is None or avals[1] is None:
            return jitted(values, seeds)
        key = ("values", *avals[0], "seeds", *avals[1])
        exe = load(ident, key)
        if exe is not None:
            try:
                out = _checked(exe, (values, seeds))
            except Exception:  # noqa: BLE001
                pass
            else:
                box["exe"] = getattr(exe, "_call", None) or exe  # (see `Kernel._first`)
                program.loaded = True  # (`backward` learns compile costs only from compiles)
                return out
        before = compile_count()
        out = jitted(values, seeds)
        if compiled_afresh(before):
            _store_fresh(ident, key, lambda: jitted.lower(_specs(avals[0]), _specs(avals[1])).compile())
        return out

    return program
