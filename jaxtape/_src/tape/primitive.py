"""The one mechanism every op goes through.

A `Primitive` wraps a plain JAX function `fn(*arrays, **static)`. Calling it
on tensors runs `fn` (jitted once per static arguments, so dispatch takes the
C++ fast path; `tiers` compiles kernels that keep meeting new shapes in a
quicker tier), wraps the results as `Tensor`s and, when a tape is active and
watches an input, appends one `Node` to that tape. Nothing else is recorded:
the node keeps the inputs, and the backward pass asks JAX for the vector-
Jacobian product of `fn` at those inputs (see `vjp_kernel`). Because the VJP
of a primitive is itself a JAX function, it is wrapped as a primitive too
(`vjp_primitive`), which is how a gradient computed under an outer tape gets
recorded by it: higher-order derivatives need no extra machinery. An op
made with `keep_residuals` instead runs `jax.vjp` once in its forward and its
node keeps the pullback's residuals (`KeptResiduals`), for ops whose forward
is too costly to run twice.
"""
from __future__ import annotations

import functools
import operator
import types
from typing import NamedTuple

import jax
import numpy as np

from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.framework.state import local
from jaxtape._src.tape import tiers

# Dtypes whose tensors a tape follows (TF: float and complex).
TRAINABLE = frozenset(np.dtype(d) for d in (
    np.float16, np.float32, np.float64, np.complex64, np.complex128, jax.numpy.bfloat16))

# Called with (primitive, static, args, results) when a ForwardAccumulator is
# active; set by jaxtape._src.autodiff.forward so this file need not import it.
forward_hook = None


def defer_hook(prim, skey, static, args, state):
    """`deferred.defer` once jaxtape._src.tape.deferred is imported (it imports
    this file); until then nothing defers."""
    return None


tail_hook = None  # `deferred.defer_untaped`, set alongside


def _freeze(value):
    """Makes a static argument hashable (lists become tuples)."""
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.shape, value.tobytes())
    return value


def static_key(static: dict) -> tuple:
    try:
        key = tuple(static.items())
        hash(key)
        return key
    except TypeError:
        return tuple((k, _freeze(v)) for k, v in static.items())


class Node(tuple):
    """One recorded application: what the backward pass needs, no more.

    `args` keeps the input tensors (their arrays are the saved primals);
    outputs are kept only by id, so a tape never holds its results alive.
    out_avals: (shape, dtype) per output of a multi-output op, else None.

    One flat tuple `(prim, skey, static, out_avals, out_id, *args)`, read
    through C-level getters: a long tape's nodes are what the garbage
    collector walks and what a persistent tape holds. A dataclass with
    separate `args` and `out_ids` tuples (and each op's fresh empty `static`
    dict) was two tracked objects and ~250 bytes per op; this is one, ~100
    bytes. Compared by identity, as the dataclass was.
    """

    __slots__ = ()
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__
    prim = property(operator.itemgetter(0))
    skey = property(operator.itemgetter(1))
    static = property(operator.itemgetter(2))
    out_avals = property(operator.itemgetter(3))
    out_ids = property(operator.itemgetter(slice(4, 5)))
    args = property(operator.itemgetter(slice(5, None)))


class MultiNode(Node):
    """A multi-output op's node: `out_id` is the tuple of its output ids."""

    __slots__ = ()
    out_ids = property(operator.itemgetter(4))


# The `static` of every node recorded without static arguments (read-only).
NO_STATIC = types.MappingProxyType({})


class Dropped:
    """A node's input whose value its tape let go (`tape.release`): no VJP
    the tape can still take reads it (see `Primitive.vjp_reads`). It keeps
    the tensor's id, so the plan still routes that input's cotangent, and
    its shape and dtype, from which the VJP makes a stand-in. A pytree with
    no leaves: kernels take it as structure, keyed by its shape and dtype."""

    __slots__ = ("_id", "shape", "dtype")

    def __init__(self, tid, shape, dtype):
        self._id = tid
        self.shape = shape
        self.dtype = dtype

    @property
    def aval(self):  # what `backward.shapes_of` reads
        return self


jax.tree_util.register_pytree_node(
    Dropped, lambda d: ((), (d.shape, d.dtype)), lambda aux, _: Dropped(None, *aux))


# `vjp_reads` of binary ops linear in each input: `x + y` (the VJPs read no
# value, only shapes) and `x * y`, `x @ y` (each input's reads the other's).
READS_NONE = ((), ())
READS_OTHER = ((1,), (0,))


def _stand_ins(args):
    """`args` with each `Dropped` replaced by zeros of its shape (a constant
    the VJP never reads, so XLA drops it)."""
    return [jax.numpy.zeros(a.shape, a.dtype) if type(a) is Dropped else a for a in args]


class Primitive:
    """A recorded op built from a plain JAX function.

    fn: `fn(*arrays, **static) -> array` (or a tuple with `multiple_results`).
    differentiable: False for ops TF gives no gradient (floor, argmax, ...);
      they record no node, so what depends only on them gets `None`, but
      their outputs are followed (see `follow`).
    jit: False for ops whose output shape depends on values (boolean_mask).
    """

    # The primitive to trace in its place inside tf.function (an op whose TF
    # gradient formula lives in a twin, see ops/math/tf_gradients.py).
    graph_twin = None
    # True for ops whose derivatives are JAX's own rather than TF's formulas
    # (a Keras layer's call): a mask such as relu's counts as dependence in
    # their second order, which TF's ReluGradGrad gives as zeros, not None.
    jax_derivatives = False

    def __init__(self, fn, name=None, *, multiple_results=False, differentiable=True, jit=True,
                 keep_residuals=False, vjp_reads=None):
        self.fn = fn
        # Per input, the inputs whose values its VJP reads (`x * y`: y for x,
        # x for y; `x + y`: none), for an op linear in each input; None: all.
        # A done persistent tape lets go of the values no VJP it can still
        # take reads (`tape.release`).
        self.vjp_reads = vjp_reads
        self.name = name or getattr(fn, "__name__", "op")
        self.multiple_results = multiple_results
        self.differentiable = differentiable
        self.jit = jit
        # Recorded eagerly, the forward runs as `jax.vjp` once and the node keeps
        # the pullback's residuals (see `KeptResiduals`), so the backward does
        # not run the forward again. It pays for ops whose forward is costly
        # next to their backward's own work: a whole Keras model call, and it
        # would for convolutions, matmuls of large operands, a `tf.function`
        # called eagerly under a tape, scans. Not the default: the residuals
        # are extra outputs held until the tape is done (for `x * y` they are
        # the inputs again; for `tanh` an extra array), and the backward of a
        # small elementwise op costs no more to recompute than to read back.
        # `keep_residuals` may be a `jax.checkpoint` policy choosing which
        # values the residuals hold (the rest is recomputed in the backward);
        # True keeps all JAX's linearization keeps.
        self.keep_residuals = bool(keep_residuals)
        self._save_policy = None if keep_residuals is True else keep_residuals or None
        self._kept = None
        self._fwd = {}
        self._fwd_keeping = {}
        self._kernels = {}  # the jitted VJP kernels (`tiers` may replace an entry)
        self._kernel_calls = {}  # what `vjp_kernel` returns, per key
        self._vjp_prims = {}
        self.jvp_cache = {}  # filled by autodiff.forward: its JVP kernels, per key
        # Whether a call under a tape may be deferred (see `tape.deferred`): a
        # pure jitted single-output op, and the output aval per input avals.
        self.defers = self.jit and differentiable and not multiple_results and not keep_residuals
        self.out_avals = {}
        self.alone = {}  # per input-aval key: its deferred segments run with it alone (`deferred`)
        self.__doc__ = getattr(fn, "__doc__", None)

    def __repr__(self):
        return f"<jaxtape primitive {self.name}>"

    # -- forward ------------------------------------------------------------
    def bind_static(self, skey, static):
        """The forward for these static arguments: jitted, in two compile tiers
        once it keeps meeting new shapes (see `tiers`)."""
        fn = functools.partial(self.fn, **static) if static else self.fn
        if not self.jit:
            return fn
        return tiers.jit(fn, self._fwd, skey, self.name)

    def __call__(self, *args, **static):
        skey = static_key(static) if static else ()
        # The thread's state as its dictionary: one thread-local lookup, then
        # dictionary reads (each `local.x` is a lookup: 35-100 ns, 3 per op).
        st = local.__dict__
        tapes = st["tapes"]
        learn = None
        if tapes:
            if self.keep_residuals:
                diff = _followed(args)
                if diff and self.differentiable and self.jit and not st["tracing"]:
                    return self._call_keeping(args, static, diff)
            elif self.defers:
                learn = defer_hook(self, skey, static, args, st)
                if type(learn) is Tensor:
                    return learn
        elif self.defers and st["tail"] is not None:  # untaped, after a fused gradient: its update may defer
            learn = tail_hook(self, skey, static, args)
            if type(learn) is Tensor:
                return learn
        return self._run(skey, static, args, learn)

    def binary(self, a, b):
        """`self(a, b)`: the same steps for two inputs and no static arguments,
        without packing them (`x * y` is every training loop's hot path; an
        instance call with `*args, **static` costs ~70 ns more)."""
        st = local.__dict__  # see `__call__`
        if st["tapes"]:
            if self.defers:
                args = (a, b)
                learn = defer_hook(self, (), NO_STATIC, args, st)
                if type(learn) is Tensor:
                    return learn
                return self._run((), NO_STATIC, args, learn)
        elif st["tail"] is None:
            return self._run((), NO_STATIC, (a, b), None)
        return self(a, b)

    def _run(self, skey, static, args, learn):
        """Runs the op now and records it; `learn`: the input-aval key whose
        output aval `deferred.defer` asked to learn, or None."""
        fwd = self._fwd.get(skey)
        if fwd is None:
            self._fwd[skey] = self.bind_static(skey, static)
            fwd = self._fwd[skey]
        n = len(args)
        if n == 2:  # binary ops, the commonest: no list, no star-unpacking
            a, b = args
            out = fwd(a._value if type(a) is Tensor else a, b._value if type(b) is Tensor else b)
        elif n == 1:
            a = args[0]
            out = fwd(a._value if type(a) is Tensor else a)
        else:
            out = fwd(*[a._value if type(a) is Tensor else a for a in args])
        if self.multiple_results:
            result = outs = tuple([Tensor(o) for o in out])
        else:
            result = Tensor(out)
            outs = (result,)
            if learn is not None and isinstance(out, jax.Array):
                if len(self.out_avals) >= 4096:  # shapes met by one op: bounded
                    self.out_avals.clear()
                self.out_avals[learn] = out.aval
        st = local
        if st.tapes:
            if self.differentiable:
                record(self, skey, static, args, outs)
            else:
                follow(args, outs)
        if st.accumulators and forward_hook is not None:
            forward_hook(self, static, args, result)
        return result

    def _call_keeping(self, args, static, diff):
        """The forward as `jax.vjp` in the followed inputs `diff`; one node
        keeps the pullback's residuals (as extra, unfollowed arguments)."""
        skey = static_key(static) if static else ()
        key = (skey, diff)
        fwd = self._fwd_keeping.get(key)
        if fwd is None:
            fn = functools.partial(self.fn, **static) if static else self.fn

            def forward(*arrays):
                def of_diff(*d):
                    full = list(arrays)
                    for i, v in zip(diff, d):
                        full[i] = v
                    return fn(*full)
                saved = of_diff if self._save_policy is None else jax.checkpoint(
                    of_diff, policy=self._save_policy)
                return jax.vjp(saved, *[arrays[i] for i in diff])  # the pullback is a pytree

            forward.__name__ = f"{self.name}_forward"
            fwd = tiers.jit(forward, self._fwd_keeping, key, forward.__name__)
        out, pull = fwd(*[a._value if type(a) is Tensor else a for a in args])
        leaves, treedef = jax.tree_util.tree_flatten(pull)
        if self.multiple_results:
            result = outs = tuple([Tensor(o) for o in out])
        else:
            result = Tensor(out)
            outs = (result,)
        if self._kept is None:
            self._kept = KeptResiduals(self)
        kept = Kept(static, diff, treedef, len(args), len(leaves))
        record(self._kept, (skey, diff, treedef, len(args)), kept, (*args, *leaves), outs)
        if local.accumulators and forward_hook is not None:
            forward_hook(self, static, args, result)
        return result

    # -- backward -----------------------------------------------------------
    def recompute_vjp(self, skey, static, mask):
        """`raw_vjp` from the inputs alone: what a backward pass that is itself
        differentiated (recorded, or inside a jacobian program) must use."""
        return self.raw_vjp(skey, static, mask)

    def raw_vjp(self, skey, static, mask):
        """A JAX function `(*args, *cotangents) -> grads of the masked args`."""
        fn = functools.partial(self.fn, **static) if static else self.fn
        n = len(mask)
        diff = tuple(i for i, m in enumerate(mask) if m)

        def vjp(*args_and_cts):
            args = list(args_and_cts[:n])
            cts = args_and_cts[n:]
            if self.vjp_reads is not None:  # only such ops' nodes hold `Dropped` inputs
                args = _stand_ins(args)

            def of_diff(*d):
                for i, v in zip(diff, d):
                    args[i] = v
                return fn(*args)

            _, pull = jax.vjp(of_diff, *[args[i] for i in diff])
            return pull(tuple(cts) if self.multiple_results else cts[0])

        vjp.__name__ = f"{self.name}_vjp"
        return vjp

    def vjp_kernel(self, skey, static, mask):
        """The jitted VJP, cached per (static arguments, differentiated inputs).

        What it returns hands back a cotangent that the VJP passes through
        unchanged (add, subtract) as that same array: a jitted function must
        copy an input it returns, a full pass over the tensor (see
        `Forwarded`)."""
        key = (skey, mask)
        kernel = self._kernel_calls.get(key)
        if kernel is None:
            raw = self.raw_vjp(skey, static, mask)
            if self.jit:
                tiers.jit(_marking_forwarded(raw), self._kernels, key, raw.__name__)
                kernel = _unmarking(self._kernels, key)
            else:
                kernel = self._kernels[key] = raw
            self._kernel_calls[key] = kernel
        return kernel

    def vjp_primitive(self, skey, static, mask):
        """The VJP as a primitive, so an outer tape can record the backward pass."""
        key = (skey, mask)
        prim = self._vjp_prims.get(key)
        if prim is None:
            prim = self._vjp_prims[key] = Primitive(
                self.raw_vjp(skey, static, mask), f"{self.name}_grad",
                multiple_results=True, jit=self.jit)
        return prim


class Forwarded:
    """What a jitted VJP kernel returns in place of an output that is one of
    its inputs unchanged (the cotangent, for add and subtract): a pytree
    with no leaves, so XLA copies nothing; `_unmarking` puts the input
    back. Measured: the cold 20-op chain on 1e7 elements (about half adds)
    spent 20-30% of its CPU time copying 40 MB cotangents."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


jax.tree_util.register_pytree_node(Forwarded, lambda f: ((), f.index), lambda i, _: Forwarded(i))


def _marking_forwarded(raw):
    """`raw` (returning a tuple of gradients) with each output that is one of
    its inputs (while traced: the same tracer) replaced by `Forwarded`."""
    def marked(*inputs):
        outs = []
        for g in raw(*inputs):
            for i, a in enumerate(inputs):
                if g is a:
                    g = Forwarded(i)
                    break
            outs.append(g)
        return tuple(outs)

    marked.__name__ = raw.__name__
    return marked


def _unmarking(table, key):
    """Calls the current kernel `table[key]` (its tier may change) and
    replaces each `Forwarded` output by the input it names."""
    def call(*inputs):
        outs = table[key](*inputs)
        for g in outs:
            if type(g) is Forwarded:
                return tuple([inputs[g.index] if type(g) is Forwarded else g for g in outs])
        return outs

    return call


class Kept(NamedTuple):
    """A residual-keeping node's static argument. Its args are the op's `n_args`
    inputs followed by the `n_leaves` leaves of the pullback (`treedef`)."""

    static: dict
    diff: tuple      # the inputs the pullback differentiates
    treedef: object
    n_args: int
    n_leaves: int


class KeptResiduals(Primitive):
    """What a `keep_residuals` op records: its VJP applies the saved pullback
    (one jitted call of linear ops). An input followed only after the call
    (not in `diff`), or a backward pass recorded by an outer tape, takes the
    op's own VJP from the inputs instead: the residuals are constants to JAX,
    so a pullback differentiated again would lose the second order."""

    def __init__(self, base):
        super().__init__(base.fn, f"{base.name}_kept", multiple_results=base.multiple_results)
        self.base = base
        self.jax_derivatives = base.jax_derivatives

    def raw_vjp(self, skey, kept, mask):
        n, n_leaves = kept.n_args, kept.n_leaves
        wanted = [i for i, m in enumerate(mask[:n]) if m]
        if not set(wanted) <= set(kept.diff):
            return self.recompute_vjp(skey, kept, mask)
        multiple = self.multiple_results

        def vjp(*args_and_cts):
            pull = jax.tree_util.tree_unflatten(kept.treedef, args_and_cts[n:n + n_leaves])
            cts = args_and_cts[n + n_leaves:]
            by_input = dict(zip(kept.diff, pull(tuple(cts) if multiple else cts[0])))
            return tuple([by_input[i] for i in wanted])

        vjp.__name__ = f"{self.base.name}_vjp_kept"
        return vjp

    def recompute_vjp(self, skey, kept, mask):
        n, n_leaves = kept.n_args, kept.n_leaves
        vjp = self.base.raw_vjp(skey[0], kept.static, mask[:n])
        return lambda *a: vjp(*a[:n], *a[n + n_leaves:])

    def vjp_primitive(self, skey, kept, mask):
        n, n_leaves = kept.n_args, kept.n_leaves
        prim = self.base.vjp_primitive(skey[0], kept.static, mask[:n])
        return lambda *a: prim(*a[:n], *a[n + n_leaves:])


def _followed(args) -> tuple:
    """Positions of the float tensors among `args` that an active tape follows."""
    tapes = local.tapes
    return tuple(i for i, a in enumerate(args)
                 if type(a) is Tensor and a._value.dtype in TRAINABLE
                 and any(a._id in t.ids for t in tapes))


def record(prim, skey, static, args, outs):
    """Appends one node to every active recorder that follows an input (see
    `stack.Recorder`); the node is shared, built on the first such recorder."""
    node = None
    for tape in local.tapes:
        ids = tape.ids
        for a in args:
            if type(a) is Tensor and a._id in ids:
                break
        else:
            continue
        if node is None:
            if len(outs) == 1:
                out = outs[0]
                node = Node((prim, skey, static or NO_STATIC, None, out._id, *args))
                follow = (out._id,) if out._value.dtype in TRAINABLE else ()
            else:
                node = MultiNode((prim, skey, static or NO_STATIC,
                                  tuple([(o._value.shape, o._value.dtype) for o in outs]),
                                  tuple([o._id for o in outs]), *args))
                follow = [o._id for o in outs if o._value.dtype in TRAINABLE]
        tape.nodes.append(node)
        ids.update(follow)


def follow(args, outs):
    """A non-differentiable op on a followed input: no node (no gradient flows
    back through it), but its float outputs are followed, so gradients with
    respect to them exist (TF: `tape.gradient(3 * floor(x), floor(x))` is 3)."""
    for tape in local.tapes:
        ids = tape.ids
        for a in args:
            if type(a) is Tensor and a._id in ids:
                ids.update([o._id for o in outs if o._value.dtype in TRAINABLE])
                break


def primitive(fn=None, **options):
    """Decorator: `@primitive` or `@primitive(differentiable=False, ...)`."""
    if fn is None:
        return lambda f: Primitive(f, **options)
    return Primitive(fn, **options)
