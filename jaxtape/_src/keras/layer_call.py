"""The outermost eager Keras layer call (a model is a layer) as one recorded op.

The op's inputs are the layer's trainable variable values, its
non-trainable values (BatchNorm statistics, seed state) and the input
tensors; its body is Keras's own `Layer.__call__` under a `StatelessScope`
mapping each variable to its input; its outputs are the call's results, the
new non-trainable values (written back to the variables afterwards) and the
`add_loss`/regularization losses (what `layer.losses` then returns). The
VJP comes from JAX like any op's, so nested tapes and higher orders work;
eagerly the op keeps residuals (`SAVED`), so an eager step's backward does
not run the model's forward again.
Layer calls nested inside it are plain Keras code inside that one trace.
Keras's call is traced once per call signature: the op's forward and VJP
replay that program. Inside `tf.function` the variables' reads and writes
are captured by the trace (see `variables.py`), a layer built there is
built outside the trace (`common.lifted`), and the call keeps its pullback
(see `_one_tape_at_most`).

A trainable variable the outputs do not depend on (read from the traced
program) is passed unwatched, so its gradient is `None` as in TF. A layer
whose `call` branches on tensor values cannot be traced; it runs as an
unjitted op instead.
"""
from __future__ import annotations

import contextlib
import functools
import weakref
from typing import NamedTuple

import jax
import numpy as np

from jaxtape._src.compile import saved_call
from jaxtape._src.compile.function import FollowAll
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.keras.backend import keras
from jaxtape._src.keras.common import (bridged, float32_defaults, inside, lifted, output_tree,
                                       unwrap_tree, write_back)
from jaxtape._src.tape import dependence, stack
from jaxtape._src.tape.primitive import Primitive, static_key

from keras.src import backend as keras_backend
from keras.src.layers.layer import Layer

ORIGINAL_CALL = Layer.__call__

# Errors a value-dependent `call` raises while traced.
_UNTRACEABLE = (jax.errors.ConcretizationTypeError, jax.errors.TracerBoolConversionError,
                jax.errors.TracerIntegerConversionError, jax.errors.TracerArrayConversionError)


class _Facts(NamedTuple):
    """What one call signature of a layer op needs, found on its first call."""

    prim: Primitive
    used: tuple      # per trainable variable: whether the outputs depend on it
    out_tree: object
    n_out: int
    replay: bool     # `prim` replays the traced program (takes no static arguments)


class _LayerOp:
    """One layer's op: its primitives and the facts per call signature.

    Kept in a weak dictionary beside the layer, not on it, so `deepcopy` and
    saving see plain Keras layers.
    """

    def __init__(self, layer):
        self.layer = weakref.ref(layer)
        self.facts = {}
        self.last_out = None  # (out_tree, n_out), set by every run of the body
        body = functools.partial(_body, self)
        # Kept residuals (see `_analyse`) need a jitted forward.
        self.prims = {jit: Primitive(body, f"keras_{layer.name}", multiple_results=True, jit=jit,
                                     keep_residuals=jit and SAVED)
                      for jit in (True, False)}
        for prim in self.prims.values():
            prim.jax_derivatives = True
        self.saved = saved_call.SavedCallOp(f"keras_{layer.name}")  # inside traces


_ops = weakref.WeakKeyDictionary()

# What an eager call's node keeps for its backward: the outputs of matmuls and
# convolutions; the elementwise ops between them (BatchNorm, activations,
# pooling masks) are recomputed inside the backward, where XLA fuses them.
# Keeping everything JAX's linearization keeps wrote ~20 MB per step for the
# benchmark CNN (masks, normalized copies) and made its forward 30-50% slower,
# undoing most of what not re-running the convolutions saves (measured).
SAVED = jax.checkpoint_policies.dots_saveable


def _op_for(layer) -> _LayerOp:
    op = _ops.get(layer)
    if op is None:
        op = _ops[layer] = _LayerOp(layer)
    return op


def _body(op, *arrays, tree, statics, n_train, n_nontrain, float32):
    """The op's JAX function: Keras's call, stateless, on explicit values."""
    layer = op.layer()
    trainable, non_trainable = layer.trainable_variables, layer.non_trainable_variables
    train_vals = arrays[:n_train]
    nt_vals = arrays[n_train:n_train + n_nontrain]
    dynamic = list(arrays[n_train + n_nontrain:])
    if float32:  # Keras casts float inputs to the compute dtype; cast here, where x64 is on
        dynamic = [a.astype(np.float32) if a.dtype == np.float64 else a for a in dynamic]
    leaves = _merge(dynamic, statics)
    args, kwargs = jax.tree_util.tree_unflatten(tree, leaves)
    mapping = list(zip(trainable, train_vals)) + list(zip(non_trainable, nt_vals))
    layer._losses_override = []
    with stack.hidden(), inside(), (float32_defaults() if float32 else contextlib.nullcontext()):
        with keras.StatelessScope(state_mapping=mapping, collect_losses=True) as scope:
            out = ORIGINAL_CALL(layer, *args, **kwargs)
            losses = [jax.numpy.asarray(x) for x in unwrap_tree(list(layer.losses))]
        new_nt = [scope.get_current_value(v) for v in non_trainable]
    out_flat, out_tree = jax.tree_util.tree_flatten(unwrap_tree(out))
    op.last_out = (out_tree, len(out_flat))
    new_nt = [old if new is None else new for old, new in zip(nt_vals, new_nt)]
    return (*out_flat, *new_nt, *losses)


def _merge(dynamic, statics):
    leaves = list(dynamic)
    for i, value in statics:
        leaves.insert(i, value)
    return leaves


def _is_array(x) -> bool:
    return isinstance(x, (Tensor, np.ndarray, np.generic, jax.Array)) or hasattr(x, "_read_for_op")


def _as_input(x) -> Tensor:
    if type(x) is Tensor:
        return x
    if hasattr(x, "_read_for_op"):
        return x._read_for_op()
    return convert_to_tensor(np.asarray(x) if isinstance(x, np.generic) else x)


def _analyse(op, static, values, n_train, n_nontrain) -> _Facts:
    """Traces the call once: its output structure and which variables it uses."""
    try:
        closed = jax.make_jaxpr(functools.partial(_body, op, **static))(*values)
    except _UNTRACEABLE:
        return _Facts(op.prims[False], (True,) * n_train, None, None, False)
    out_tree, n_out = op.last_out
    n_all = len(closed.jaxpr.outvars)
    outputs = [*range(n_out), *range(n_out + n_nontrain, n_all)]
    used = dependence.used_inputs(closed.jaxpr, outputs)[:n_train]
    if not any(isinstance(x, jax.core.Tracer) for x in (*values, *closed.consts)):
        # The forward and its VJP kernel replay this program rather than trace
        # Keras's call twice more (each trace of a model costs 0.1-0.5 s on the
        # first call). Not from inside a trace: its tracers must not outlive it.
        def program(*arrays):
            return tuple(jax.core.eval_jaxpr(closed.jaxpr, closed.consts, *arrays))

        # It keeps residuals: a model's backward would otherwise run its
        # forward again (convolutions twice per eager step).
        replay = Primitive(program, op.prims[True].name, multiple_results=True,
                           keep_residuals=SAVED)
        replay.jax_derivatives = True
        return _Facts(replay, tuple(used), out_tree, n_out, True)
    return _Facts(op.prims[True], tuple(used), out_tree, n_out, False)


def _float32(layer) -> bool:
    return keras_backend.standardize_dtype(layer.compute_dtype) != "float64"


def _build(layer, args, kwargs, float32):
    """Creates the layer's variables outside any trace (TF's `init_scope`):
    symbolically where Keras can, else by one eager call."""
    def spec(x):
        if not _is_array(x):
            return x
        value = _as_input(x)._value
        dtype = "float32" if float32 and value.dtype == np.float64 else str(value.dtype)
        return keras.KerasTensor(value.shape, dtype=dtype)

    with lifted() if local.tracing else stack.hidden(), \
            float32_defaults() if float32 else contextlib.nullcontext():
        try:
            symbolic_args, symbolic_kwargs = jax.tree_util.tree_map(spec, (args, kwargs))
            layer(*symbolic_args, **symbolic_kwargs)
        except Exception:  # noqa: BLE001 - a call Keras cannot run symbolically
            pass
        if not layer.built:
            with inside():
                ORIGINAL_CALL(layer, *unwrap_tree(args), **unwrap_tree(kwargs))


_KERAS_STATE = (Layer.trainable_variables, Layer.non_trainable_variables)


def _state(layer):
    """`(layer.trainable_variables, layer.non_trainable_variables)` from one
    walk of `layer.variables` (each property walks every sublayer; a model's
    walk costs tens of microseconds), where the class keeps Keras's own two."""
    cls = type(layer)
    if (cls.trainable_variables, cls.non_trainable_variables) != _KERAS_STATE:
        return layer.trainable_variables, layer.non_trainable_variables
    variables = layer.variables
    if not layer.trainable:
        return [], variables
    return [v for v in variables if v.trainable], [v for v in variables if not v.trainable]


def call_as_op(layer, args, kwargs):
    float32 = _float32(layer)
    if not layer.built:
        _build(layer, args, kwargs, float32)
    leaves, tree = jax.tree_util.tree_flatten((args, kwargs))
    inputs, statics = [], []
    for i, leaf in enumerate(leaves):
        if _is_array(leaf):
            inputs.append(_as_input(leaf))
        else:
            statics.append((i, leaf))
    trainable, non_trainable = _state(layer)
    n_train, n_nontrain = len(trainable), len(non_trainable)
    static = dict(tree=tree, statics=tuple(statics), n_train=n_train, n_nontrain=n_nontrain,
                  float32=float32)
    op = _op_for(layer)
    values = [v._value for v in trainable] + [v._value for v in non_trainable] + \
             [t._value for t in inputs]
    sig = (static_key(static), tuple((a.shape, a.dtype) for a in values))
    facts = op.facts.get(sig)
    if facts is None:
        facts = op.facts[sig] = _analyse(op, static, values, n_train, n_nontrain)
    reads = [v._read_for_op() if used else Tensor(v._value)
             for v, used in zip(trainable, facts.used)]
    reads += [v._read_for_op() for v in non_trainable]
    if facts.n_out is not None and local.tracing and _one_tape_at_most():
        outs = saved_call.call(op.saved, functools.partial(_body, op, **static), [*reads, *inputs])
    else:
        outs = facts.prim(*reads, *inputs, **({} if facts.replay else static))
    out_tree, n_out = (facts.out_tree, facts.n_out) if facts.n_out is not None else op.last_out
    write_back(non_trainable, [new._value for new in outs[n_out:n_out + n_nontrain]])
    layer._losses_override = list(outs[n_out + n_nontrain:])
    return jax.tree_util.tree_unflatten(out_tree, list(outs[:n_out]))


def _one_tape_at_most() -> bool:
    """Whether, inside a trace, the call's backward pass can be its saved pullback.

    A node whose VJP is the op's function re-runs the forward inside its
    backward, and XLA does not merge the two (the compiled CNN step held
    more convolutions than plain Keras-JAX's). Traced once with `jax.vjp`,
    the call's forward is in the program once and its backward is the
    pullback's linear ops, as JAX's own autodiff of the step gives. A
    pullback cannot be differentiated again by a tape, so an outer tape or a
    forward accumulator keeps the re-running VJP (second order).
    """
    if local.accumulators:
        return False
    return sum(not isinstance(t, FollowAll) for t in local.tapes) <= 1


def _passthrough(args, kwargs) -> bool:
    """Whether this call is plain Keras: nested in a bridged call, symbolic
    (building a functional model), or inside Keras's own JAX tracing (`fit`)."""
    if bridged() or keras_backend.in_stateless_scope():
        return True
    for leaf in jax.tree_util.tree_leaves((args, kwargs)):
        if isinstance(leaf, (keras.KerasTensor, jax.core.Tracer)):
            return True
    return False


@functools.wraps(ORIGINAL_CALL)
def bridged_call(self, *args, **kwargs):
    if _passthrough(args, kwargs):
        return ORIGINAL_CALL(self, *unwrap_tree(args), **unwrap_tree(kwargs))
    return call_as_op(self, args, kwargs)


def _unwrapping(keras_fn, *, result):
    """`keras_fn` seeing arrays where a `call` written with `tf.*` ops holds jaxtape tensors."""
    if result:  # the output of `fn` in `compute_output_spec(fn, ...)`
        def bridged(fn, *args, **kwargs):
            return keras_fn(lambda *a, **k: output_tree(fn(*a, **k)),
                            *args, **kwargs)
    else:  # the argument of `add_loss(loss)`
        def bridged(self, value):
            return keras_fn(self, unwrap_tree(value))
    return functools.wraps(keras_fn)(bridged)


def install() -> None:
    Layer.__call__ = bridged_call
    Layer.add_loss = _unwrapping(Layer.add_loss, result=False)
    keras_backend.compute_output_spec = _unwrapping(keras_backend.compute_output_spec, result=True)
