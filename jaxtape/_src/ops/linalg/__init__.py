"""`tf.linalg`: matmul (matmul, matvec, tensordot, einsum), determinants,
solve (inverses and solves), decompositions, expm, diag (diagonals, bands,
trace), cross, transpose; matrices holds their shared argument checks.
"""
