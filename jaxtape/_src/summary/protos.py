"""`Summary` protos for each kind of summary, built from NumPy values as TF 2 writes them.

scalar: float32 scalar, plugin "scalars"; histogram: float64 [buckets, 3]
(left edge, right edge, count) with TF's bucketing, plugin "histograms";
image: string [width, height, png...], plugin "images"; text: strings,
plugin "text".
"""
from __future__ import annotations

import io

import numpy as np

from jaxtape._src.summary.tensorboard_lib import load


def _summary(tag, tensor_proto, plugin_metadata):
    summary_pb2 = load("compat.proto.summary_pb2")
    summary = summary_pb2.Summary()
    summary.value.add(tag=tag, tensor=tensor_proto, metadata=plugin_metadata)
    return summary


def _tensor(array, dtype=None):
    return load("util.tensor_util").make_tensor_proto(array, dtype=dtype)


def _metadata(plugin: str, description=None):
    return load(f"plugins.{plugin}.metadata").create_summary_metadata(
        display_name=None, description=description)


def tensor_summary(tag, array, metadata=None):
    """A summary of a raw tensor (`tf.summary.write`)."""
    summary_pb2 = load("compat.proto.summary_pb2")
    if metadata is not None and not isinstance(metadata, summary_pb2.SummaryMetadata):
        metadata = summary_pb2.SummaryMetadata.FromString(metadata)
    return _summary(tag, _tensor(np.asarray(array)), metadata or summary_pb2.SummaryMetadata())


def scalar(tag, value, description=None):
    return _summary(tag, _tensor(np.asarray(value, np.float32)), _metadata("scalar", description))


def histogram_buckets(data, buckets: int) -> np.ndarray:
    """TF's [buckets, 3] table: equal-width buckets over [min, max], the last one closed.

    All-equal data puts every count in the last bucket with both edges at the
    value; empty data gives zeros.
    """
    data = np.asarray(data, np.float64).reshape(-1)
    if buckets <= 0:
        return np.zeros((0, 3))
    if data.size == 0:
        return np.zeros((buckets, 3))
    low, high = data.min(), data.max()
    if low == high:
        counts = np.zeros(buckets)
        counts[-1] = data.size
        edges = np.full(buckets, high)
        return np.stack([edges, edges, counts], axis=1)
    width = (high - low) / buckets
    index = np.minimum(np.floor((data - low) / width).astype(np.int64), buckets - 1)
    counts = np.bincount(index, minlength=buckets).astype(np.float64)
    edges = np.linspace(low, high, buckets + 1)
    edges[-1] = high
    return np.stack([edges[:-1], edges[1:], counts], axis=1)


def histogram(tag, data, buckets=None, description=None):
    table = histogram_buckets(data, 30 if buckets is None else int(buckets))
    return _summary(tag, _tensor(table, np.float64), _metadata("histogram", description))


def _png(image: np.ndarray) -> bytes:
    """One [height, width, channels] uint8 image as PNG bytes (Pillow comes with TensorBoard)."""
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError("tf.summary.image needs Pillow: pip install 'jaxtape[summary]'") from e
    buffer = io.BytesIO()
    Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(buffer, format="PNG")
    return buffer.getvalue()


def to_uint8(images: np.ndarray) -> np.ndarray:
    """TF's `convert_image_dtype(..., uint8, saturate=True)`: floats in [0, 1] scaled by 255.5 and truncated."""
    if images.dtype == np.uint8:
        return images
    if images.dtype.kind == "f":
        return np.clip(images.astype(np.float64) * 255.5, 0, 255).astype(np.uint8)
    info = np.iinfo(images.dtype)
    return (np.clip(images, 0, info.max).astype(np.int64) * 255 // info.max).astype(np.uint8)


def image(tag, images, max_outputs=3, description=None):
    images = to_uint8(np.asarray(images))[:max_outputs]
    height, width = images.shape[1], images.shape[2]
    encoded = [str(width).encode(), str(height).encode()] + [_png(im) for im in images]
    return _summary(tag, _tensor(np.array(encoded, dtype=object)), _metadata("image", description))


def text(tag, data, description=None):
    array = np.asarray(data, dtype=object)
    array = np.vectorize(lambda s: s.encode() if isinstance(s, str) else s, otypes=[object])(array) \
        if array.ndim else np.array(array.item().encode() if isinstance(array.item(), str)
                                    else array.item(), dtype=object)
    return _summary(tag, _tensor(array), _metadata("text", description))
