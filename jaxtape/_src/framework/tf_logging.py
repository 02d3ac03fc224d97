"""`tf.get_logger`: the standard library's "tensorflow" logger, set up as TF sets it.

TF's own warnings go through this logger, and scripts quiet them with
`tf.get_logger().setLevel("ERROR")`, so it is the same `logging` object
(`logging.getLogger("tensorflow")`). As TF, the first call gives it a stderr
handler in TF's format unless a logger is already configured (stdout
and level INFO in an interactive session).
"""
from __future__ import annotations

import logging
import sys
import threading

from jaxtape._src.framework.exports import export

_lock = threading.Lock()
_configured = False


@export("get_logger")
def get_logger():
    """The "tensorflow" `logging.Logger`, configured once."""
    global _configured
    logger = logging.getLogger("tensorflow")
    if _configured:
        return logger
    with _lock:
        if not _configured:
            # (A handler already there, real TF's in the same process, is not doubled.)
            if not logging.getLogger().handlers and not logger.handlers:
                interactive = bool(getattr(sys, "ps1", None)) or bool(sys.flags.interactive)
                if interactive:
                    logger.setLevel(logging.INFO)
                handler = logging.StreamHandler(sys.stdout if interactive else sys.stderr)
                handler.setFormatter(logging.Formatter(logging.BASIC_FORMAT, None))
                logger.addHandler(handler)
            _configured = True
    return logger
