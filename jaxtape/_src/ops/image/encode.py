"""`tf.io.encode_png` / `encode_jpeg` and `tf.image.adjust_jpeg_quality`, on the host.

PNG is written here (`png.encode`: Pillow cannot write 16-bit colour); JPEG
by Pillow, whose libjpeg encoder uses the standard quantisation tables that
TF's does, so TF decodes what jaxtape wrote to the pixels of its own file.
"""
from __future__ import annotations

import io

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import attr_not_allowed, kernel_dtype_name, op_error
from jaxtape._src.framework.strings import string_tensor
from jaxtape._src.framework.tensor import Tensor
from jaxtape._src.ops.image import png
from jaxtape._src.ops.image.color import convert_image_dtype
from jaxtape._src.ops.image.decode import decode_jpeg, library

_PNG_SUMMARY = ("Op<name=EncodePng; signature=image:T -> contents:string; "
                "attr=compression:int,default=-1; attr=T:type,default=DT_UINT8,"
                "allowed=[DT_UINT8, DT_UINT16]>")
_JPEG_SUMMARY = ("Op<name=EncodeJpeg; signature=image:uint8 -> contents:string; "
                 "attr=format:string,default=\"\",allowed=[\"\", \"grayscale\", \"rgb\"]; "
                 "attr=quality:int,default=95; attr=progressive:bool,default=false; "
                 "attr=optimize_size:bool,default=false; "
                 "attr=chroma_downsampling:bool,default=true; "
                 "attr=density_unit:string,default=\"in\",allowed=[\"in\", \"cm\"]; "
                 "attr=x_density:int,default=300; attr=y_density:int,default=300; "
                 "attr=xmp_metadata:string,default=\"\">")


def _dims(shape) -> str:
    return "[" + ",".join(map(str, shape)) + "]"


@export("io.encode_png", "image.encode_png")
def encode_png(image, compression=-1, name=None):
    op = "EncodePng"
    image = convert_to_tensor(image)
    if image.dtype not in (dtypes.uint8, dtypes.uint16):
        raise attr_not_allowed(op, "T", kernel_dtype_name(image.dtype), "uint8, uint16", _PNG_SUMMARY)
    pixels = np.asarray(image.numpy())
    if pixels.ndim != 3:
        raise op_error(f"images must be at least rank 3{_dims(pixels.shape)}", op)
    if pixels.shape[-1] not in (1, 2, 3, 4):
        raise op_error(f"image must have 1, 2, 3, or 4 channels, got {pixels.shape[-1]}", op)
    compression = int(compression)
    if not -1 <= compression <= 9:
        raise op_error(f"compression should be in [-1,9], got {compression}", op)
    return string_tensor(png.encode(pixels, compression))


@export("io.encode_jpeg", "image.encode_jpeg")
def encode_jpeg(image, format="", quality=95, progressive=False, optimize_size=False,
                chroma_downsampling=True, density_unit="in", x_density=300, y_density=300,
                xmp_metadata="", name=None):
    op = "EncodeJpeg"
    # The op takes uint8 only, so TF converts anything not yet a tensor to uint8.
    image = image if isinstance(image, Tensor) else convert_to_tensor(image, dtypes.uint8)
    if image.dtype != dtypes.uint8:
        raise op_error(f"cannot compute {op} as input #0(zero-based) was expected to be a uint8 "
                       f"tensor but is a {kernel_dtype_name(image.dtype)} tensor", op)
    if format not in ("", "grayscale", "rgb"):
        raise attr_not_allowed(op, "format", f'"{format}"', '"", "grayscale", "rgb"',
                               _JPEG_SUMMARY)
    pixels = np.asarray(image.numpy())
    if pixels.ndim != 3 or pixels.shape[-1] not in (1, 3):
        raise op_error(f"image must have 1 or 3 channels, got {_dims(pixels.shape)}", op)
    channels = {"grayscale": 1, "rgb": 3}.get(format, pixels.shape[-1])
    if channels != pixels.shape[-1]:
        raise op_error(f"Image must have {channels} channels, got {_dims(pixels.shape)}", op)
    Image = library("PIL", "encode_jpeg")
    picture = Image.fromarray(pixels[..., 0] if channels == 1 else pixels)
    out = io.BytesIO()
    dpi = (int(x_density), int(y_density))
    if density_unit == "cm":  # Pillow takes dots per inch
        dpi = tuple(d * 2.54 for d in dpi)
    options = {"quality": int(quality), "progressive": bool(progressive),
               "optimize": bool(optimize_size), "dpi": dpi,
               "subsampling": 2 if chroma_downsampling else 0}
    if xmp_metadata:
        options["xmp"] = xmp_metadata.encode() if isinstance(xmp_metadata, str) else xmp_metadata
    picture.save(out, "JPEG", **options)
    return string_tensor(out.getvalue())


@export("image.adjust_jpeg_quality")
def adjust_jpeg_quality(image, jpeg_quality, dct_method="", name=None):
    """The image after a JPEG round trip at `jpeg_quality`, in its own dtype."""
    image = convert_to_tensor(image)
    quality = int(np.asarray(convert_to_tensor(jpeg_quality)))
    pixels = convert_image_dtype(image, dtypes.uint8, saturate=True)
    decoded = decode_jpeg(encode_jpeg(pixels, quality=quality), dct_method=dct_method)
    return convert_image_dtype(decoded, image.dtype)
