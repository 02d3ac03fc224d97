"""_src/ops/math."""
