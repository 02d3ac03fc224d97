"""`tf.config` switches that XLA decides for itself: recorded and returned, not applied.

XLA picks its own thread pools and always compiles `tf.function` whole, so
thread counts and `optimizer.set_jit` only change what the getters report.
`run_functions_eagerly` does apply: `tf.function`s then run eagerly.
"""
from __future__ import annotations

from jaxtape._src.compile.function import runs_eagerly, set_run_eagerly
from jaxtape._src.framework.exports import export

_state = {"intra": 0, "inter": 0, "jit": "", "soft": True,
          "options": {}, "determinism": False, "device_policy": None}


@export("config.threading.set_intra_op_parallelism_threads")
def set_intra_op_parallelism_threads(num_threads):
    _state["intra"] = int(num_threads)


@export("config.threading.get_intra_op_parallelism_threads")
def get_intra_op_parallelism_threads():
    return _state["intra"]


@export("config.threading.set_inter_op_parallelism_threads")
def set_inter_op_parallelism_threads(num_threads):
    _state["inter"] = int(num_threads)


@export("config.threading.get_inter_op_parallelism_threads")
def get_inter_op_parallelism_threads():
    return _state["inter"]


@export("config.optimizer.set_jit")
def set_jit(enabled):
    """TF's values: True or 'autoclustering' turn it on, False or '' off."""
    if enabled is True:
        enabled = "autoclustering"
    _state["jit"] = enabled if isinstance(enabled, str) else ""


@export("config.optimizer.get_jit")
def get_jit():
    return _state["jit"]


@export("config.optimizer.set_experimental_options")
def set_experimental_options(options):
    _state["options"].update(options)


@export("config.optimizer.get_experimental_options")
def get_experimental_options():
    return dict(_state["options"])


@export("config.run_functions_eagerly", "config.experimental_run_functions_eagerly")
def run_functions_eagerly(run_eagerly):
    """Every `tf.function` then runs its Python function eagerly at each call (no trace)."""
    set_run_eagerly(run_eagerly)


@export("config.functions_run_eagerly", "config.experimental_functions_run_eagerly")
def functions_run_eagerly():
    return runs_eagerly()


@export("config.set_soft_device_placement")
def set_soft_device_placement(enabled):
    _state["soft"] = bool(enabled)


@export("config.get_soft_device_placement")
def get_soft_device_placement():
    return _state["soft"]


@export("config.experimental.enable_op_determinism")
def enable_op_determinism():
    """XLA's CPU and GPU programs are run-to-run deterministic for jaxtape's ops; recorded."""
    _state["determinism"] = True


@export("config.experimental.set_device_policy")
def set_device_policy(device_policy):
    _state["device_policy"] = device_policy


@export("config.experimental.get_device_policy")
def get_device_policy():
    return _state["device_policy"]
