"""`tf.signal`: FFTs, shifts, framing and windows (`fft`); cosine transforms (`dct`);
short-time Fourier transforms (`spectral`); mel filter banks and MFCCs (`mel`)."""
