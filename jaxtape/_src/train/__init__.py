"""`tf.train` checkpoints in TensorFlow's own on-disk format (tensor bundle + object graph)."""
