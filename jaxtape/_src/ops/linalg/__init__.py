"""_src/ops/linalg."""
