"""The TensorFlow-shaped public namespace, built from the export registry."""
