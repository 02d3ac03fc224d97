"""Host tier: a kernel's first sightings of a new shape run by NumPy, not compiled.

A kernel that keeps meeting new shapes (a new batch size every call,
run-once exploratory code) pays, per shape, a trace (~3 ms), a lowering
(~5 ms) and an XLA compile (10-300 ms) before it runs: more than TF's
whole eager call (~1 ms for a small MLP's loss and gradient). Nothing
compiled can win that call. So `tiers.Varying` sends a shape's first
sightings here: the kernel's function is traced once per *shape pattern*
with the dimensions that vary between calls as symbols (`jax.export`'s
shape polymorphism), and that jaxpr is evaluated by NumPy for every
concrete shape of the pattern. A later sighting of the same shape is
compiled as before, so a shape that recurs gets XLA's code.

What NumPy cannot do as XLA does (a primitive missing from `_RULES`,
16-bit floats, complex numbers, weak-typed results, arrays not on the
default CPU device, a function whose trace needs concrete dimensions)
returns `MISS`, remembered per pattern, and the caller compiles. Values
agree with XLA's to rounding: NumPy sums pairwise, uses its own libm, and
does not contract multiply-adds, where XLA's CPU code does; TF's kernels
differ from both in the same last bits.
"""
from __future__ import annotations

import functools
import math
import os

import jax
import numpy as np
from jax import export
from jax.extend import core as jcore
from jax._src.core import trace_ctx

MISS = object()

config = {"on": os.environ.get("JAXTAPE_HOST_TIER", "1") != "0",
          "below": 4,  # sightings of a shape served here before it compiles
          "after": 2,  # shapes a kernel compiles before its new ones come here (`tiers`)
          "max_elements": 1 << 16,  # larger arguments compile: NumPy does not fuse
          "max_patterns": 4096}

# What this tier did (tests, benchmarks): calls served, patterns traced.
counts = {"served": 0, "traced": 0}

# (kernel function, pattern) -> (program, output tree) or MISS.
_traced = {}
# kernel function -> the position sets that varied in its last patterns.
_positions = {}
_HOSTED = frozenset(map(np.dtype, ("float32", "float64", "int32", "int64", "uint8", "int8",
                                   "uint32", "bool")))


def _cpu_default():
    dev = jax.devices()[0]
    return dev if dev.platform == "cpu" else None


def serves(arrays):
    """Whether kernels meeting new shapes on `arrays` would run here."""
    if not config["on"] or _cpu_default() is None:
        return False
    limit = config["max_elements"]
    return all(getattr(a, "size", 0) <= limit for a in arrays)


def run(fn, args, recent):
    """`fn(*args)` evaluated by NumPy, or MISS. `recent`: other shape keys of
    this kernel (`tiers._shape_key`); the dimensions in which the nearest
    differs become symbols."""
    if not trace_ctx.is_top_level():
        # Under an outer trace (a tf.function body) concrete arguments are what
        # the trace reads (a variable's value): computed here, the result would
        # be baked into the program as a constant.
        return MISS
    arrays, avals = [], []
    limit = config["max_elements"]
    for a in args:
        if not isinstance(a, jax.Array) or a.committed:
            return MISS  # (uncommitted: on the default device, where the result goes)
        aval = a.aval
        if aval.weak_type or aval.dtype not in _HOSTED or aval.size > limit:
            return MISS
        arrays.append(np.asarray(a))
        avals.append(aval)
    if not arrays:
        return MISS
    device = next(iter(args[0].devices()))
    if device.platform != "cpu":
        return MISS
    key = entry = None
    # What a trace gives depends on JAX's x64 mode too (Keras code runs with it
    # off, jaxtape's own with it on: `keras/common.float32_defaults`).
    x64 = jax.config.jax_enable_x64
    for positions in _positions.get(fn, ()):  # the dimensions that varied before
        key = _keyed(avals, positions)[0]
        entry = _traced.get((fn, key, x64))
        if entry is not None:
            break
    if entry is None:
        positions = _nearest(avals, recent)
        if positions is None:
            return MISS
        key, names = _keyed(avals, positions)
        if len(_traced) >= config["max_patterns"]:
            _traced.clear()  # holds kernel functions: bounded
            _positions.clear()
        entry = _traced[(fn, key, x64)] = _trace(fn, avals, names, key)
        counts["traced"] += 1
        known = _positions.setdefault(fn, [])
        if positions not in known:
            known.insert(0, positions)
            del known[4:]
    if entry is MISS:
        return MISS
    program, tree = entry
    env = {}
    for arg, (dims, _) in zip(arrays, key):
        for size, dim in zip(arg.shape, dims):
            if type(dim) is str:
                env[dim] = size
    try:
        with np.errstate(all="ignore"):
            outs = program.run(arrays, env)
    except Exception as e:  # noqa: BLE001 - _Unsupported, or a rule's slip: compiled instead
        if os.environ.get("JAXTAPE_HOST_DEBUG"):
            print("host tier:", type(e).__name__, e)
        _traced[(fn, key, x64)] = MISS
        return MISS
    counts["served"] += 1
    return tree.unflatten([_to_device(o, device) for o in outs])


def _put_api(x, device):
    return jax.device_put(x)


def _put_direct(x, device):
    return _xc.batched_device_put(_aval(x.shape, x.dtype), _sharding(device), [x], [device],
                                  False, True, _COPY)


try:  # jaxlib's transfer itself: 3-4 µs, where `jax.device_put` costs ~55 µs
    # of Python around it (and `jnp.asarray` compiles a copy per new shape)
    from jax._src import core as _core
    from jax._src.lib import xla_client as _xc
    _COPY = _xc.HostBufferSemantics.IMMUTABLE_ONLY_DURING_CALL
    _sharding = functools.lru_cache(maxsize=64)(jax.sharding.SingleDeviceSharding)
    _aval = functools.lru_cache(maxsize=4096)(_core.ShapedArray)
except Exception:  # noqa: BLE001 - another jaxlib: the public path
    _put = _put_api
else:
    _put = _put_direct


def _to_device(x, device):
    # An uncommitted copy on `device`, as a jitted kernel's result would be.
    # (A broadcast view is strided: made contiguous first.)
    if not x.flags.c_contiguous:
        x = x.copy()
    try:
        return _put(x, device)
    except Exception:  # noqa: BLE001
        return _put_api(x, device)


def _nearest(avals, recent):
    """The (argument, dimension) positions in which the nearest of the
    `recent` shape keys differs from `avals` (those > 1 in both), or None."""
    best, fewest = None, None
    for other in recent:
        if len(other) != len(avals):
            continue
        differ = []
        for i, (aval, (before, _)) in enumerate(zip(avals, other)):
            if before is None or len(before) != len(aval.shape):
                break
            differ.extend((i, j) for j, (x, y) in enumerate(zip(aval.shape, before))
                          if x != y and x > 1 and y > 1)
        else:
            if differ and (fewest is None or len(differ) < fewest):
                best, fewest = frozenset(differ), len(differ)
    return best


def _keyed(avals, positions):
    """Per argument (dims with those at `positions` named by value, dtype),
    and the names."""
    names, key = {}, [(aval.shape, aval.dtype) for aval in avals]
    for i, j in sorted(positions):
        if i >= len(key) or j >= len(key[i][0]):
            continue  # another signature's positions
        dims, dtype = key[i]
        d = dims[j]
        if type(d) is int and d > 1:
            name = names.get(d)
            if name is None:
                name = names[d] = f"d{len(names)}"
            key[i] = (dims[:j] + (name,) + dims[j + 1:], dtype)
    return tuple(key), names


def _trace(fn, avals, names, key):
    spec = ", ".join(names.values())
    symbols = dict(zip(names.values(), export.symbolic_shape(
        spec, constraints=tuple(f"{s} >= 2" for s in names.values()))))
    structs = [jax.ShapeDtypeStruct(tuple(symbols[d] if isinstance(d, str) else d for d in dims),
                                    dtype) for dims, dtype in key]
    try:
        closed, shapes = jax.make_jaxpr(fn, return_shape=True)(*structs)
    except Exception:  # noqa: BLE001 - needs concrete dimensions: the caller compiles
        return MISS
    if any(v.aval.weak_type or np.dtype(v.aval.dtype) not in _HOSTED
           for v in closed.jaxpr.outvars if hasattr(v.aval, "dtype")):
        return MISS
    try:
        program = _Program(closed)
    except _Unsupported:
        return MISS
    return program, jax.tree_util.tree_structure(shapes)


class _Unsupported(Exception):
    pass


def _dim(d, env):
    t = type(d)
    if t is int:
        return d
    if t is str:
        return env[d]
    return int(d._evaluate(env))


def _shape(shape, env):
    return tuple([d if type(d) is int else _dim(d, env) for d in shape])


def _template(shape):
    """`shape` with each one-symbol dimension as its name (a lookup in the
    call's bindings; evaluating the expression costs ~15 µs)."""
    out = []
    for d in shape:
        if type(d) is not int:
            name = str(d)
            if name.isidentifier():
                d = name
        out.append(d)
    return tuple(out)


def _checked(eqn, o, shape, fixed, dtype, env):
    o = np.asarray(o)
    if o.dtype != dtype:
        o = o.astype(dtype)
    if o.shape != (shape if fixed else _shape(shape, env)):
        raise _Unsupported(f"{eqn.primitive.name} gave {o.shape}, not {shape}")
    return o


class _Prepared:
    """An equation's primitive and params, its shape parameters as templates."""

    __slots__ = ("primitive", "params")

    def __init__(self, eqn):
        self.primitive = eqn.primitive
        params = dict(eqn.params)
        for name in ("shape", "new_sizes", "slice_sizes"):
            if params.get(name) is not None:
                params[name] = _template(params[name])
        if "dim" in params and eqn.primitive.name == "dim_as_value":
            params["dim"] = _template((params["dim"],))[0]
        self.params = params


# Call-like primitives whose body is inlined: (param holding the jaxpr).
_INLINE = {"pjit": "jaxpr", "jit": "jaxpr", "closed_call": "call_jaxpr", "core_call": "call_jaxpr",
           "custom_jvp_call": "call_jaxpr", "custom_vjp_call": "call_jaxpr",
           "custom_vjp_call_jaxpr": "fun_jaxpr", "remat": "jaxpr", "checkpoint": "jaxpr"}


class _Program:
    """A closed jaxpr flattened into steps over numbered registers: calls
    inlined, literals and constants placed once, output shapes as
    templates (checked on every step: a rule's slip raises, never returns
    a wrong shape)."""

    def __init__(self, closed):
        self.init = []   # register file template (constants filled in)
        self.steps = []  # (rule, eqn, in registers, out registers, shapes, dtypes)
        scope = {}
        self._bind_consts(closed.jaxpr.constvars, closed.consts, scope)
        self.inputs = [self._new(scope, v) for v in closed.jaxpr.invars]
        self._emit(closed.jaxpr, scope)
        self.outputs = [self._ref(scope, v) for v in closed.jaxpr.outvars]

    def _new(self, scope, v):
        scope[v] = len(self.init)
        self.init.append(None)
        return scope[v]

    def _const(self, value):
        self.init.append(value)
        return len(self.init) - 1

    def _bind_consts(self, constvars, consts, scope):
        for v, c in zip(constvars, consts):
            scope[v] = self._const(np.asarray(c))

    def _ref(self, scope, v):
        if isinstance(v, jcore.Literal):
            return self._const(np.asarray(v.val, dtype=v.aval.dtype))
        return scope[v]

    def _emit(self, jaxpr, scope):
        for eqn in jaxpr.eqns:
            name = eqn.primitive.name
            ins = [self._ref(scope, v) for v in eqn.invars]
            inner = _INLINE.get(name)
            if inner is not None:
                body = eqn.params.get(inner) or eqn.params.get("call_jaxpr")
                if body is None:
                    raise _Unsupported(name)
                sub = {}
                if hasattr(body, "jaxpr"):  # a closed jaxpr
                    self._bind_consts(body.jaxpr.constvars, body.consts, sub)
                    body = body.jaxpr
                for v, r in zip(body.invars, ins):
                    sub[v] = r
                self._emit(body, sub)
                for v, o in zip(eqn.outvars, body.outvars):
                    scope[v] = self._ref(sub, o)
                continue
            rule = _RULES.get(name)
            if rule is None:
                raise _Unsupported(name)
            outs = [self._new(scope, v) for v in eqn.outvars]
            shapes = [_template(v.aval.shape) for v in eqn.outvars]
            fixed = [all(type(d) is int for d in t) for t in shapes]
            dtypes = [np.dtype(v.aval.dtype) for v in eqn.outvars]
            if eqn.primitive.multiple_results:
                self.steps.append((rule, _Prepared(eqn), ins, None,
                                   list(zip(outs, shapes, fixed, dtypes))))
            else:
                self.steps.append((rule, _Prepared(eqn), ins, outs[0],
                                   (shapes[0], fixed[0], dtypes[0])))

    def run(self, args, env):
        regs = list(self.init)
        for r, a in zip(self.inputs, args):
            regs[r] = a
        ndarray = np.ndarray
        for rule, eqn, ins, out, check in self.steps:
            got = rule(env, eqn, *[regs[i] for i in ins])
            if out is None:
                for (r, shape, fixed, dtype), o in zip(check, got):
                    regs[r] = _checked(eqn, o, shape, fixed, dtype, env)
                continue
            shape, fixed, dtype = check
            if type(got) is not ndarray:
                got = np.asarray(got)
            if got.dtype != dtype:
                got = got.astype(dtype)
            if got.shape != (shape if fixed else _shape(shape, env)):
                raise _Unsupported(f"{eqn.primitive.name} gave {got.shape}, not {shape}")
            regs[out] = got
        return [regs[r] for r in self.outputs]


def _dot_general(env, eqn, lhs, rhs):
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    lf = [d for d in range(lhs.ndim) if d not in lc and d not in lb]
    rf = [d for d in range(rhs.ndim) if d not in rc and d not in rb]
    batch = [lhs.shape[d] for d in lb]
    m = math.prod(lhs.shape[d] for d in lf)
    n = math.prod(rhs.shape[d] for d in rf)
    k = math.prod(lhs.shape[d] for d in lc)
    a = lhs.transpose(*lb, *lf, *lc).reshape(*batch, m, k)
    b = rhs.transpose(*rb, *rc, *rf).reshape(*batch, k, n)
    out = np.matmul(a, b)
    return out.reshape(*batch, *[lhs.shape[d] for d in lf], *[rhs.shape[d] for d in rf])


def _broadcast_in_dim(env, eqn, x, *dyn):
    if dyn:
        raise _Unsupported("dynamic broadcast")
    shape = _shape(eqn.params["shape"], env)
    dims = eqn.params["broadcast_dimensions"]
    expanded = [1] * len(shape)
    for i, d in enumerate(dims):
        expanded[d] = x.shape[i]
    return np.broadcast_to(x.reshape(expanded), shape)


def _reshape(env, eqn, x, *dyn):
    if dyn or eqn.params.get("dimensions") is not None:
        raise _Unsupported("reshape")
    return x.reshape(_shape(eqn.params["new_sizes"], env))


def _reduce(np_fn):
    def rule(env, eqn, x):
        axes = tuple(eqn.params["axes"])
        return np_fn(x, axis=axes) if axes else x
    return rule


def _arg_reduce(np_fn):
    def rule(env, eqn, x):
        (axis,) = eqn.params["axes"]
        if x.dtype.kind == "f" and np_fn is np.argmin:
            # XLA's argmin, like its argmax, takes the first NaN as the extreme
            nan = np.isnan(x)
            if nan.any():
                return np.where(nan.any(axis=axis), np.argmax(nan, axis=axis), np_fn(x, axis=axis))
        return np_fn(x, axis=axis)
    return rule


def _select_n(env, eqn, which, *cases):
    if len(cases) == 2 and which.dtype == np.bool_:
        return np.where(which, cases[1], cases[0])
    return np.choose(which.astype(np.int64), cases)


def _convert(env, eqn, x):
    new = np.dtype(eqn.params["new_dtype"])
    if x.dtype.kind == "f" and new.kind in "iub":
        raise _Unsupported("float to integer")  # XLA's rounding and saturation rules
    return x.astype(new)


def _integer_pow(env, eqn, x):
    y = eqn.params["y"]
    if y < 0 or x.dtype.kind != "f":
        raise _Unsupported("integer_pow")
    # Binary exponentiation, the products XLA forms for a constant power.
    acc, base = None, x
    while y:
        if y & 1:
            acc = base if acc is None else acc * base
        y >>= 1
        if y:
            base = base * base
    return np.ones_like(x) if acc is None else acc


def _div(env, eqn, a, b):
    if a.dtype.kind != "f":
        raise _Unsupported("integer division")  # rounds toward zero; by zero undefined
    if b.size < a.size or any(stride == 0 and size > 1 for stride, size in zip(b.strides, b.shape)):
        # XLA divides by a broadcast operand as a multiply by its reciprocal (up to
        # an ulp from true division): the same bits as the compiled kernel.
        return a * np.reciprocal(b)
    return a / b


def _iota(env, eqn):
    p = eqn.params
    shape = _shape(p["shape"], env)
    d = p["dimension"]
    ramp = np.arange(shape[d], dtype=np.dtype(p["dtype"]))
    return np.broadcast_to(ramp.reshape([-1 if i == d else 1 for i in range(len(shape))]), shape)


def _slice(env, eqn, x):
    p = eqn.params
    strides = p["strides"] or (1,) * x.ndim
    return x[tuple(slice(s, e, st) for s, e, st in zip(p["start_indices"], p["limit_indices"],
                                                         strides))]


def _pad(env, eqn, x, value):
    config_ = eqn.params["padding_config"]
    if any(lo < 0 or hi < 0 or inner for lo, hi, inner in config_):
        raise _Unsupported("pad")
    return np.pad(x, [(lo, hi) for lo, hi, _ in config_], constant_values=value)


def _cumulative(np_fn):
    def rule(env, eqn, x):
        axis, reverse = eqn.params["axis"], eqn.params["reverse"]
        if reverse:
            return np.flip(np_fn(np.flip(x, axis), axis=axis), axis)
        return np_fn(x, axis=axis)
    return rule


def _round(env, eqn, x):
    if int(eqn.params["rounding_method"]) == 1:
        return np.round(x)  # to nearest even
    return np.copysign(np.floor(np.abs(x) + np.asarray(0.5, x.dtype)), x)


def _gather_index(operand_shape, indices, batch_shape, slice_sizes, start_map, batching,
                  index_batching, clip):
    """Per operand dim an index array over (batch dims..., slice dims...)."""
    nb = len(batch_shape)
    out = []
    for d, size in enumerate(operand_shape):
        slice_ramp = np.arange(slice_sizes[d]).reshape((1,) * nb + tuple(
            -1 if i == d else 1 for i in range(len(operand_shape))))
        if d in start_map:
            start = indices[..., start_map.index(d)].astype(np.int64)
            if clip:
                start = np.clip(start, 0, size - slice_sizes[d])
            out.append(start.reshape(batch_shape + (1,) * len(operand_shape)) + slice_ramp)
        elif d in batching:
            j = index_batching[batching.index(d)]
            ramp = np.arange(batch_shape[j]).reshape(tuple(-1 if i == j else 1 for i in range(nb))
                                                    + (1,) * len(operand_shape))
            out.append(ramp + slice_ramp)
        else:
            out.append(slice_ramp)
    return out


def _in_bounds(operand_shape, indices, batch_shape, slice_sizes, start_map):
    ok = np.ones(batch_shape, bool)
    for k, d in enumerate(start_map):
        start = indices[..., k]
        ok &= (start >= 0) & (start <= operand_shape[d] - slice_sizes[d])
    return ok


def _mode(params):
    mode = str(params["mode"])
    if "CLIP" in mode:
        return True
    if "FILL_OR_DROP" in mode or "PROMISE" in mode:
        return False
    raise _Unsupported(mode)


def _gather(env, eqn, operand, indices):
    p = eqn.params
    dn = p["dimension_numbers"]
    slice_sizes = _shape(p["slice_sizes"], env)
    batch_shape = indices.shape[:-1]
    clip = _mode(p)
    start_map = tuple(dn.start_index_map)
    batching, index_batching = tuple(dn.operand_batching_dims), tuple(dn.start_indices_batching_dims)
    idx = _gather_index(operand.shape, indices, batch_shape, slice_sizes, start_map, batching,
                        index_batching, clip=True)
    taken = operand[tuple(idx)]  # batch dims + every operand dim (slices)
    nb = len(batch_shape)
    if not clip:
        ok = _in_bounds(operand.shape, indices, batch_shape, slice_sizes, start_map)
        fill = p.get("fill_value")
        if fill is None:
            fill = np.nan if operand.dtype.kind == "f" else (
                True if operand.dtype == np.bool_ else np.iinfo(operand.dtype).min
                if operand.dtype.kind == "i" else np.iinfo(operand.dtype).max)
        taken = np.where(ok.reshape(batch_shape + (1,) * operand.ndim), taken,
                         np.asarray(fill, operand.dtype))
    dropped = set(dn.collapsed_slice_dims) | set(batching)
    keep = [nb + d for d in range(operand.ndim) if d not in dropped]
    taken = taken.reshape(batch_shape + tuple(
        s for d, s in enumerate(taken.shape[nb:]) if d not in dropped))
    # Output dims: offset dims at `offset_dims`, batch dims in order elsewhere.
    offset_dims = tuple(dn.offset_dims)
    rank = nb + len(keep)
    order, b, o = [], 0, nb
    for i in range(rank):
        if i in offset_dims:
            order.append(o)
            o += 1
        else:
            order.append(b)
            b += 1
    return taken.transpose(order)


def _scatter(combine):
    def rule(env, eqn, operand, indices, updates):
        p = eqn.params
        dn = p["dimension_numbers"]
        clip = _mode(p)
        window = tuple(dn.update_window_dims)
        inserted = set(dn.inserted_window_dims)
        batching = tuple(dn.operand_batching_dims)
        index_batching = tuple(dn.scatter_indices_batching_dims)
        start_map = tuple(dn.scatter_dims_to_operand_dims)
        batch_shape = indices.shape[:-1]
        nb = len(batch_shape)
        # Updates as (scatter batch dims..., window dims...), like a gather's result.
        scatter_dims = [i for i in range(updates.ndim) if i not in window]
        upd = updates.transpose(*scatter_dims, *window)
        slice_sizes, w = [], iter(upd.shape[nb:])
        for d in range(operand.ndim):
            slice_sizes.append(1 if d in inserted or d in batching else next(w))
        upd = upd.reshape(batch_shape + tuple(slice_sizes))
        idx = _gather_index(operand.shape, indices, batch_shape, slice_sizes, start_map, batching,
                            index_batching, clip=clip)
        idx = [np.broadcast_to(i, upd.shape) for i in idx]
        if not clip:
            ok = np.broadcast_to(_in_bounds(operand.shape, indices, batch_shape, slice_sizes,
                                            start_map).reshape(batch_shape + (1,) * operand.ndim),
                                 upd.shape)
            for d, size in enumerate(operand.shape):
                ok = ok & (idx[d] >= 0) & (idx[d] < size)
            idx = [i[ok] for i in idx]
            upd = upd[ok]
        out = np.array(operand, copy=True)
        combine(out, tuple(idx), upd)
        return out
    return rule


def _scatter_set(out, idx, upd):
    out[idx] = upd


def _unary(np_fn):
    return lambda env, eqn, x: np_fn(x)


def _binary(np_fn):
    return lambda env, eqn, a, b: np_fn(a, b)


def _logistic(env, eqn, x):
    one = np.asarray(1, x.dtype)
    return one / (one + np.exp(-x))


def _squeeze(env, eqn, x):
    return np.squeeze(x, axis=tuple(eqn.params["dimensions"]))


def _concatenate(env, eqn, *xs):
    return np.concatenate(xs, axis=eqn.params["dimension"])


def _split(env, eqn, x):
    cuts = np.cumsum(eqn.params["sizes"])[:-1]
    return np.split(x, cuts, axis=eqn.params["axis"])


def _clamp(env, eqn, lo, x, hi):
    return np.minimum(np.maximum(x, lo), hi)


def _rsqrt(x):
    return np.asarray(1, x.dtype) / np.sqrt(x)


def _expand(x):
    return x  # stop_gradient, copy, optimization barriers: identities for values


_RULES = {
    "add": _binary(np.add), "add_any": _binary(np.add), "sub": _binary(np.subtract),
    "mul": _binary(np.multiply), "div": _div, "max": _binary(np.maximum),
    "min": _binary(np.minimum), "pow": _binary(np.power), "rem": _binary(np.fmod),
    "atan2": _binary(np.arctan2), "nextafter": _binary(np.nextafter),
    "eq": _binary(np.equal), "ne": _binary(np.not_equal), "lt": _binary(np.less),
    "le": _binary(np.less_equal), "gt": _binary(np.greater), "ge": _binary(np.greater_equal),
    "and": _binary(np.bitwise_and), "or": _binary(np.bitwise_or), "xor": _binary(np.bitwise_xor),
    "not": _unary(np.invert), "neg": _unary(np.negative), "abs": _unary(np.abs),
    "sign": _unary(np.sign), "floor": _unary(np.floor), "ceil": _unary(np.ceil),
    "round": _round, "is_finite": _unary(np.isfinite), "exp": _unary(np.exp),
    "exp2": _unary(np.exp2), "log": _unary(np.log), "log1p": _unary(np.log1p),
    "expm1": _unary(np.expm1), "tanh": _unary(np.tanh), "logistic": _logistic,
    "sqrt": _unary(np.sqrt), "rsqrt": _unary(_rsqrt), "cbrt": _unary(np.cbrt),
    "sin": _unary(np.sin), "cos": _unary(np.cos), "tan": _unary(np.tan),
    "asin": _unary(np.arcsin), "acos": _unary(np.arccos), "atan": _unary(np.arctan),
    "sinh": _unary(np.sinh), "cosh": _unary(np.cosh), "asinh": _unary(np.arcsinh),
    "acosh": _unary(np.arccosh), "atanh": _unary(np.arctanh),
    "square": _unary(np.square), "integer_pow": _integer_pow,
    "stop_gradient": _unary(_expand), "copy": _unary(_expand), "copy_p": _unary(_expand),
    "optimization_barrier": lambda env, eqn, *xs: list(xs),
    "select_n": _select_n, "clamp": _clamp, "convert_element_type": _convert,
    "dot_general": _dot_general, "broadcast_in_dim": _broadcast_in_dim, "reshape": _reshape,
    "transpose": lambda env, eqn, x: x.transpose(eqn.params["permutation"]),
    "squeeze": _squeeze, "rev": lambda env, eqn, x: np.flip(x, eqn.params["dimensions"]),
    "concatenate": _concatenate, "split": _split, "slice": _slice, "pad": _pad, "iota": _iota,
    "reduce_sum": _reduce(np.sum), "reduce_max": _reduce(np.max), "reduce_min": _reduce(np.min),
    "reduce_prod": _reduce(np.prod), "reduce_and": _reduce(np.all), "reduce_or": _reduce(np.any),
    "argmax": _arg_reduce(np.argmax), "argmin": _arg_reduce(np.argmin),
    "cumsum": _cumulative(np.cumsum), "cumprod": _cumulative(np.cumprod),
    "cummax": _cumulative(np.maximum.accumulate), "cummin": _cumulative(np.minimum.accumulate),
    "gather": _gather, "scatter-add": _scatter(np.add.at), "scatter_add": _scatter(np.add.at),
    "scatter": _scatter(_scatter_set),
    "dim_as_value": lambda env, eqn: _dim(eqn.params["dim"], env),
}
