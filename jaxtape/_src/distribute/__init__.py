"""`tf.distribute`: TF's strategies mapped onto `jax.sharding`.

A strategy owns a one-axis `Mesh` ("replica") over its devices. Variables
created in its scope hold one array replicated on the mesh; a distributed
dataset lays each global batch out as one array sharded on the replica axis;
`strategy.run` traces the step function once and runs it as one SPMD program
(`shard_map` under `jax.jit`), so replica contexts' collectives are XLA's
(`psum`, `all_gather`); replicas whose batches differ in shape (a
partial batch) run in threads that meet at collectives. Several processes
(`MultiWorkerMirroredStrategy`) join one global mesh through
`jax.distributed`.

context (strategy and replica-context stacks), values (PerReplica),
reduce_op, spmd (the traced per-replica run), threads (uneven batches),
strategy (Mirrored, OneDevice, TPU), input (distributed datasets), cluster
(TF_CONFIG, multi-worker), losses (compute_average_loss), keras_hook
(optimizers, Keras's DataParallel).
"""
