"""`tf.train.Checkpoint`: saves and restores an object graph in TF's own format."""
from __future__ import annotations

import os

import numpy as np

from jaxtape._src.framework import dtypes, errors
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.variables import Variable
from jaxtape._src.train import bundle, object_graph, restore, state_file

_SAVE_COUNTER = "save_counter"
_MAX_SHOWN = 10


def _prefix(path) -> str:
    return os.fspath(path) if isinstance(path, os.PathLike) else str(path)


def _value_of(target):
    if isinstance(target, Variable):
        return np.asarray(target.numpy())
    return target._checkpoint_value()


@export("train.CheckpointOptions")
class CheckpointOptions:
    """Accepted for compatibility; jaxtape's checkpoints have no device or threading options."""

    def __init__(self, experimental_io_device=None, experimental_enable_async_checkpoint=False,
                 experimental_write_callbacks=None, enable_async=False,
                 experimental_sharding_callback=None, experimental_skip_slot_variables=False):
        self.experimental_io_device = experimental_io_device
        self.enable_async = enable_async or experimental_enable_async_checkpoint
        self.experimental_skip_slot_variables = experimental_skip_slot_variables


@export("train.Checkpoint")
class Checkpoint:
    """Tracks its keyword arguments (and `root`'s children) for saving and restoring."""

    def __init__(self, root=None, **kwargs):
        object.__setattr__(self, "_root", root)
        object.__setattr__(self, "_kwargs", {})
        object.__setattr__(self, "_save_counter", None)
        object.__setattr__(self, "_listening", False)
        for name, value in sorted(kwargs.items()):  # TF tracks keywords in sorted order
            self._check_trackable(name, value)
            self._kwargs[name] = value
        if root is not None:
            self._check_trackable("root", root)

    @staticmethod
    def _check_trackable(name, value):
        if not object_graph.is_trackable(value):
            raise ValueError(
                f"`Checkpoint` was expecting {name} to be a trackable object (an object derived "
                f"from `Trackable`), got {value}. If you believe this object should be trackable "
                "(i.e. it is part of the TensorFlow Python API and manages state), please open "
                "an issue.")

    # -- tracking ---------------------------------------------------------
    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        if not name.startswith("_") and object_graph.is_trackable(value):
            self._kwargs[name] = value
            if self._listening:
                restore.attribute_set(self, name, value)

    def __getattr__(self, name):
        kwargs = self.__dict__.get("_kwargs", {})
        if name in kwargs:
            return kwargs[name]
        raise AttributeError(f"'Checkpoint' object has no attribute '{name}'")

    def _listen_for_attributes(self, on: bool) -> bool:
        object.__setattr__(self, "_listening", on)
        return True

    def _trackable_children(self):
        out = dict(object_graph.children(self._root)) if self._root is not None else {}
        out.update(self._kwargs)
        if self._save_counter is not None:
            out[_SAVE_COUNTER] = self._save_counter
        return out

    @property
    def save_counter(self) -> Variable:
        """Number of `save()` calls so far (an int64 variable, created on first use)."""
        if self._save_counter is None:
            counter = Variable(np.int64(0), trainable=False, name=_SAVE_COUNTER, dtype=dtypes.int64)
            object.__setattr__(self, "_save_counter", counter)
            if self._listening:
                restore.attribute_set(self, _SAVE_COUNTER, counter)
        return self._save_counter

    # -- saving -----------------------------------------------------------
    def write(self, file_prefix, options=None) -> str:
        """Writes `file_prefix.index` / `.data-00000-of-00001`; touches no state file."""
        prefix = _prefix(file_prefix)
        graph = object_graph.Graph(self)
        tensors = [(key, _value_of(target)) for key, target in graph.tensors]
        tensors.append((bundle.OBJECT_GRAPH_KEY, object_graph.encode(graph.nodes)))
        bundle.write(prefix, tensors)
        return prefix

    def save(self, file_prefix, options=None) -> str:
        """Writes `file_prefix-N` (N = the incremented save counter) and makes it the latest."""
        counter = self.save_counter
        counter.assign_add(1)
        try:
            path = self.write(f"{_prefix(file_prefix)}-{int(counter.numpy())}", options)
        except BaseException:
            counter.assign_sub(1)  # a failed save does not use up its number
            raise
        directory = os.path.dirname(path)
        state_file.write(directory or ".", path, [path])
        return path

    # -- restoring --------------------------------------------------------
    def read(self, save_path, options=None) -> "CheckpointLoadStatus":
        """Restores from a checkpoint written by `write` (or `save`); creates no save counter."""
        return CheckpointLoadStatus(restore.Restoration(_prefix(save_path), self))

    def restore(self, save_path, options=None):
        """Restores what matches; values for objects created later are restored on creation."""
        if save_path is None:
            return InitializationOnlyStatus()
        prefix = _prefix(save_path)
        try:
            status = self.read(prefix, options)
            # As in TF, the counter exists after restore(), holding the saved count if
            # there is one (a deferred match) and unmatched otherwise.
            self.save_counter  # noqa: B018
            return status
        except Exception as e:
            if isinstance(e, errors.NotFoundError) and "TensorSliceReader" in str(e):
                raise errors.NotFoundError(
                    None, None, f"Error when restoring from checkpoint or SavedModel at {prefix}: "
                    f"{e}\nPlease double-check that the path is correct. You may be missing the "
                    "checkpoint suffix (e.g. the '-1' in 'path/to/ckpt-1').") from None
            raise


class _Status:
    """What both restore statuses answer alike (TF 1's session hooks do nothing in eager)."""

    def expect_partial(self):
        """Silences warnings about unmatched values (jaxtape prints none)."""
        return self

    def run_restore_ops(self, session=None):
        return None

    def initialize_or_restore(self, session=None):
        return None


class CheckpointLoadStatus(_Status):
    """What `restore()` matched; the `assert_*` methods check it as TF's do."""

    def __init__(self, restoration: restore.Restoration):
        self._restoration = restoration

    def assert_consumed(self):
        self.assert_existing_objects_matched()
        r = self._restoration
        for i in r.unresolved():
            raise AssertionError(f"Unresolved object in checkpoint {r.names.get(i, i)}: "
                                 f"{r.nodes[i].text()}")
        return self

    def assert_existing_objects_matched(self):
        unmatched = self._restoration.unmatched_live()
        if unmatched:
            shown = ", ".join(repr(o) for o in unmatched[:_MAX_SHOWN])
            raise AssertionError(
                f"Found {len(unmatched)} Python objects that were not bound to checkpointed "
                f"values, likely due to changes in the Python program. Showing "
                f"{min(len(unmatched), _MAX_SHOWN)} of {len(unmatched)} unmatched objects: [{shown}]")
        return self

    def assert_nontrivial_match(self):
        r = self._restoration
        if not any(r.nodes[i].attributes for i in r.matched if r.names.get(i) != "(root).save_counter"):
            raise AssertionError(
                "Nothing except the root object matched a checkpointed value. Typically this "
                "means that the checkpoint does not match the Python program.")
        return self


class InitializationOnlyStatus(_Status):
    """`restore(None)`: nothing to restore; the assertions fail as TF's do."""

    def assert_consumed(self):
        raise AssertionError("No checkpoint specified (save_path=None); nothing is being restored.")

    assert_existing_objects_matched = assert_consumed
    assert_nontrivial_match = assert_consumed
