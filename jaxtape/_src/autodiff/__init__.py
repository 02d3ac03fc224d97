"""Transforms beyond `GradientTape.gradient`: Jacobians, forward mode, custom gradients."""
