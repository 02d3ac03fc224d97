"""_src/ops/array."""
