"""`tf.summary`: TensorBoard event files written with TensorBoard's own record writer and protos."""
