"""`tf.map_fn`, `tf.vectorized_map`, `tf.scan`, `tf.foldl` and `tf.foldr`.

Eagerly each is a Python loop over the leading dimension, as TF's eager
while loop is: the elems are split with one `unstack` per tensor, `fn` runs
on each slice as ordinary jaxtape ops, and the outputs are stacked. Every op
is recorded on the active tapes, so gradients (nested and persistent tapes,
tapes inside `fn`, and which gradients are None) are those of the same code
written by hand, which are TF's.

Inside `tf.function` TF traces `fn` once into a While op. `map_fn`, `scan`
and the folds do the same: `fn` is traced once (`closure.trace`) and runs as
one `lax.map`/`lax.scan` inside ONE primitive whose inputs are the elems,
the accumulators and everything `fn` captured. The program holds `fn` once
whatever the length, and, as with TF's While op, the gradient reaches every
input of the loop (zeros where `fn` never read it, not eager's None).

Where that one trace shows the primitive cannot stand for the loop, the
traced code runs the eager loop instead, unrolled into the program (n
copies of `fn`'s ops: XLA's compile time grows with n), its results made to
depend on the loop's inputs as the While op's do. That is when `fn` assigns
variables (they would have to be carried through the loop), works on
strings (host values, not traceable), or draws random numbers (jaxtape's
keys are trace-time constants: one traced body would repeat one draw on
every element, where TF draws anew).

`vectorized_map` is always the loop: TF's pfor vectorizes `fn`, and its
gradients are None for elems `fn` never reads, as the loop's are.

TF's eager errors come from its TensorArrays (dtype and shape checks on
writes, bounds on reads) and, traced, from its While op (loop variables
must keep their dtypes and shapes); the texts below are those.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxtape._src.compile import capture, closure
from jaxtape._src.compile.function import traced
from jaxtape._src.compile.signature import TRACED, TensorSpec
from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import (InvalidArgumentError, NotImplementedInJaxtape,
                                           OutOfRangeError)
from jaxtape._src.framework.exports import REGISTRY, export
from jaxtape._src.framework.nest import assert_same_structure, flatten, is_nested, pack_sequence_as
from jaxtape._src.framework.ragged_tensor import RaggedTensor
from jaxtape._src.framework.sparse_tensor import SparseTensor
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.tensor_shape import TensorShape
from jaxtape._src.framework.tracing import is_traced
from jaxtape._src.framework.variables import Variable
from jaxtape._src.tape import dependence
from jaxtape._src.tape.primitive import TRAINABLE, Primitive


# -- elems --------------------------------------------------------------------

def _read_variables(structure):
    """TF reads variables among the elems before anything else."""
    leaves = flatten(structure)
    if not any(isinstance(v, Variable) for v in leaves):
        return structure
    return pack_sequence_as(structure, [v._read_for_op() if isinstance(v, Variable) else v
                                        for v in leaves])


def _elem_tensor(value, op):
    if isinstance(value, (SparseTensor, RaggedTensor)):  # TF slices them into composite rows
        raise NotImplementedInJaxtape(f"jaxtape does not implement tf.{op} over "
                                      f"tf.{type(value).__name__} elems")
    return convert_to_tensor(value)


def _dims(t):
    return t.shape.as_list()


def _is_string(dtype):
    return dtype == dtypes.string


def _stack(values):
    # The registered ops: string tensors reroute them (ops/strings/host.py).
    return REGISTRY["stack"](values)


def _slices(flat):
    """Each tensor's slices along its leading dimension (one recorded op each)."""
    unstack = REGISTRY["unstack"]
    return [unstack(t) if _dims(t)[0] else [] for t in flat]


def _empty(shape, dtype):
    """A stacked result of no elements."""
    if _is_string(dtype):
        return convert_to_tensor(np.zeros(shape, object), dtypes.string)
    return Tensor(jnp.zeros(shape, dtype.as_numpy_dtype))


def _leading_dim(flat):
    """scan's and the folds' `elems_flat[0].shape[0]`, with its Python errors."""
    if not flat:
        raise IndexError("list index out of range")
    dims = _dims(flat[0])
    if not dims:
        raise IndexError("tuple index out of range")
    return dims[0]


def _unstack_check(flat, n):
    """TF unstacks each elem into a TensorArray of the first elem's length."""
    for t in flat:
        dims = _dims(t)
        if not dims:
            raise ValueError("Shape must be at least rank 1 but is rank 0")
        if dims[0] > n:
            raise ValueError(f"Cannot unstack {dims[0]} tensors into a TensorArray of static size {n} ")


def _read_check(sizes, i, in_trace):
    """TF's TensorArray read bounds, for elems whose lengths differ (traced,
    its TensorArrays are TensorLists, whose kernel words it differently)."""
    for size in sizes:
        if in_trace and not 0 <= i < size:
            raise InvalidArgumentError(None, None, f"Trying to access element {i} in a list with "
                                                   f"{size} elements.")
        if i < 0:
            raise OutOfRangeError(None, None,
                                  f"Reading from negative indices (index {i}) is not allowed.")
        if i >= size:
            raise OutOfRangeError(None, None, f"Tried to read from index {i} but array size is: {size} ")


def _check_callable(fn, message):
    if not callable(fn):
        raise TypeError(message.format(name=fn.__name__))  # no __name__: TF's AttributeError too


# -- per-element checks ---------------------------------------------------------

class _Accumulator:
    """Where one flat output's per-element values go: TF's TensorArray checks
    (dtype on every write; with `infer_shape`, a shape merged over writes)."""

    def __init__(self, dtype, shape, infer_shape, size, in_trace=False):
        self.dtype = dtype
        self.shape = shape
        self.infer_shape = infer_shape
        self.in_trace = in_trace
        self.values = [None] * size

    def write(self, i, value):
        value = convert_to_tensor(value, dtype_hint=self.dtype)
        if value.dtype != self.dtype:
            raise InvalidArgumentError(None, None, f"TensorArray dtype is {self.dtype.name} but Op "
                                                   f"is trying to write dtype {value.dtype.name} ")
        if self.infer_shape:
            if not self.shape.is_compatible_with(value.shape):
                if self.in_trace:
                    raise ValueError(f"Inconsistent shapes: saw {value.shape} but expected {self.shape} ")
                raise ValueError(f"Incompatible shape for value ({value.shape}), "
                                 f"expected ({self.shape})")
            self.shape = self.shape.merge_with(value.shape)
        self.values[i] = value
        return value

    def stack(self):
        if not self.values:
            known = self.shape.is_fully_defined()
            return _empty((0, *self.shape.as_list()) if known else (0,), self.dtype)
        return _stack(self.values)


class _LoopVars:
    """Traced, TF's While op wants its loop variables (the accumulators) to
    keep the dtypes and shapes they entered with; eagerly nothing checks."""

    def __init__(self, op, entering):
        self.op = op
        self.entering = [(v.dtype, v.shape) for v in entering]

    def check(self, values):
        values = [convert_to_tensor(v) for v in values]
        for j, ((dtype, shape), v) in enumerate(zip(self.entering, values)):
            name = f"{self.op}/accumulator:{j}"
            if v.dtype != dtype:
                raise TypeError(f"Loop var {name} enters the loop with type <dtype: '{dtype.name}'> but "
                                f"has type <dtype: '{v.dtype.name}'> after 1 iteration. {name} type "
                                "should remain constant.")
            if v.shape != shape:
                raise ValueError(f"Input tensor `{name}` enters the loop with shape {shape}, but has "
                                 f"shape {v.shape} after one iteration. To allow the shape to vary "
                                 "across iterations, use the `shape_invariants` argument of "
                                 "tf.while_loop to specify a less-specific shape.")
        return values


# -- traced: one primitive ------------------------------------------------------

def _aval(t, drop_leading=False):
    shape = t._value.shape[1:] if drop_leading else t._value.shape
    return jax.ShapeDtypeStruct(shape, t._value.dtype)


_RANDOM = ("random", "threefry")


def _draws_random(jaxpr) -> bool:
    """Whether the program (or one nested in it) samples random numbers."""
    for eqn in jaxpr.eqns:
        if any(word in eqn.primitive.name for word in _RANDOM):
            return True
        for param in eqn.params.values():
            for inner in param if isinstance(param, (tuple, list)) else (param,):
                inner = getattr(inner, "jaxpr", inner)  # a ClosedJaxpr's Jaxpr
                if hasattr(inner, "eqns") and _draws_random(inner):
                    return True
    return False


def _trace_body(body, tensors, avals):
    """`fn`'s body traced once, or None where one lax loop cannot run it (see
    the module docstring); `tensors` are the loop's inputs."""
    if any(_is_string(t.dtype) for t in tensors):
        return None
    tr = closure.trace(body, avals)
    if tr.vars or any(t is not TRACED for t in tr.out_template) or _draws_random(tr.jaxpr):
        return None
    return tr


def _run_traced(tr, name, loop, inputs):
    """Records `loop(consts, *inputs)` (a lax loop over `tr`) as one primitive."""
    k = len(inputs)

    def run(*ops):
        return tuple(loop(ops[k:], *ops[:k]))

    closure.watch_accessed([tr])
    return list(Primitive(run, name, multiple_results=True)(*inputs, *tr.operands))


def _tie(value, *deps):
    return dependence.keep(value, deps)


_tie_prim = Primitive(_tie, "WhileTie")


def _tie_to_inputs(results, inputs):
    """The unrolled loop's results, made to depend on the loop's inputs as a
    While op's do: its gradient reaches them all (zeros where `fn` never read
    one) where the plain loop's would be None."""
    deps = [t for t in inputs if isinstance(t, Tensor) and t._value.dtype in TRAINABLE]
    if not deps:
        return results
    return [_tie_prim(r, *deps) if isinstance(r, Tensor) and r._value.dtype in TRAINABLE else r
            for r in results]


class _Abstract:
    """Runs `fn` once in a throwaway trace, for output shapes when there are
    no elements to run it on (TF traces `fn` once): nothing it computes or
    assigns reaches the program, the variables or the tapes."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, examples):
        """examples: a flat list of Tensors shaped like one slice; returns
        what `fn` returns given them (inner tracers: read their shapes only)."""
        scope = capture.active_scope()
        saved = None if scope is None else {k: dict(v) for k, v in vars(scope).items()
                                            if isinstance(v, dict)}
        found = []
        strings = [_is_string(t.dtype) for t in examples]
        avals = [_aval(t) for t, s in zip(examples, strings) if not s]

        def run(*arrays):
            it = iter(arrays)
            args = [t if s else Tensor(next(it)) for t, s in zip(examples, strings)]
            found.append(self.fn(args))
            return []

        own = capture.tracing_scope(capture.Scope(allow_create=True)) if scope is None else None
        try:
            if own is not None:
                own.__enter__()
            with traced([]):
                jax.make_jaxpr(run)(*avals)
        finally:
            if own is not None:
                own.__exit__(None, None, None)
            if saved is not None:
                for k, v in saved.items():
                    getattr(scope, k).clear()
                    getattr(scope, k).update(v)
        return found[0]


def _example_slices(flat):
    return [_empty(_dims(t)[1:], t.dtype) for t in flat]


# -- map_fn -----------------------------------------------------------------------

def _output_spec(signature):
    """(dtype, shape) for one leaf of `fn_output_signature`."""
    if isinstance(signature, TensorSpec):
        return signature.dtype, TensorShape(signature.shape)
    kind = type(signature).__name__
    if kind in ("RaggedTensorSpec", "SparseTensorSpec"):
        raise NotImplementedInJaxtape(f"jaxtape does not implement tf.{kind} (in tf.map_fn's "
                                      "fn_output_signature)")
    return dtypes.as_dtype(signature), TensorShape(None)


@export("map_fn", "compat.v1.map_fn")
def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False,
           infer_shape=True, name=None, fn_output_signature=None):
    """Stacks `fn(slice)` over the slices of `elems` along its leading dimension.

    The outputs' structure and dtypes are `fn_output_signature` (or `dtype`);
    without one, those of `elems`. Python numbers `fn` returns take those dtypes.
    """
    if fn_output_signature is None:
        fn_output_signature = dtype
    _check_callable(fn, "The provided function {name} is not callable.fn must be callable.")
    elems = _read_variables(elems)
    flat = flatten(elems)
    if not flat:
        raise ValueError("elems must be a Tensor or (possibly nested) sequence of Tensors. "
                         f"Got {elems}, which does not contain any Tensors.")
    flat = [_elem_tensor(e, "map_fn") for e in flat]
    if fn_output_signature is None:
        specs = [(t.dtype, TensorShape(None)) for t in flat]
        structure = elems
    else:
        specs = [_output_spec(s) for s in flatten(fn_output_signature)]
        structure = fn_output_signature
    if not _dims(flat[0]):
        raise ValueError("Elements in elems must be 1+ dimensional Tensors, not scalars")
    n = _dims(flat[0])[0]
    for t in flat[1:]:
        if not _dims(t):
            raise ValueError("Shape () must have rank at least 1")
        if _dims(t)[0] != n:
            raise ValueError(f"Dimensions {n} and {_dims(t)[0]} are not compatible")
    in_trace = is_traced(flat)

    def apply(args, accs, i):
        value = fn(pack_sequence_as(elems, list(args)))
        assert_same_structure(structure, value)
        return [acc.write(i, leaf) for acc, leaf in zip(accs, flatten(value))]

    if in_trace:
        tr = _trace_body(lambda *args: apply(args, [_Accumulator(d, s, True, 1, True)
                                                    for d, s in specs], 0),
                         flat, [_aval(t, drop_leading=True) for t in flat])
        if tr is not None:
            def loop(consts, *xs):
                return lax.map(lambda x: tuple(tr.evaluate(consts, *x)), xs)
            return pack_sequence_as(structure, _run_traced(tr, "map_fn", loop, flat))

    accs = [_Accumulator(d, s, infer_shape, n, in_trace) for d, s in specs]
    if n == 0 and in_trace:  # a traced loop knows the element shapes from `fn`
        probe = [_Accumulator(d, s, True, 1, True) for d, s in specs]
        _Abstract(lambda args: apply(args, probe, 0))(_example_slices(flat))
        for acc, p in zip(accs, probe):
            acc.shape = TensorShape(p.values[0].shape)
    slices = _slices(flat)
    for i in range(n):
        apply([s[i] for s in slices], accs, i)
    results = [acc.stack() for acc in accs]
    if in_trace:
        results = _tie_to_inputs(results, flat)
    return pack_sequence_as(structure, results)


# -- vectorized_map ---------------------------------------------------------------

@export("vectorized_map", "compat.v1.vectorized_map")
def vectorized_map(fn, elems, fallback_to_while_loop=True, warn=True):
    """`map_fn` with fn's own output structure and dtypes; elems of leading
    dimension 1 are broadcast against the others.

    TF vectorizes `fn` (pfor) and traces it once; this runs it per element,
    as `map_fn` does, with the same results (`fn`'s Python side effects run
    once per element).
    """
    elems = _read_variables(elems)
    elems = pack_sequence_as(elems, [_elem_tensor(e, "vectorized_map") for e in flatten(elems)])
    flat = flatten(elems)
    dims = []
    for t in flat:
        if not _dims(t):
            raise IndexError("list index out of range")
        dims.append(_dims(t)[0])
    if not dims:
        raise ValueError("max() arg is an empty sequence")
    n = max(dims)
    for d in dims:
        if d not in (1, n):  # TF gathers index `d` from this elem
            raise InvalidArgumentError(None, None, f"indices[{d}] = {d} is not in [0, {d})")

    def convert(leaf):
        return None if leaf is None else convert_to_tensor(leaf)

    if n == 0:
        out = _Abstract(lambda args: fn(pack_sequence_as(elems, args)))(_example_slices(flat))
        leaves = [None if v is None else _empty((0, *_dims(v)), v.dtype)
                  for v in map(convert, flatten(out))]
        return pack_sequence_as(out, leaves)
    slices = _slices(flat)
    first, columns = None, None
    for i in range(n):
        value = fn(pack_sequence_as(elems, [s[0] if d == 1 else s[i]
                                            for s, d in zip(slices, dims)]))
        if first is None:
            first = value
            columns = [[] for _ in flatten(value)]
        else:  # TF calls fn once; a loop has to see the same structure each time
            assert_same_structure(first, value)
        for column, leaf in zip(columns, flatten(value)):
            column.append(convert(leaf))
    results = [None if c[0] is None else _stack(c) for c in columns]
    return pack_sequence_as(first, results)


# -- scan ---------------------------------------------------------------------

def _rest(x, reverse):
    """The elements after the one that started an initializer-less loop."""
    return x[:-1] if reverse else x[1:]


@export("scan", "compat.v1.scan")
def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False,
         infer_shape=True, reverse=False, name=None):
    """The stacked accumulators `a = fn(a, elem)` over `elems` (from the end
    when `reverse`); without an initializer the first element starts it."""
    _check_callable(fn, "{name} is not callable. Please provide a callable function.")
    in_seq = is_nested(elems)
    flat = flatten(elems) if in_seq else [elems]
    flat = [_elem_tensor(e, "scan") for e in flat]
    n = _leading_dim(flat)
    in_trace = is_traced(flat) or is_traced(initializer)
    if in_trace:  # TF's graph checks statically (its eager TensorArrays check on reads)
        for t in flat[1:]:
            if _dims(t) and _dims(t)[0] != n:
                raise ValueError(f"Dimensions {n} and {_dims(t)[0]} are not compatible")
    _unstack_check(flat, n)
    sizes = [_dims(t)[0] for t in flat]
    first = n - 1 if reverse else 0

    def in_pack(values):
        return pack_sequence_as(elems, list(values)) if in_seq else values[0]

    if initializer is None:
        out_seq, out_structure = in_seq, elems
        _read_check(sizes, first, in_trace)
        entering = [Tensor(t._value[first]) for t in flat]  # dtypes and shapes only, in a trace
    else:
        out_seq, out_structure = is_nested(initializer), initializer
        entering = [convert_to_tensor(v) for v in (flatten(initializer) if out_seq else [initializer])]

    def out_pack(values):
        return pack_sequence_as(out_structure, list(values)) if out_seq else values[0]

    def step(accs, acc_flat, elem_flat, i, loop_vars):
        value = fn(out_pack(acc_flat), in_pack(elem_flat))
        assert_same_structure(out_structure, value)
        leaves = flatten(value) if out_seq else [value]
        for acc, leaf in zip(accs, leaves):
            acc.write(i, leaf)
        return leaves if loop_vars is None else loop_vars.check(leaves)

    def new_accs(size):
        return [_Accumulator(a.dtype, a.shape if infer_shape else TensorShape(None), infer_shape,
                             size, in_trace) for a in entering]

    if in_trace:
        m = len(entering)
        tr = _trace_body(
            lambda *ts: step(new_accs(1), ts[:m], ts[m:], 0, _LoopVars("scan", entering)),
            flat + entering, [_aval(a) for a in entering] + [_aval(t, True) for t in flat])
        if tr is not None:
            def loop(consts, *ops):
                if initializer is None:
                    xs = ops
                    init = tuple(x[first] for x in xs)
                    xs = tuple(_rest(x, reverse) for x in xs)
                else:
                    init, xs = ops[:m], ops[m:]

                def body(carry, x):
                    new = tuple(tr.evaluate(consts, *carry, *x))
                    return new, new
                ys = lax.scan(body, tuple(init), xs, reverse=reverse)[1]
                if initializer is None:
                    ys = [jnp.concatenate([y, a[None]] if reverse else [a[None], y])
                          for y, a in zip(ys, init)]
                return ys
            inputs = flat if initializer is None else entering + flat
            return out_pack(_run_traced(tr, "scan", loop, inputs))

    slices = _slices(flat)

    def read(i):
        _read_check(sizes, i, in_trace)
        return [s[i] for s in slices]

    accs = new_accs(n)
    loop_vars = _LoopVars("scan", entering) if in_trace else None
    if initializer is None:
        acc_flat = read(first)
        for acc, a in zip(accs, acc_flat):
            acc.write(first, a)
        start = 1
    else:
        acc_flat, start = entering, 0
    for i in (range(n - 1 - start, -1, -1) if reverse else range(start, n)):
        acc_flat = step(accs, acc_flat, read(i), i, loop_vars)
    results = [acc.stack() for acc in accs]
    if in_trace:
        results = _tie_to_inputs(results, flat + (entering if initializer is not None else []))
    return out_pack(results)


# -- folds --------------------------------------------------------------------

def _fold(fn, elems, initializer, right):
    op = "foldr" if right else "foldl"
    _check_callable(fn, "{name} is not callable. Please provide a callable function.")
    flat = [_elem_tensor(e, op) for e in flatten(elems)]
    n = _leading_dim(flat)
    _unstack_check(flat, n)
    in_trace = is_traced(flat) or is_traced(initializer)
    sizes = [_dims(t)[0] for t in flat]
    first = n - 1 if right else 0
    if initializer is None:
        order = [first, *(range(n - 2, -1, -1) if right else range(1, n))]
    else:
        order = list(range(n - 1, -1, -1) if right else range(n))

    def pack_elems(values):
        return pack_sequence_as(elems, list(values))

    if in_trace:
        if initializer is None:
            _read_check(sizes, first, True)
            start = pack_elems([Tensor(t._value[first]) for t in flat])
        else:
            start = initializer
        # TF's While op takes its loop variables as tensors.
        entering = [convert_to_tensor(v) for v in flatten(start)]
        m = len(entering)
        loop_vars = _LoopVars(op, entering)

        def step(acc_flat, elem_flat):
            acc = fn(pack_sequence_as(start, list(acc_flat)), pack_elems(elem_flat))
            assert_same_structure(start, acc)
            return loop_vars.check(flatten(acc))

        for i in order:  # the reads TF's loop would make, in its order
            _read_check(sizes, i, True)
        tr = _trace_body(lambda *ts: step(ts[:m], ts[m:]), flat + entering,
                         [_aval(a) for a in entering] + [_aval(t, True) for t in flat])
        if tr is not None:
            def loop(consts, *ops):
                if initializer is None:
                    xs = ops
                    init = tuple(x[first] for x in xs)
                    xs = tuple(_rest(x, right) for x in xs)
                else:
                    init, xs = ops[:m], ops[m:]

                def body(carry, x):
                    return tuple(tr.evaluate(consts, *carry, *x)), None
                return lax.scan(body, tuple(init), xs, reverse=right)[0]
            inputs = flat if initializer is None else entering + flat
            return pack_sequence_as(start, _run_traced(tr, op, loop, inputs))
        slices = _slices(flat)
        acc_flat = [s[first] for s in slices] if initializer is None else entering
        for i in order[1:] if initializer is None else order:
            acc_flat = step(acc_flat, [s[i] for s in slices])
        deps = flat + (entering if initializer is not None else [])
        return pack_sequence_as(start, _tie_to_inputs(acc_flat, deps))

    slices = _slices(flat)

    def read(i):
        _read_check(sizes, i, False)
        return pack_elems([s[i] for s in slices])

    acc = read(first) if initializer is None else initializer
    start = acc
    for i in order[1:] if initializer is None else order:
        acc = fn(acc, read(i))
        # TF's eager while loop checks the structure (with types), not dtypes or shapes.
        assert_same_structure(start, acc)
    return pack_sequence_as(acc, [convert_to_tensor(v) for v in flatten(acc)])


@export("foldl", "compat.v1.foldl")
def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False,
          name=None):
    """`a = fn(a, elem)` over `elems` from the first; the last `a`."""
    return _fold(fn, elems, initializer, right=False)


@export("foldr", "compat.v1.foldr")
def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False,
          name=None):
    """`a = fn(a, elem)` over `elems` from the last; the last `a`."""
    return _fold(fn, elems, initializer, right=True)
