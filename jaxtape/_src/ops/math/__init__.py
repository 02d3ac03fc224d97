"""`tf.math`: one module per kind of op, named for it.

arithmetic (binary arithmetic, add_n), compare (comparisons, logical ops),
cast, unary (elementwise functions of one tensor), special (special
functions), reduce (reductions, argmax), cumulative, segment, bincount,
confusion_matrix, top_k (top_k, in_top_k), l2_normalize, polyval;
tf_gradients holds the primitives whose VJP follows TF's kernel.
"""
