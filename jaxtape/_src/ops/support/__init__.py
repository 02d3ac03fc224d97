"""_src/ops/support."""
