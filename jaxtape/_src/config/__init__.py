"""`tf.config`, `tf.device` and `tf.test`'s device queries, answered from JAX's devices.

devices (PhysicalDevice / LogicalDevice lists, visible devices), placement
(`tf.device`), memory (memory growth, memory info), settings (threading, jit,
soft placement: recorded, documented as not changing XLA; run_functions_eagerly,
which applies), gpu_queries (`tf.test.is_gpu_available`, `is_built_with_cuda`).
"""
