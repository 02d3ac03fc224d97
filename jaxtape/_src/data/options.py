"""`tf.data.AUTOTUNE`, the cardinality constants and `tf.data.Options`.

Options are recorded and merged as TF does, but jaxtape's pipelines are
synchronous apart from `prefetch`, so none of them changes what runs.
"""
from __future__ import annotations

import enum

from jaxtape._src.framework.exports import export, export_value

AUTOTUNE = export_value(-1, "data.AUTOTUNE", "data.experimental.AUTOTUNE")
INFINITE = export_value(-1, "data.INFINITE_CARDINALITY", "data.experimental.INFINITE_CARDINALITY")
UNKNOWN = export_value(-2, "data.UNKNOWN_CARDINALITY", "data.experimental.UNKNOWN_CARDINALITY")


@export("data.experimental.AutoShardPolicy")
class AutoShardPolicy(enum.IntEnum):
    OFF = -1
    AUTO = 0
    FILE = 1
    DATA = 2
    HINT = 3


@export("data.experimental.ExternalStatePolicy")
class ExternalStatePolicy(enum.Enum):
    WARN = 0
    IGNORE = 1
    FAIL = 2


class _OptionGroup:
    """A bag of named options; unknown names raise as TF's options do."""

    _fields: dict = {}

    def __init__(self):
        object.__setattr__(self, "_values", {})

    def __getattr__(self, name):
        fields = type(self)._fields
        if name in fields:
            value = self._values.get(name)
            if value is None and isinstance(fields[name], type):
                value = fields[name]()
                self._values[name] = value
            return value
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        if name not in type(self)._fields:
            raise AttributeError(f"Cannot set the property {name} on {type(self).__name__}.")
        self._values[name] = value

    def __eq__(self, other):
        return type(self) is type(other) and self._values == other._values

    def _merged(self, other):
        out = type(self)()
        out._values.update(self._values)
        for k, v in other._values.items():
            if isinstance(v, _OptionGroup) and isinstance(out._values.get(k), _OptionGroup):
                v = out._values[k]._merged(v)
            out._values[k] = v
        return out


@export("data.ThreadingOptions", "data.experimental.ThreadingOptions")
class ThreadingOptions(_OptionGroup):
    _fields = {"max_intra_op_parallelism": None, "private_threadpool_size": None}


@export("data.experimental.AutotuneOptions")
class AutotuneOptions(_OptionGroup):
    _fields = {"enabled": None, "cpu_budget": None, "ram_budget": None, "autotune_algorithm": None,
               "initial_parallelism": None, "min_parallelism": None}


@export("data.experimental.DistributeOptions")
class DistributeOptions(_OptionGroup):
    _fields = {"auto_shard_policy": None, "num_devices": None}


@export("data.experimental.OptimizationOptions")
class OptimizationOptions(_OptionGroup):
    _fields = {name: None for name in (
        "apply_default_optimizations", "filter_fusion", "filter_parallelization",
        "inject_prefetch", "map_and_batch_fusion", "map_and_filter_fusion", "map_fusion",
        "map_parallelization", "noop_elimination", "parallel_batch", "seq_interleave_prefetch",
        "shuffle_and_repeat_fusion", "warm_start")}


@export("data.Options")
class Options(_OptionGroup):
    """`tf.data.Options`: settings a pipeline carries (`with_options`)."""

    _fields = {"autotune": AutotuneOptions, "dataset_name": None, "deterministic": None,
               "experimental_deterministic": None, "experimental_distribute": DistributeOptions,
               "experimental_external_state_policy": None,
               "experimental_optimization": OptimizationOptions, "experimental_service": None,
               "experimental_slack": None, "experimental_symbolic_checkpoint": None,
               "experimental_threading": ThreadingOptions, "experimental_warm_start": None,
               "framework_type": None, "threading": ThreadingOptions}

    def merge(self, options):
        """A new Options with `options`' settings over these."""
        return self._merged(options)
