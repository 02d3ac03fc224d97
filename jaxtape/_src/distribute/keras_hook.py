"""Keras under a strategy: gradient sums in `apply_gradients`, `fit` data-parallel.

Installed once jaxtape's `tf.keras` bridge is loaded (Keras is optional and
slow to import): by the bridge itself as it loads (`keras.on_load`), and if
that happens inside an open `strategy.scope()`, Keras's distribution is
entered for the rest of that scope. Inside a replica context an optimizer's
`apply_gradients` first sums the gradients over the replicas, as TF's
optimizers do, then updates the mirrored variables with the sum. A model
compiled inside `strategy.scope()` runs `fit`/`evaluate`/`predict` under
Keras's own `keras.distribution.DataParallel` over the strategy's devices, so
Keras's JAX trainer shards each batch and keeps the variables replicated.
"""
from __future__ import annotations

import contextlib
import functools
import sys

import threading

from jaxtape._src import keras as keras_package
from jaxtape._src.distribute import context
from jaxtape._src.distribute.reduce_op import ReduceOp

_installed = []


class _OpenScopes(threading.local):
    def __init__(self):
        self.entries = []  # [strategy, ExitStack] of this thread's open strategy scopes


_open = _OpenScopes()


def _bridge_loaded() -> bool:
    return "jaxtape._src.keras.install" in sys.modules


def _replica_context():
    entries = context._stack.entries
    return entries[-1][1] if entries else None


def _strategy_in_scope():
    entries = context._stack.entries
    if entries and entries[-1][1] is None and entries[-1][0].num_replicas_in_sync > 1 \
            and entries[-1][0] is not context.default_strategy():
        return entries[-1][0]
    return None


def install_if_loaded() -> None:
    if _installed or not _bridge_loaded():
        return
    _installed.append(True)
    from keras.src.models.model import Model
    from keras.src.optimizers.base_optimizer import BaseOptimizer

    apply_gradients = BaseOptimizer.apply_gradients

    @functools.wraps(apply_gradients)
    def summed_apply_gradients(self, grads_and_vars, *args, **kwargs):
        replica = _replica_context()
        if replica is not None and replica.num_replicas_in_sync > 1:
            pairs = list(grads_and_vars)
            present = [i for i, (g, _) in enumerate(pairs) if g is not None]
            summed = replica.all_reduce(ReduceOp.SUM, [pairs[i][0] for i in present])
            for i, g in zip(present, summed):
                pairs[i] = (g, pairs[i][1])
            grads_and_vars = pairs
        return apply_gradients(self, grads_and_vars, *args, **kwargs)

    BaseOptimizer.apply_gradients = summed_apply_gradients

    # On Trainer, where Keras defines it: `compile_from_config` (load_model) skips
    # compiling a model whose class's `compile` is not Trainer's.
    from keras.src.trainers.trainer import Trainer
    compile_ = Trainer.compile

    @functools.wraps(compile_)
    def compile(self, *args, **kwargs):
        strategy = _strategy_in_scope()
        if strategy is not None:
            self._jaxtape_strategy = strategy
        return compile_(self, *args, **kwargs)

    Trainer.compile = compile
    for name in ("fit", "evaluate", "predict"):
        setattr(Model, name, _under_strategy(getattr(Model, name)))


def _under_strategy(method):
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        strategy = getattr(self, "_jaxtape_strategy", None)
        if strategy is None:
            return method(self, *args, **kwargs)
        with keras_distribution(strategy):
            return method(self, *args, **kwargs)
    return run


def keras_distribution(strategy):
    """Keras's DataParallel over the strategy's devices while Keras is loaded, else nothing."""
    if not _bridge_loaded() or strategy.num_replicas_in_sync < 2:
        return contextlib.nullcontext()
    from keras import distribution
    if distribution.distribution() is not None:
        return contextlib.nullcontext()
    return distribution.DataParallel(devices=list(strategy._devices)).scope()


@contextlib.contextmanager
def strategy_scope(strategy):
    """Keras's distribution for a strategy scope, now or once Keras loads inside it."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(keras_distribution(strategy))
        entry = [strategy, stack]
        _open.entries.append(entry)
        try:
            yield
        finally:
            _open.entries.remove(entry)


def _on_keras_load():
    install_if_loaded()
    for strategy, stack in _open.entries:
        stack.enter_context(keras_distribution(strategy))


keras_package.on_load.append(_on_keras_load)
