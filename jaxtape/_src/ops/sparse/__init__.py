"""`tf.sparse`: ops on `SparseTensor` (framework/sparse_tensor.py), written with jaxtape's
dense ops on `values`, so tapes differentiate them as TF's registered gradients do."""
