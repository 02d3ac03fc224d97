"""AutoGraph: Python `if`/`while`/`for` on tensors inside `tf.function`, staged as
`tf.cond` / `tf.while_loop` by rewriting the function's source (`transform`),
with run-time helpers that choose Python or staged control flow (`runtime`)."""
