"""`tf.print`: `summarize` formats tensors the way TF's print kernel does;
`print_v2` holds the op, which prints eagerly or, inside `tf.function`, from a
host callback on every call."""
