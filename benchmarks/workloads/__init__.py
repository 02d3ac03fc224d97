"""The workloads, in the order the report lists them."""
from benchmarks.workloads import (chain, compile_policy, data, first_steps, jacobians, keras_training,
                                  large, memory, mlp, overhead)

TIMED = (chain.HOT, chain.COLD, mlp.EAGER, mlp.COMPILED,
         jacobians.BATCH_JACOBIAN, jacobians.HESSIAN, overhead.WORKLOAD, data.WORKLOAD,
         compile_policy.NEW_BATCH, compile_policy.RECURRING, compile_policy.VARLEN,
         compile_policy.FIRST_GRADIENT,
         first_steps.WORKLOAD, *large.SWEEP, large.LONG_TAPE, keras_training.WORKLOAD)
MEMORY = "memory"
NAMES = tuple(w.name for w in TIMED) + (MEMORY,)

__all__ = ["TIMED", "MEMORY", "NAMES", "memory"]
