"""`MultiWorkerMirroredStrategy`: TF's cluster (TF_CONFIG) as JAX's distributed runtime.

TF_CONFIG (or a `SimpleClusterResolver` over a `tf.train.ClusterSpec`) names the cluster (`{"cluster": {"chief": [...], "worker": [...]},
"task": {"type": "worker", "index": 1}}`). Processes are numbered as TF
numbers tasks (the chief first, then the workers); the first task's address
is the coordinator of `jax.distributed.initialize`, which joins every
process's devices into one global device list. Each process's accelerators
are replicas (on CPUs, as in TF, only its first CPU device); the mesh spans
them, so the per-replica program and its all-reduces cross processes
through XLA's collectives (gloo on CPU). `CommunicationOptions.timeout_seconds`
bounds how long a process waits for the others to start and how long a dead
process goes unnoticed (JAX's heartbeat timeout).
"""
from __future__ import annotations

import enum
import json
import os

import jax

from jaxtape._src.distribute.strategy import MultiProcess, Strategy
from jaxtape._src.framework.exports import export

_started = []


@export("train.ClusterSpec")
class ClusterSpec:
    """Jobs and their tasks' addresses: `{"worker": ["host:port", ...], ...}`."""

    def __init__(self, cluster):
        if isinstance(cluster, ClusterSpec):
            cluster = cluster.as_dict()
        if not isinstance(cluster, dict):
            raise TypeError("`cluster` must be a dictionary mapping one or more job names to "
                            "lists of network addresses, or a `ClusterDef` protocol buffer")
        self._jobs = {job: (dict(tasks) if isinstance(tasks, dict) else dict(enumerate(tasks)))
                      for job, tasks in cluster.items()}

    def as_dict(self):
        return {job: [tasks[i] for i in sorted(tasks)] if sorted(tasks) == list(range(len(tasks)))
                else dict(tasks) for job, tasks in self._jobs.items()}

    @property
    def jobs(self):
        return list(self._jobs)

    def num_tasks(self, job_name):
        return len(self._jobs[job_name])

    def task_indices(self, job_name):
        return sorted(self._jobs[job_name])

    def task_address(self, job_name, task_index):
        return self._jobs[job_name][task_index]

    def job_tasks(self, job_name):
        tasks = self._jobs[job_name]
        return [tasks.get(i) for i in range(max(tasks) + 1)] if tasks else []

    def __bool__(self):
        return bool(self._jobs)

    def __eq__(self, other):
        return isinstance(other, ClusterSpec) and self.as_dict() == other.as_dict()

    def __repr__(self):
        return f"ClusterSpec({dict(sorted(self.as_dict().items()))})"


@export("distribute.cluster_resolver.ClusterResolver")
class ClusterResolver:
    """A cluster (`cluster_spec()`) and this process's task in it."""

    task_type = task_id = rpc_layer = None
    environment = ""

    def cluster_spec(self):
        return self._cluster

    def tasks(self):
        """(type, index) of every task, in TF's order: chief, then workers."""
        jobs = self._cluster.jobs
        return [(kind, i) for kind in ("chief", "worker") if kind in jobs
                for i in self._cluster.task_indices(kind)]

    def process_id(self):
        return self.tasks().index((self.task_type, self.task_id)) if self.tasks() else 0

    def coordinator_address(self):
        return self._cluster.task_address(*self.tasks()[0])

    def num_accelerators(self, task_type=None, task_id=None, config_proto=None):
        return {"GPU": len([d for d in jax.local_devices() if d.platform == "gpu"])}

    def master(self, task_type=None, task_id=None, rpc_layer=None):
        if not self._cluster:
            return ""
        kind = task_type or self.task_type
        address = self._cluster.task_address(kind, self.task_id if task_id is None else task_id)
        layer = rpc_layer or self.rpc_layer
        return f"{layer}://{address}" if layer else address


@export("distribute.cluster_resolver.SimpleClusterResolver")
class SimpleClusterResolver(ClusterResolver):
    """The cluster given as arguments (a `tf.train.ClusterSpec`) instead of TF_CONFIG."""

    def __init__(self, cluster_spec, master="", task_type=None, task_id=None, environment="",
                 num_accelerators=None, rpc_layer=None):
        self._cluster = ClusterSpec(cluster_spec)
        self.task_type, self.task_id = task_type, None if task_id is None else int(task_id)
        self.rpc_layer, self.environment = rpc_layer, environment
        self._master = master

    def master(self, task_type=None, task_id=None, rpc_layer=None):
        if task_type is not None and task_id is not None:
            return super().master(task_type, task_id, rpc_layer)
        return self._master


@export("distribute.cluster_resolver.TFConfigClusterResolver")
class TFConfigClusterResolver(ClusterResolver):
    """Reads TF_CONFIG: the cluster's addresses and this process's task."""

    def __init__(self, task_type=None, task_id=None, rpc_layer=None, environment=None):
        config = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
        self._cluster = ClusterSpec(config.get("cluster", {}))
        task = config.get("task", {})
        self.task_type = task_type if task_type is not None else task.get("type")
        self.task_id = int(task_id if task_id is not None else task.get("index", 0))
        self.rpc_layer = rpc_layer or config.get("rpc_layer")
        self.environment = environment or config.get("environment", "")



@export("distribute.experimental.CommunicationImplementation",
        "distribute.experimental.CollectiveCommunication")
class CommunicationImplementation(enum.Enum):
    """Accepted; JAX picks the collectives' transport (gloo on CPU, NCCL on GPU)."""
    AUTO = "AUTO"
    RING = "RING"
    NCCL = "NCCL"


@export("distribute.experimental.CommunicationOptions")
class CommunicationOptions:
    def __init__(self, bytes_per_pack=0, timeout_seconds=None, implementation=None):
        self.bytes_per_pack = bytes_per_pack
        self.timeout_seconds = timeout_seconds
        self.implementation = implementation


def start_runtime(resolver, timeout_seconds=None):
    """`jax.distributed.initialize` from the resolver's cluster, once per process."""
    tasks = resolver.tasks()
    if len(tasks) <= 1 or _started:
        return
    # CPU devices of different processes reach each other through gloo (GPUs use NCCL).
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    options = {}
    if timeout_seconds:
        options = dict(initialization_timeout=int(timeout_seconds),
                       heartbeat_timeout_seconds=max(int(timeout_seconds), 2))
    jax.distributed.initialize(coordinator_address=resolver.coordinator_address(),
                               num_processes=len(tasks), process_id=resolver.process_id(),
                               **options)
    _started.append(True)


@export("distribute.MultiWorkerMirroredStrategy",
        "distribute.experimental.MultiWorkerMirroredStrategy")
class MultiWorkerMirroredStrategy(Strategy, MultiProcess):
    """Every accelerator (else the first CPU) of every process in TF_CONFIG's cluster as a replica.

    Each process's `experimental_distribute_dataset` reads the whole dataset and
    keeps its replicas' rows of every global batch: TF's DATA auto-sharding of a
    dataset that cannot be sharded by files (checked on two TF 2.21 workers:
    `range(16).batch(8)` gives worker 0 [0..3], [8..11] and worker 1 [4..7], [12..15])."""

    def __init__(self, communication=None, cluster_resolver=None, communication_options=None):
        resolver = cluster_resolver or TFConfigClusterResolver()
        timeout = getattr(communication_options, "timeout_seconds", None)
        start_runtime(resolver, timeout)
        devices = sorted(jax.devices(), key=lambda d: (d.process_index, d.id))
        if all(d.platform == "cpu" for d in devices):
            # As TF's: without accelerators a worker is one replica, its first CPU,
            # however many logical CPUs it has (measured on TF 2.21).
            devices = [d for i, d in enumerate(devices)
                       if i == 0 or d.process_index != devices[i - 1].process_index]
        super().__init__(devices)
        self.cluster_resolver = resolver
        self._job = resolver.task_type or "localhost"
        self._task_id = resolver.task_id
