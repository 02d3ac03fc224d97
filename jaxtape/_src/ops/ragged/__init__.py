"""`tf.ragged`: ops on `RaggedTensor` (framework/ragged_tensor.py), written with jaxtape's dense ops on the flat values."""
