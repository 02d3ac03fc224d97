"""The workloads, in the order the report lists them."""
from benchmarks.workloads import chain, jacobians, memory, mlp, overhead

TIMED = (chain.HOT, chain.COLD, mlp.EAGER, mlp.COMPILED,
         jacobians.BATCH_JACOBIAN, jacobians.HESSIAN, overhead.WORKLOAD)
MEMORY = "memory"
NAMES = tuple(w.name for w in TIMED) + (MEMORY,)

__all__ = ["TIMED", "MEMORY", "NAMES", "memory"]
