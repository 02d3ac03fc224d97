"""`tf.lookup`: key-value tables and their initializers, on the host (string keys) or as
JAX searches over sorted keys (numeric keys, so lookups trace into `tf.function`)."""
