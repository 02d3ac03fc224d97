"""`tf.data`: eager input pipelines over host (NumPy) arrays.

Elements travel between datasets as flat tuples of NumPy arrays; they become
Tensors only where user code sees them (a `map` function, the iterator).
Sources that allow random access let `shuffle` and `batch` work on index
arrays and gather whole batches at once.
"""
