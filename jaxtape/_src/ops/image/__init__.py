"""`tf.image`: resizing, flips and crops (`geometry`); dtype conversion and colour (`color`)."""
