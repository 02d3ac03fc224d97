"""Keras optimizers, losses and metrics on jaxtape tensors.

* `Optimizer.apply` / `apply_gradients`: Keras's own update math on the
  gradients' arrays (`None` gradients are dropped by Keras, with its warning,
  as under TF), applied statelessly in one jitted call per set of variables
  and written back. That call (and a metric's update) is kept in jaxtape's
  kernel cache when the optimizer is all Keras's own (`common.identity`): a
  fresh process's first Adam step otherwise traced, lowered and fetched it
  (~50 ms of its ~200 ms of CPU, measured).
* `Loss.__call__` and the loss functions of `tf.keras.losses`: one recorded
  op each, so a loss is differentiable on the tape. They do not keep their
  residuals (`Primitive(keep_residuals=True)`): that would trace Keras's loss
  code once instead of twice, but compiling the residual-returning forward
  costs the first step more than the second trace (measured).
* `Metric.update_state` / `result` / `reset_state`: Keras's stateful code on
  the arrays; `result` returns a jaxtape tensor, as TF returns a `tf.Tensor`.
Losses and metrics run with TF's float32 defaults (see `common.float32_defaults`).
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.state import local
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.keras.backend import keras, tf_keras
from jaxtape._src.keras.common import (bridged, cached_jit, float32_defaults, identity, inside, lifted,
                                       output_tree, unwrap, unwrap_tree, values_of, write_back)
from jaxtape._src.tape import stack
from jaxtape._src.tape.primitive import Primitive

from keras.src import backend as keras_backend
from keras.src.losses.loss import Loss
from keras.src.trainers import compile_utils
from keras.src.metrics.metric import Metric
from keras.src.optimizers.base_optimizer import BaseOptimizer
from keras.src.optimizers.loss_scale_optimizer import LossScaleOptimizer
from keras.src.optimizers.schedules.learning_rate_schedule import LearningRateSchedule


def _metric_defaults(metric):
    """A metric's float32 defaults, unless it holds 64-bit state (`Sum(dtype='int64')`,
    `Mean(dtype='float64')`): its update then keeps them, as under TF."""
    try:
        wide = _wide[metric]
    except (KeyError, TypeError):
        variables = metric.variables  # a walk of the metric's tree: once per metric
        wide = any(str(jnp.dtype(v.dtype)) in _WIDE for v in variables)
        if variables:
            try:
                _wide[metric] = wide
            except TypeError:  # not weak-referenceable
                pass
    return jax.enable_x64(True) if wide else float32_defaults()


_wide = weakref.WeakKeyDictionary()
_WIDE = {"int64", "uint64", "float64", "complex128"}  # what JAX narrows with x64 off


def _plain_metric(fn):
    """A metric's method on unwrapped arguments, unseen by tapes, with the
    metric's defaults (`_metric_defaults`)."""
    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        with stack.hidden(), inside(), _metric_defaults(self):
            return fn(self, *unwrap_tree(args), **unwrap_tree(kwargs))
    wrapper._jaxtape_bridged = True
    return wrapper


def _as_tensors(tree):
    return jax.tree_util.tree_map(lambda x: Tensor(x) if isinstance(x, jax.Array) else x, tree)


# -- optimizers ---------------------------------------------------------------

_updates = weakref.WeakKeyDictionary()  # optimizer -> {(positions, slots): jitted update}
_lso_updates = weakref.WeakKeyDictionary()  # loss-scale optimizer -> jitted stateless_apply


def _jitted_update(optimizer, positions, apply, n_state):
    """Keras's `apply` for the variables at `positions`, stateless, as one
    jitted call of (optimizer values, variable values, gradients), flat;
    kept in jaxtape's kernel cache when the optimizer is all Keras's own."""
    n = len(positions)
    ref = weakref.ref(optimizer)  # the cache must not keep its key alive

    def update(*arrays):
        optimizer = ref()
        variables = [optimizer._trainable_variables[i] for i in positions]
        mapping = list(zip(optimizer.variables, arrays[:n_state])) + \
            list(zip(variables, arrays[n_state:n_state + n]))
        with keras.StatelessScope(state_mapping=mapping) as scope:
            apply(optimizer, list(arrays[n_state + n:]), variables)
        return ([scope.get_current_value(v) for v in variables],
                [scope.get_current_value(v) for v in optimizer.variables])

    # The indices map variables' ids (another in every process) to the
    # positions in `_trainable_variables`, which the identity holds.
    ident = identity(optimizer, skip=("_trainable_variables_indices",))
    return cached_jit(update, None if ident is None else ("optimizer", ident, positions, n_state),
                      "keras_optimizer_update")


_keys = {}  # id(tf.Variable) -> (a weak reference to it, the Keras variable optimizers key it by)
_owners = {}  # id(that Keras variable) -> the weak reference to its tf.Variable


def _keyed(variable):
    """What a Keras optimizer keys `variable` by: itself if it is a Keras
    variable; for a `tf.Variable` (TF's tutorials apply Keras optimizers to
    them) a Keras variable of its shape and dtype, made once, which names its
    slots and stands for it in Keras's stateless update (its values are the
    tf.Variable's, read and written around the update)."""
    if getattr(variable, "_keras_variable", False) or not hasattr(variable, "_read_for_op"):
        return variable
    entry = _keys.get(id(variable))  # (tf.Variables are unhashable, as in TF)
    if entry is None or entry[0]() is not variable:
        with lifted():
            key = keras.Variable(initializer="zeros", shape=tuple(variable.shape),
                                 dtype=variable.dtype.name, trainable=True,
                                 name=variable.name.replace(":", "_"))  # TF names its slots so
        ident, kid = id(variable), id(key)

        def forget(_):
            _keys.pop(ident, None)
            _owners.pop(kid, None)
        entry = _keys[ident] = (weakref.ref(variable, forget), key)
        _owners[kid] = entry[0]
    return entry[1]


def _owner(key):
    """The live tf.Variable `key` stands for (see `_keyed`), or None."""
    ref = _owners.get(id(key))
    return None if ref is None else ref()


def _build_once(optimizer, variables):
    """Builds an unbuilt optimizer for `variables` (lifted out of a trace, as
    TF's `init_scope` would: its slots get concrete values)."""
    if not optimizer.built:
        with lifted() if local.tracing else contextlib.nullcontext(), \
                keras_backend.name_scope(optimizer.name, caller=optimizer):
            optimizer.build(variables)
        optimizer.built = True


def _install_optimizers():
    apply = BaseOptimizer.apply

    @functools.wraps(apply)
    def bridged_apply(self, grads, trainable_variables=None):
        grads = [None if g is None else unwrap(g) for g in grads]
        with stack.hidden(), inside():  # x64 stays on: the iteration count is int64, as in TF
            if keras_backend.in_stateless_scope() or trainable_variables is None or not grads:
                return apply(self, grads, trainable_variables)
            given = list(trainable_variables)
            variables = [_keyed(v) for v in given]
            owner = {id(k): v for k, v in zip(variables, given)}
            _build_once(self, variables)
            self._check_variables_are_known(variables)
            grads, variables = self._filter_empty_gradients(grads, variables)  # warns as Keras does
            if not variables:
                return apply(self, grads, variables)
            given = [owner[id(k)] for k in variables]
            positions = tuple(self._get_variable_index(v) for v in variables)
            state = self.variables
            cache = _updates.setdefault(self, {})
            update = cache.get((positions, len(state)))
            if update is None:
                update = cache[positions, len(state)] = _jitted_update(self, positions, apply,
                                                                       len(state))
            # A Keras variable's stored array; a tf.Variable's read (captured in a trace).
            values = [unwrap(v) if v is not k else values_of((v,))[0]
                      for v, k in zip(given, variables)]
            new_values, new_state = update(*values_of(state), *values, *grads)
            write_back(state, new_state)
            for v, k, value in zip(given, variables, new_values):
                if v is k:
                    v._direct_assign(value)
                else:
                    v.assign(value)  # a tf.Variable: its own store (captured in a trace)

    BaseOptimizer.apply = bridged_apply
    lso_apply = LossScaleOptimizer.apply

    @functools.wraps(lso_apply)
    def bridged_lso_apply(self, grads, trainable_variables=None):
        """A loss-scale optimizer's update as one jitted `stateless_apply`:
        its own `apply` runs its stateful update inside `ops.cond` branches,
        which JAX traces (the variables' writes would escape them)."""
        if keras_backend.in_stateless_scope():
            return lso_apply(self, grads, trainable_variables)
        grads = [None if g is None else unwrap(g) for g in grads]
        with stack.hidden(), inside():
            variables = (list(self._trainable_variables) if trainable_variables is None
                         else [_keyed(v) for v in trainable_variables])
            _build_once(self, variables)
            self._check_variables_are_known(variables)
            known = list(self._trainable_variables)
            full = [None] * len(known)  # in the order it was built with; None: left out
            for g, v in zip(grads, variables):
                full[self._get_variable_index(v)] = g
            update = _lso_updates.get(self)
            if update is None:
                ref = weakref.ref(self)
                update = _lso_updates[self] = jax.jit(
                    lambda state, grads, values: ref().stateless_apply(state, grads, values))
            owners = [_owner(k) for k in known]  # a tf.Variable's values stand in for its key's
            values = [values_of((k if o is None else o,))[0] for k, o in zip(known, owners)]
            new_values, new_state = update(values_of(self.variables), full, values)
            write_back(self.variables, new_state)
            for k, o, value in zip(known, owners, new_values):
                if o is None:
                    k._direct_assign(value)
                else:
                    o.assign(value)

    LossScaleOptimizer.apply = bridged_lso_apply
    scale_loss = LossScaleOptimizer.scale_loss

    @functools.wraps(scale_loss)
    def bridged_scale_loss(self, loss):
        if not isinstance(loss, Tensor):  # Keras's own (traced) code
            return scale_loss(self, loss)
        # jaxtape's multiply, so the tape follows the scaled loss (Keras's op
        # would return a bare array); the scale variable's read is captured.
        return loss * (self.dynamic_scale if self.built else self.initial_scale)

    LossScaleOptimizer.scale_loss = bridged_scale_loss


def _eager_schedule(call):
    """A Keras schedule's value read by user code (`optimizer.learning_rate`,
    `schedule(step)`): a float32 tensor, as TF gives; in Keras's own code (an
    optimizer's update) it is Keras's array, as before."""
    @functools.wraps(call)
    def schedule(self, step):
        if _keras_internal(step):
            return call(self, step)
        with stack.hidden(), inside(), float32_defaults():  # TF's float32, not jaxtape's x64
            return _as_tensors(call(self, unwrap(step)))
    schedule._jaxtape_bridged = True
    return schedule


def _install_schedules():
    def keras_own(cls):
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("keras."):
                yield sub
            yield from keras_own(sub)

    for cls in keras_own(LearningRateSchedule):
        call = cls.__dict__.get("__call__")
        if call is not None and not getattr(call, "_jaxtape_bridged", False):
            cls.__call__ = _eager_schedule(call)


# -- losses ---------------------------------------------------------------------

_loss_ops = weakref.WeakKeyDictionary()


def _loss_body(ref, y_true, y_pred, *sample_weight):
    with stack.hidden(), inside(), float32_defaults():
        return _LOSS_CALL(ref(), y_true, y_pred, *sample_weight)


def _keras_internal(*values) -> bool:
    """Whether a loss is computed inside Keras's own traced code (`fit`, a
    bridged layer call): then it is plain Keras, not an op."""
    return bridged() or keras_backend.in_stateless_scope() or any(
        isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(values))


def _loss_call(self, y_true, y_pred, sample_weight=None):
    if _keras_internal(y_true, y_pred, sample_weight):
        return output_tree(_LOSS_CALL(self, *unwrap_tree((y_true, y_pred, sample_weight))))
    prim = _loss_ops.get(self)
    if prim is None:
        prim = _loss_ops[self] = Primitive(functools.partial(_loss_body, weakref.ref(self)),
                                           f"keras_{self.name}")
    args = [y_true, y_pred] + ([] if sample_weight is None else [sample_weight])
    return prim(*[_tensor(a) for a in args])


def _tensor(x):
    return x if type(x) is Tensor else convert_to_tensor(x)


def _loss_function(fn):
    """A `tf.keras.losses` function as one recorded op; extra arguments are static."""
    signature = inspect.signature(fn)

    def body(y_true, y_pred, **options):
        with stack.hidden(), inside(), float32_defaults():
            return fn(y_true, y_pred, **options)

    prim = Primitive(body, fn.__name__)

    @functools.wraps(fn)
    def wrapper(y_true, y_pred, *args, **kwargs):
        if _keras_internal(y_true, y_pred):
            return fn(*unwrap_tree((y_true, y_pred, *args)), **unwrap_tree(kwargs))
        options = signature.bind(y_true, y_pred, *args, **kwargs).arguments
        del options["y_true"], options["y_pred"]
        return prim(_tensor(y_true), _tensor(y_pred), **options)

    return wrapper


_compile_loss_ops = weakref.WeakKeyDictionary()


def _compile_loss_body(ref, *arrays, n_metric, structure):
    """`CompileLoss.__call__` on arrays; its per-output loss trackers (a
    multi-output model's `Mean`s) in a StatelessScope, their new values out."""
    compile_loss = ref()
    variables = [v for m in compile_loss.metrics for v in m.variables]
    y_true, y_pred, sample_weight = jax.tree_util.tree_unflatten(structure, arrays[n_metric:])
    mapping = list(zip(variables, arrays[:n_metric]))
    with stack.hidden(), inside(), float32_defaults(), \
            keras.StatelessScope(state_mapping=mapping) as scope:
        loss = _COMPILE_LOSS_CALL(compile_loss, y_true, y_pred, sample_weight)
    return (loss, *[scope.get_current_value(v) for v in variables])


def _compile_loss_call(self, y_true, y_pred, sample_weight=None):
    """`model.compute_loss` / `compiled_loss` under a tape or `tf.function`
    (TF's custom `train_step`): the compiled losses as one recorded op, as
    `Loss.__call__` is, where Keras's own ops would drop the tape."""
    args = (y_true, y_pred, sample_weight)
    if _keras_internal(*args):
        return _COMPILE_LOSS_CALL(self, *unwrap_tree(args))
    if not self.built:
        try:
            with lifted():  # its trackers' variables made concrete, as TF's init_scope would
                self.build(*unwrap_tree((y_true, y_pred)))
        except Exception:  # noqa: BLE001 - structures Keras's call reconciles first: as Keras runs
            return _COMPILE_LOSS_CALL(self, *unwrap_tree(args))
    if not self._flat_losses:
        return None
    leaves, structure = jax.tree_util.tree_flatten(args)
    variables = [v for m in self.metrics for v in m.variables]
    prim = _compile_loss_ops.get(self)
    if prim is None:
        prim = _compile_loss_ops[self] = Primitive(
            functools.partial(_compile_loss_body, weakref.ref(self)), "keras_compile_loss",
            multiple_results=True)
    outs = prim(*[v.value for v in variables], *[_tensor(leaf) for leaf in leaves],
                n_metric=len(variables), structure=structure)
    write_back(variables, [t._value for t in outs[1:]])
    return outs[0]


def _install_losses():
    global _LOSS_CALL, _COMPILE_LOSS_CALL
    _LOSS_CALL = Loss.__call__
    Loss.__call__ = functools.wraps(_LOSS_CALL)(_loss_call)
    _COMPILE_LOSS_CALL = compile_utils.CompileLoss.__call__
    compile_utils.CompileLoss.__call__ = functools.wraps(_COMPILE_LOSS_CALL)(_compile_loss_call)
    wrapped = {}
    for module in dict.fromkeys([keras.losses, tf_keras.losses]):
        for name, value in list(vars(module).items()):
            params = list(inspect.signature(value).parameters) if inspect.isfunction(value) else []
            if params[:2] == ["y_true", "y_pred"]:
                if value not in wrapped:
                    wrapped[value] = _loss_function(value)
                setattr(module, name, wrapped[value])


# -- metrics --------------------------------------------------------------------

_metric_updates = weakref.WeakKeyDictionary()  # metric -> {argument structure: jitted update}


def _array_leaf(x) -> bool:
    # Python numbers and lists stay on Keras's own path, which converts them with TF's dtypes.
    return x is None or isinstance(x, (jax.Array, np.ndarray, np.generic))


def _metric_update(metric, structure, nones, n_vars):
    """The metric's `stateless_update_state` as one jitted call of (variable
    values, argument leaves), flat (`nones`: the leaves that are None, kept
    out); kept in jaxtape's kernel cache when the metric is all Keras's own."""
    ref = weakref.ref(metric)  # the cache must not keep its key alive

    def metric_update(*arrays):
        leaves = iter(arrays[n_vars:])
        args, kwargs = jax.tree_util.tree_unflatten(
            structure, [None if none else next(leaves) for none in nones])
        metric = ref()
        with stack.hidden(), inside(), _metric_defaults(metric):
            return metric.stateless_update_state(list(arrays[:n_vars]), *args, **kwargs)

    ident = identity(metric)
    text = str(structure)
    if "CustomNode" in text:  # a user's pytree: not keyed by its text
        ident = None
    return cached_jit(metric_update, None if ident is None else ("metric", ident, text, nones, n_vars),
                      "keras_metric_update")


def _jitted_update_state(fn):
    """Keras's own `update_state` in eager code as one jitted stateless update,
    written back: a metric's few ops would otherwise each compile per shape on
    the first step and dispatch one by one on every step. Inside a trace (or
    Keras's own stateless code) it runs as Keras code."""
    plain = _plain_metric(fn)

    @functools.wraps(fn)
    def update_state(self, *args, **kwargs):
        args, kwargs = unwrap_tree(args), unwrap_tree(kwargs)
        leaves, structure = jax.tree_util.tree_flatten((args, kwargs), is_leaf=lambda x: x is None)
        if (local.tracing or _keras_internal(args, kwargs) or not all(map(_array_leaf, leaves))
                or getattr(self, "_built", True) is False):
            # Unbuilt (F1Score, R2Score, a multi-label AUC): Keras makes the
            # variables on the first update, from the shapes, eagerly here.
            return plain(self, *args, **kwargs)
        variables = self.variables
        nones = tuple(x is None for x in leaves)
        key = (structure, nones, len(variables))
        cache = _metric_updates.setdefault(self, {})
        update = cache.get(key)
        if update is None:
            update = cache[key] = _metric_update(self, *key)
        write_back(variables, update(*values_of(variables), *[x for x in leaves if x is not None]))

    update_state._jaxtape_bridged = True
    return update_state


_metric_results = weakref.WeakKeyDictionary()  # metric -> (its variable count, jitted result or None)


def _metric_result(metric):
    """Keras's own metric's `stateless_result` as one jitted call of its
    variable values, or None (a user's metric class, or one Keras's code
    cannot key): eager, `result()`'s few ops (Mean's divide_no_nan is four)
    would each dispatch on their own, at every epoch's end of `fit` and
    wherever a training loop reads a metric."""
    n_vars = len(metric.variables)  # a metric that builds on its first update grows
    try:
        n, jitted = _metric_results[metric]
        if n == n_vars:
            return jitted
    except KeyError:
        pass
    except TypeError:  # not weak-referenceable
        return None
    ident = identity(metric)
    jitted = None
    if ident is not None:
        ref = weakref.ref(metric)

        def metric_result(*arrays):
            metric = ref()
            with stack.hidden(), inside(), _metric_defaults(metric):
                return metric.stateless_result(list(arrays))

        jitted = cached_jit(metric_result, ("metric_result", ident, n_vars), "keras_metric_result")
    _metric_results[metric] = n_vars, jitted
    return jitted


def _bridge_metric_class(cls):
    for name in ("update_state", "reset_state"):
        fn = cls.__dict__.get(name)
        if fn is not None and not getattr(fn, "_jaxtape_bridged", False):
            keras_own = name == "update_state" and cls.__module__.startswith("keras.")
            setattr(cls, name, _jitted_update_state(fn) if keras_own else _plain_metric(fn))
    fn = cls.__dict__.get("result")
    if fn is not None and not getattr(fn, "_jaxtape_bridged", False):
        plain = _plain_metric(fn)

        def result(self):
            if _keras_internal():  # Keras's own stateless metric code (`fit`) keeps arrays
                return output_tree(fn(self))
            jitted = None if local.tracing else _metric_result(self)
            if jitted is None:
                return _as_tensors(plain(self))
            return _as_tensors(jitted(*values_of(self.variables)))

        result = functools.wraps(fn)(result)
        result._jaxtape_bridged = True
        cls.result = result


def _install_metrics():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for cls in (Metric, *subclasses(Metric)):
        _bridge_metric_class(cls)
    previous = Metric.__dict__.get("__init_subclass__")

    def __init_subclass__(cls, **kwargs):
        if previous is not None:
            previous.__func__(cls, **kwargs)
        else:
            super(Metric, cls).__init_subclass__(**kwargs)
        _bridge_metric_class(cls)

    Metric.__init_subclass__ = classmethod(__init_subclass__)


def install() -> None:
    _install_optimizers()
    _install_schedules()
    _install_losses()
    _install_metrics()
