"""_src/ops/nn."""
