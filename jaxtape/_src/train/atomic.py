"""Writing a file so that a reader sees the old version or the new one, never half of either."""
from __future__ import annotations

import os
import tempfile


def write_atomically(path: str, chunks, temp_suffix: str = ".tmp") -> None:
    """Writes `chunks` (bytes) to a temporary file beside `path`, syncs it, then renames it
    over `path`; on any failure the temporary file is removed and `path` is untouched."""
    directory = os.path.dirname(path) or "."
    fd, temp = tempfile.mkstemp(prefix=os.path.basename(path) + temp_suffix, dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.remove(temp)
        except OSError:
            pass
        raise
