"""`tf.string` support: structural ops by index (`host.py`), `tf.strings.*` (`text.py`)."""
