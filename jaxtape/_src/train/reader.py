"""Reading checkpoints by key: `tf.train.load_checkpoint`, `list_variables`,
`load_variable`, `latest_checkpoint`, `get_checkpoint_state`."""
from __future__ import annotations

import os

from jaxtape._src.framework import dtypes, errors
from jaxtape._src.framework.exports import export
from jaxtape._src.train import bundle, state_file


def _resolve(ckpt_dir_or_file) -> str:
    """A checkpoint prefix: the path itself, or a directory's latest checkpoint."""
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        latest = latest_checkpoint(path)
        if latest is None:
            raise errors.NotFoundError(
                None, None, "Unsuccessful TensorSliceReader constructor: Failed to find any "
                f"matching files for {path}")
        return latest
    return path


@export("train.latest_checkpoint")
def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The newest checkpoint prefix named in `checkpoint_dir`'s state file, if its files exist."""
    state = state_file.read(os.fspath(checkpoint_dir), latest_filename)
    if state is None:
        return None
    if os.path.exists(bundle.index_file(state.model_checkpoint_path)):
        return state.model_checkpoint_path
    return None


@export("train.get_checkpoint_state")
def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    return state_file.read(os.fspath(checkpoint_dir), latest_filename)


class CheckpointReader:
    """What `tf.train.load_checkpoint` returns: tensors by checkpoint key."""

    def __init__(self, prefix: str):
        self._reader = bundle.Reader(prefix)

    def get_tensor(self, tensor_str):
        return self._reader.tensor(tensor_str)

    def has_tensor(self, tensor_str) -> bool:
        return tensor_str in self._reader.entries

    def get_variable_to_shape_map(self) -> dict:
        return {k: list(e.shape) for k, e in self._reader.entries.items()}

    def get_variable_to_dtype_map(self) -> dict:
        return {k: dtypes.as_dtype(e.dtype_name) if e.dtype_name != "string" else _STRING
                for k, e in self._reader.entries.items()}

    def debug_string(self) -> bytes:
        return "".join(f"{k} ({e.dtype_name}) {list(e.shape)}\n"
                       for k, e in self._reader.entries.items()).encode()


class _StringDType:
    """Stands in for `tf.string`, which jaxtape's tensors do not support."""
    name = "string"

    def __repr__(self):
        return "tf.string"

    def __eq__(self, other):
        return other == "string" or getattr(other, "name", None) == "string"

    def __hash__(self):
        return hash("string")


_STRING = _StringDType()


@export("train.load_checkpoint")
def load_checkpoint(ckpt_dir_or_file) -> CheckpointReader:
    return CheckpointReader(_resolve(ckpt_dir_or_file))


@export("train.load_variable")
def load_variable(ckpt_dir_or_file, name):
    """The stored value of `name` as a NumPy array (bytes for a string scalar)."""
    if name.endswith(":0"):
        name = name[:-2]
    return load_checkpoint(ckpt_dir_or_file).get_tensor(name)


@export("train.list_variables")
def list_variables(ckpt_dir_or_file) -> list:
    """(key, shape) of every tensor in the checkpoint, sorted by key as TF lists them."""
    reader = load_checkpoint(ckpt_dir_or_file)
    shapes = reader.get_variable_to_shape_map()
    return [(k, shapes[k]) for k in sorted(shapes)]
