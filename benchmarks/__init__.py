"""Benchmarks: jaxtape against TensorFlow, plain JAX and PyTorch.

Run with `python -m benchmarks` (see `--help`). Each workload builds the same
computation in every installed framework; `timing` alternates between them
repeat by repeat so machine drift hits all of them alike, and `report` writes
`RESULTS.md` and `results.png` beside this file.
"""
