"""Values jaxtape computes with: dtypes, shapes, tensors, variables, errors."""
