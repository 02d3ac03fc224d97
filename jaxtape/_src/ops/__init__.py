"""TensorFlow ops as thin adapters over plain JAX functions.

Each module holds one family (math, array, nn, ...). An op is a `Primitive`
around a JAX function, plus, where TF's calling convention needs it, a small
wrapper that converts arguments the way TF does and exports the TF names.
"""
