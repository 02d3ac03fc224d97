"""The `checkpoint` state file: a `CheckpointState` proto in protobuf text format.

    model_checkpoint_path: "ckpt-2"
    all_model_checkpoint_paths: "ckpt-1"
    all_model_checkpoint_paths: "ckpt-2"
    all_model_checkpoint_timestamps: 1796130268.4547386
    last_preserved_timestamp: 1796130267.2757428

Paths inside the directory are written relative to it, as TF writes them;
the file is replaced atomically so a reader never sees half of it.
"""
from __future__ import annotations

import ast
import os

from jaxtape._src.train.atomic import write_atomically

STATE_FILENAME = "checkpoint"


class CheckpointState:
    """What `tf.train.get_checkpoint_state` returns (the proto's fields)."""

    def __init__(self, model_checkpoint_path="", all_model_checkpoint_paths=(),
                 all_model_checkpoint_timestamps=(), last_preserved_timestamp=None):
        self.model_checkpoint_path = model_checkpoint_path
        self.all_model_checkpoint_paths = list(all_model_checkpoint_paths)
        self.all_model_checkpoint_timestamps = list(all_model_checkpoint_timestamps)
        self.last_preserved_timestamp = last_preserved_timestamp

    def text(self) -> str:
        lines = []
        if self.model_checkpoint_path:
            lines.append(f"model_checkpoint_path: {_quote(self.model_checkpoint_path)}")
        lines += [f"all_model_checkpoint_paths: {_quote(p)}" for p in self.all_model_checkpoint_paths]
        lines += [f"all_model_checkpoint_timestamps: {t!r}" for t in self.all_model_checkpoint_timestamps]
        if self.last_preserved_timestamp:
            lines.append(f"last_preserved_timestamp: {self.last_preserved_timestamp!r}")
        return "".join(line + "\n" for line in lines)

    __str__ = text

    def __repr__(self):
        return self.text()


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return ast.literal_eval(text)
    return text


def parse(text: str, path: str = STATE_FILENAME) -> CheckpointState:
    state = CheckpointState()
    for line in text.splitlines():
        if not line.strip():
            continue
        field, sep, value = line.partition(":")
        field = field.strip()
        if not sep:
            raise ValueError(f"{path}: cannot parse the checkpoint state line {line!r}")
        if field == "model_checkpoint_path":
            state.model_checkpoint_path = _unquote(value)
        elif field == "all_model_checkpoint_paths":
            state.all_model_checkpoint_paths.append(_unquote(value))
        elif field == "all_model_checkpoint_timestamps":
            state.all_model_checkpoint_timestamps.append(float(value))
        elif field == "last_preserved_timestamp":
            state.last_preserved_timestamp = float(value)
    return state


def _absolute(directory: str, path: str) -> str:
    return path if os.path.isabs(path) else os.path.join(directory, path)


def _relative(directory: str, path: str) -> str:
    """`path` relative to `directory` when it lies directly inside it, as TF writes."""
    if os.path.dirname(os.path.abspath(path)) == os.path.abspath(directory):
        return os.path.basename(path)
    return path


def read(directory: str, filename: str | None = None) -> CheckpointState | None:
    """The state in `directory` with absolute paths, or None if there is no state file."""
    path = os.path.join(directory, filename or STATE_FILENAME)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    state = parse(text, path)
    if not state.model_checkpoint_path:
        return None
    state.model_checkpoint_path = _absolute(directory, state.model_checkpoint_path)
    state.all_model_checkpoint_paths = [_absolute(directory, p)
                                        for p in state.all_model_checkpoint_paths]
    return state


def write(directory: str, latest: str, all_paths, timestamps=(), last_preserved=None,
          filename: str | None = None) -> None:
    """Replaces the state file in `directory` atomically (temporary file, then rename)."""
    state = CheckpointState(_relative(directory, latest),
                            [_relative(directory, p) for p in all_paths],
                            timestamps, last_preserved)
    os.makedirs(directory, exist_ok=True)
    write_atomically(os.path.join(directory, filename or STATE_FILENAME),
                     [state.text().encode("utf-8")])
