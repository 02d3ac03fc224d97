"""Recording and differentiation: the op mechanism, tapes and the backward pass."""
