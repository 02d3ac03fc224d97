"""`tf.nn`, one file per topic: activations, bias_add, normalization, dropout,
embedding, conv, pool, losses; `window` reads conv/pool window arguments and
`dtype_checks` holds the nn kernels' dtype checks."""
