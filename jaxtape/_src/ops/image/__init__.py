"""`tf.image`: resizing, flips and crops (`geometry`); dtype conversion and colour (`color`);
adjustments and random augmentation (`adjust`); quality metrics and gradients (`metrics`);
boxes, patches and non-max suppression (`boxes`); file formats (`decode`, `encode`, `png`, `gif`)."""
