"""`tf.train.CheckpointManager`: numbered checkpoints in one directory, oldest deleted."""
from __future__ import annotations

import os
import time

from jaxtape._src.framework.exports import export
from jaxtape._src.train import bundle, state_file


def _delete(prefix: str) -> None:
    # The index first: without it the checkpoint no longer exists for any reader.
    for path in (bundle.index_file(prefix), bundle.data_file(prefix)):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


@export("train.CheckpointManager")
class CheckpointManager:
    def __init__(self, checkpoint, directory, max_to_keep, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None,
                 init_fn=None):
        if max_to_keep is not None and (not isinstance(max_to_keep, int) or max_to_keep <= 0):
            raise ValueError(f"Expected a positive integer or `None` for `max_to_keep`, got "
                             f"{max_to_keep}.")
        if checkpoint_interval is not None and step_counter is None:
            raise ValueError("`step_counter` should be passed if `checkpoint_interval` is not None.")
        self._checkpoint = checkpoint
        self._directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._keep_every_s = (None if keep_checkpoint_every_n_hours is None
                              else keep_checkpoint_every_n_hours * 3600)
        self._prefix = os.path.join(self._directory, checkpoint_name)
        self._step_counter = step_counter
        self._interval = checkpoint_interval
        self._last_step = None
        self._init_fn = init_fn
        state = state_file.read(self._directory)
        now = time.time()
        if state is None:
            self._maybe = []  # (prefix, timestamp), oldest first
            self._last_preserved = now
            self._latest = None
        else:
            stamps = state.all_model_checkpoint_timestamps
            if len(stamps) != len(state.all_model_checkpoint_paths):
                stamps = [now] * len(state.all_model_checkpoint_paths)
            self._maybe = list(zip(state.all_model_checkpoint_paths, stamps))
            self._last_preserved = state.last_preserved_timestamp or now
            self._latest = state.model_checkpoint_path

    @property
    def directory(self) -> str:
        return self._directory

    @property
    def checkpoint(self):
        return self._checkpoint

    @property
    def checkpoint_interval(self):
        return self._interval

    @property
    def latest_checkpoint(self):
        return self._latest

    @property
    def checkpoints(self) -> list:
        """The checkpoints still kept, oldest first."""
        return [p for p, _ in self._maybe]

    def restore_or_initialize(self):
        if self._latest is not None:
            self._checkpoint.restore(self._latest)
            return self._latest
        if self._init_fn is not None:
            self._init_fn()
        return None

    def save(self, checkpoint_number=None, check_interval=True, options=None):
        """Saves `checkpoint` as `<directory>/<name>-<n>` and prunes old ones; None if
        `checkpoint_interval` steps have not passed yet."""
        if self._interval is not None and check_interval:
            step = int(self._step_counter.numpy())
            if self._last_step is not None and step < self._last_step + self._interval:
                return None
            self._last_step = step
        counter = self._checkpoint.save_counter
        counter.assign_add(1)
        number = int(counter.numpy()) if checkpoint_number is None else int(checkpoint_number)
        prefix = f"{self._prefix}-{number}"
        try:
            self._checkpoint.write(prefix, options)
        except BaseException:
            counter.assign_sub(1)
            raise
        now = time.time()
        self._maybe = [(p, t) for p, t in self._maybe if p != prefix] + [(prefix, now)]
        self._latest = prefix
        self._sweep()
        # The state file last, in one rename: until then the previous checkpoint is the latest.
        state_file.write(self._directory, prefix, self.checkpoints,
                         [t for _, t in self._maybe], self._last_preserved)
        return prefix

    def _sweep(self) -> None:
        if self._max_to_keep is None:
            return
        while len(self._maybe) > self._max_to_keep:
            prefix, stamp = self._maybe.pop(0)
            if (self._keep_every_s is not None
                    and stamp - self._keep_every_s > self._last_preserved):
                self._last_preserved = stamp  # kept on disk, no longer managed
                continue
            _delete(prefix)
