"""`tf.signal`: FFTs, shifts, framing and windows (`fft`); cosine transforms (`dct`)."""
