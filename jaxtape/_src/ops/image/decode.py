"""`tf.io.decode_png` / `decode_jpeg` / `decode_gif` / `decode_bmp` / `decode_image`,
`decode_and_crop_jpeg`, `extract_jpeg_shape` and `is_jpeg`, on the host.

Each op reads the format from the bytes, as TF's do (`decode_png` of a JPEG
decodes it; only BMP needs its own op). Decoders, chosen for TF's numbers:
JPEG through simplejpeg, which exposes libjpeg-turbo's fast integer DCT and
upsampling choices, so every `dct_method` / `fancy_upscaling` gives TF's
pixels; PNG through Pillow, with libpng's transformations (channel changes,
tRNS, 16-to-8 bits, RGB to gray) applied here as TF's PNG reader asks libpng
for them; GIF frames drawn here (`gif.py`) from Pillow's LZW decoding; BMP
here (uncompressed rows, as TF reads them).
"""
from __future__ import annotations

import io
import struct

import numpy as np

from jaxtape._src.framework import dtypes
from jaxtape._src.framework.convert import convert_to_tensor
from jaxtape._src.framework.errors import NotImplementedInJaxtape
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.messages import attr_not_allowed, kernel_dtype_name, op_error
from jaxtape._src.ops.image import gif, png
from jaxtape._src.ops.image.color import convert_image_dtype
from jaxtape._src.ops.strings.host import as_string_tensor

EXTRA = "pip install 'jaxtape[images]'"

_PNG_SUMMARY = ("Op<name=DecodePng; signature=contents:string -> image:dtype; "
                "attr=channels:int,default=0; attr=dtype:type,default=DT_UINT8,"
                "allowed=[DT_UINT8, DT_UINT16]>")


def library(module: str, op: str):
    """Pillow or simplejpeg (the `images` extra), or an ImportError naming it."""
    try:
        if module == "PIL":
            from PIL import Image
            return Image
        import simplejpeg
        return simplejpeg
    except ImportError as e:
        raise ImportError(f"tf.io.{op} needs {'Pillow' if module == 'PIL' else module}: "
                          f"{EXTRA}") from e


def _error(message: str, op: str):
    return op_error(message, op, named=False)


def contents_bytes(contents, op: str) -> bytes:
    value = as_string_tensor(contents)._value
    if value.shape:
        raise _error(f"`contents` must be scalar but got shape[{','.join(map(str, value.shape))}]",
                     op)
    return value.reshape(-1)[0]


def sniff(data: bytes) -> str | None:
    """The format name TF's messages use, from the leading bytes."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == png.SIGNATURE:
        return "PNG"
    if data[:4] == b"GIF8":
        return "GIF"
    if data[:2] == b"BM":
        return "BMP"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[:2] == b"\xff\x0a" or data[4:8] == b"JXL ":
        return "JPEG XL"
    return None


# ---------------------------------------------------------------- channels

_GRAY_WEIGHTS = (9797, 19234, 3737)  # libpng's fixed-point (0.299, 0.587) of TF's call, / 2**15


def _to_gray(color: np.ndarray) -> np.ndarray:
    r, g, b = (color[..., i].astype(np.int64) for i in range(3))
    wr, wg, wb = _GRAY_WEIGHTS
    rounding = 1 << 14 if color.dtype == np.uint16 else 0  # libpng rounds only at 16 bits
    return ((wr * r + wg * g + wb * b + rounding) >> 15)[..., None]


def _arrange(samples: np.ndarray, want: int, filler: int, transparent=None) -> np.ndarray:
    """TF's channel conversion: gray <-> RGB, alpha dropped or added.

    `filler` is the alpha a source without one gets; `transparent` marks the
    pixels a tRNS colour key makes fully transparent."""
    have = samples.shape[-1]
    color, alpha = (samples[..., :-1], samples[..., -1:]) if have in (2, 4) else (samples, None)
    if want in (1, 2) and color.shape[-1] == 3:
        color = _to_gray(color)
    elif want in (3, 4) and color.shape[-1] == 1:
        color = np.repeat(color, 3, axis=-1)
    if want in (1, 3):
        return color.astype(samples.dtype)
    if alpha is None:
        alpha = np.full(color.shape[:-1] + (1,), filler, np.int64)
        if transparent is not None:
            alpha[transparent] = 0
    return np.concatenate([color, alpha], axis=-1).astype(samples.dtype)


def _check_channels(channels: int, op: str) -> int:
    if channels not in (0, 1, 3, 4):
        raise _error(f"`channels` must be 0, 1, 3 or 4 but got {channels}", op)
    return channels


def _depth(image: np.ndarray, dtype, libpng: bool = False) -> np.ndarray:
    """8 <-> 16 bits: libpng keeps the high byte or repeats the byte (x * 257);
    the other formats widen as `convert_image_dtype` does (x * 256)."""
    if dtype == dtypes.uint16 and image.dtype == np.uint8:
        return image.astype(np.uint16) * (257 if libpng else 256)
    if dtype == dtypes.uint8 and image.dtype == np.uint16:
        return (image >> 8).astype(np.uint8)
    return image


# ---------------------------------------------------------------- PNG

def _trns_key(data: bytes, header: png.Header, samples: np.ndarray):
    """The pixels equal to a gray or RGB image's tRNS colour key."""
    payload = next((p for kind, p in png.chunks(data) if kind == b"tRNS"), None)
    if payload is None or header.color_type not in (0, 2):
        return None
    key = np.frombuffer(payload[:2 * samples.shape[-1]], ">u2").astype(np.int64)
    if header.bit_depth < 8:  # compared after libpng scaled the samples to 8 bits
        key = key * (255 // ((1 << header.bit_depth) - 1))
    return np.all(samples == key, axis=-1)


def _png_samples(data: bytes, header: png.Header, op: str) -> np.ndarray:
    """The pixels with the palette expanded, at 8 bits or (16-bit sources) 16."""
    if header.bit_depth == 16 and header.color_type != 0:
        return png.decode_16bit(data, header)  # Pillow keeps only 8 of the 16 bits
    Image = library("PIL", op)
    img = Image.open(io.BytesIO(data))
    if img.mode == "P":
        img = img.convert("RGBA" if header.has_trns else "RGB")
    elif img.mode == "PA":
        img = img.convert("RGBA")
    arr = np.asarray(img)
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    elif header.bit_depth == 16:
        arr = arr.astype(np.uint16)
    return arr if arr.ndim == 3 else arr[..., None]


def _png(data: bytes, channels: int, dtype, op: str) -> np.ndarray:
    try:
        header = png.Header(data)
        samples = _png_samples(data, header, op)
    except (ValueError, OSError, SyntaxError, NotImplementedError, KeyError) as e:
        if isinstance(e, NotImplementedError):
            raise NotImplementedInJaxtape(f"jaxtape does not implement tf.io.{op_name(op)} "
                                          f"of {e}") from None
        raise _error("Invalid PNG. Failed to initialize decoder.", op) from None
    want = channels or samples.shape[-1]
    # libpng adds the alpha before it widens 1-, 2- and 4-bit samples, so the filler
    # TF asks for (0xff) is cut to the source's depth there: 1 for 1-bit images.
    filler = 0xFFFF if samples.dtype == np.uint16 else (1 << min(header.bit_depth, 8)) - 1
    image = _arrange(samples, want, filler, _trns_key(data, header, samples))
    return _depth(image, dtype, libpng=True)


# ---------------------------------------------------------------- JPEG

def _jpeg(data: bytes, channels: int, op: str, ratio=1, fancy_upscaling=True,
          dct_method="") -> np.ndarray:
    if channels == 4:
        raise _error("JPEG does not support 4 channels", op)
    simplejpeg = library("simplejpeg", op)
    try:
        height, width, space, _ = simplejpeg.decode_jpeg_header(data)
        if space == "CMYK":
            raise NotImplementedInJaxtape(f"jaxtape does not implement tf.io.{op_name(op)} "
                                          "of CMYK JPEG images")
        gray = channels == 1 or (channels == 0 and space == "Gray")
        return simplejpeg.decode_jpeg(
            data, colorspace="GRAY" if gray else "RGB",
            fastdct=dct_method != "INTEGER_ACCURATE", fastupsample=not fancy_upscaling,
            min_height=-(-height // ratio), min_width=-(-width // ratio), min_factor=ratio)
    except ValueError:
        raise _error("jpeg::Uncompress failed. Invalid JPEG data or crop window.", op) from None


# ---------------------------------------------------------------- GIF and BMP

def _gif(data: bytes, channels: int, op: str) -> np.ndarray:
    """All frames, [frames, height, width, 3] (see `gif.frames`)."""
    if channels not in (0, 3):
        raise _error(f"channels must be 0 or 3 for GIF, got {channels}", op)
    Image = library("PIL", op)
    try:
        return gif.frames(data, Image)
    except ValueError as e:
        if str(e).startswith("Found color index"):
            raise _error(str(e), op) from None
        raise _error("Failed to decode gif: truncated or invalid GIF data", op) from None
    except (IndexError, struct.error, OSError, SyntaxError, EOFError):
        raise _error("Failed to decode gif: truncated or invalid GIF data", op) from None


def _bmp(data: bytes, channels: int, op: str) -> np.ndarray:
    if channels not in (0, 3, 4):
        raise _error(f"`channels` must be 0, 3 or 4 for BMP, but got {channels}", op)
    if len(data) < 54:
        raise _error("Incomplete bmp content, requires at least 54 bytes to find the header "
                     f"size, width, height, and bpp, got {len(data)} bytes", op)
    offset = int.from_bytes(data[10:14], "little")
    width = int.from_bytes(data[18:22], "little", signed=True)
    height = int.from_bytes(data[22:26], "little", signed=True)
    bpp = int.from_bytes(data[28:30], "little")
    if bpp not in (8, 24, 32):
        raise _error(f"Number of channels inherent in the image must be 1, 3 or 4, was {bpp // 8}",
                     op)
    depth = bpp // 8
    stride = (width * depth + 3) // 4 * 4
    rows = np.frombuffer(data, np.uint8, count=stride * abs(height), offset=offset)
    pixels = rows.reshape(abs(height), stride)[:, :width * depth].reshape(abs(height), width, depth)
    if height > 0:  # bottom-up rows, the usual layout
        pixels = pixels[::-1]
    if depth >= 3:
        pixels = np.concatenate([pixels[..., 2::-1], pixels[..., 3:]], axis=-1)  # BGR(A) -> RGB(A)
    return _arrange(pixels, channels or depth, 255)


def _webp_alpha(data: bytes):
    """Whether the first chunk says the image has alpha; None if it cannot be read."""
    kind, payload = data[12:16], data[20:]
    if kind == b"VP8X" and payload:
        return bool(payload[0] & 0x10)
    if kind == b"VP8L" and len(payload) >= 5:
        return bool(payload[4] & 0x10)  # the bit after 1 + 14 + 14 bits of signature and size
    if kind == b"VP8 ":
        return False
    return None


def _webp(data: bytes, channels: int, dtype, op: str) -> np.ndarray:
    """Every frame, [frames, height, width, 3 or 4] (libwebp through Pillow decodes
    TF's pixels)."""
    if dtype != dtypes.uint8:
        raise _error("WebP only supports uint8 for dtype", op)
    if channels == 1:
        raise _error("WebP only supports 3 or 4 channels", op)
    alpha = _webp_alpha(data)
    if alpha is None:
        raise _error("Failed to decode WebP image.", op)
    mode = "RGBA" if alpha else "RGB"
    if channels and channels != len(mode):  # TF checks this from the header alone
        raise _error("Number of channels requested does not match input", op)
    Image = library("PIL", op)
    try:
        img = Image.open(io.BytesIO(data))
        frames = []
        for k in range(getattr(img, "n_frames", 1)):
            img.seek(k)
            frames.append(np.asarray(img.convert(mode)))
    except (OSError, ValueError, SyntaxError, EOFError):
        raise _error("Failed to decode WebP image.", op) from None
    return np.stack(frames)


# ---------------------------------------------------------------- the ops

def op_name(op: str) -> str:
    return {"DecodePng": "decode_png", "DecodeJpeg": "decode_jpeg", "DecodeGif": "decode_gif",
            "DecodeBmp": "decode_bmp", "DecodeImage": "decode_image",
            "DecodeAndCropJpeg": "decode_and_crop_jpeg", "DecodeWebP": "decode_webp"}[op]


def _read(contents, op: str) -> tuple[bytes, str]:
    """The bytes and their format, or TF's error for empty or unknown data."""
    data = contents_bytes(contents, op)
    if not data:
        raise _error("Input is empty.", op)
    kind = sniff(data)
    if kind is None:
        raise _error("Unknown image file format. One of JPEG, JPEG XL, PNG, GIF, BMP, WebP "
                     "required.", op)
    return data, kind


def _decode(contents, op: str, channels=0, dtype=dtypes.uint8, frames="one", **jpeg):
    """Any format through one op, as TF's. `frames`: "one" (an animated GIF is an
    error), "first" (its first frame), "gif" (GIF frames, other formats 3-D) or
    "all" (always [frames, height, width, 3], as `decode_gif`)."""
    data, kind = _read(contents, op)
    if kind == "BMP" and op != "DecodeImage":
        raise _error("Trying to decode BMP format using a wrong op. Use `decode_bmp` or "
                     f"`decode_image` instead. Op used: {op}", op)
    if kind == "JPEG XL":
        raise NotImplementedInJaxtape(f"jaxtape does not implement tf.io.{op_name(op)} of "
                                      "JPEG XL images")
    if kind == "WebP":  # always all frames, [frames, height, width, channels], as TF's
        image = _webp(data, channels, dtype, op)
        return convert_to_tensor(np.ascontiguousarray(image[0] if frames == "first" else image))
    if frames == "all":
        channels = 3
    if kind == "PNG":
        image = _png(data, channels, dtype, op)
    elif kind == "JPEG":
        image = _depth(_jpeg(data, channels, op, **jpeg), dtype)
    elif kind == "GIF":
        if op == "DecodeWebP":
            raise _error(f"Bad op type {op}", op)
        image = _depth(_gif(data, channels, op), dtype)
        if frames == "one" and len(image) > 1:
            raise _error(f"Got {len(image)} frames, but animated gifs can only be decoded by "
                         "tf.io.decode_gif or tf.io.decode_image", op)
        if frames in ("one", "first"):
            image = image[0]
    else:
        image = _depth(_bmp(data, channels, op), dtype)
    if frames == "all" and image.ndim == 3:
        image = image[None]
    return convert_to_tensor(np.ascontiguousarray(image))


def _png_dtype(dtype, op: str):
    dtype = dtypes.as_dtype(dtype)
    if dtype not in (dtypes.uint8, dtypes.uint16):
        summary = _PNG_SUMMARY.replace("DecodePng", op)
        raise attr_not_allowed(op, "dtype", kernel_dtype_name(dtype), "uint8, uint16", summary,
                               named=False)
    return dtype


@export("io.decode_png", "image.decode_png")
def decode_png(contents, channels=0, dtype=dtypes.uint8, name=None):
    dtype = _png_dtype(dtype, "DecodePng")
    return _decode(contents, "DecodePng", _check_channels(int(channels), "DecodePng"), dtype)


def _jpeg_args(op, ratio, fancy_upscaling, try_recover_truncated, acceptable_fraction,
               dct_method):
    if try_recover_truncated or acceptable_fraction != 1:
        raise NotImplementedInJaxtape(f"jaxtape does not implement tf.io.{op_name(op)}"
                                      "(try_recover_truncated=..., acceptable_fraction=...)")
    if int(ratio) not in (1, 2, 4, 8):
        raise _error(f"ratio must be 1, 2, 4, or 8, got {int(ratio)}", op)
    return {"ratio": int(ratio), "fancy_upscaling": bool(fancy_upscaling),
            "dct_method": str(dct_method)}


@export("io.decode_jpeg", "image.decode_jpeg")
def decode_jpeg(contents, channels=0, ratio=1, fancy_upscaling=True, try_recover_truncated=False,
                acceptable_fraction=1, dct_method="", name=None):
    op = "DecodeJpeg"
    jpeg = _jpeg_args(op, ratio, fancy_upscaling, try_recover_truncated, acceptable_fraction,
                      dct_method)
    return _decode(contents, op, _check_channels(int(channels), op), **jpeg)


@export("io.decode_and_crop_jpeg", "image.decode_and_crop_jpeg")
def decode_and_crop_jpeg(contents, crop_window, channels=0, ratio=1, fancy_upscaling=True,
                         try_recover_truncated=False, acceptable_fraction=1, dct_method="",
                         name=None):
    op = "DecodeAndCropJpeg"
    jpeg = _jpeg_args(op, ratio, fancy_upscaling, try_recover_truncated, acceptable_fraction,
                      dct_method)
    y, x, h, w = (int(v) for v in np.asarray(convert_to_tensor(crop_window)).reshape(-1))
    image = _decode(contents, op, _check_channels(int(channels), op), **jpeg).numpy()
    if y < 0 or x < 0 or h <= 0 or w <= 0 or y + h > image.shape[0] or x + w > image.shape[1]:
        raise _error("jpeg::Uncompress failed. Invalid JPEG data or crop window.", op)
    return convert_to_tensor(np.ascontiguousarray(image[y:y + h, x:x + w]))


@export("io.decode_gif", "image.decode_gif")
def decode_gif(contents, name=None):
    return _decode(contents, "DecodeGif", frames="all")


@export("io.decode_bmp", "image.decode_bmp")
def decode_bmp(contents, channels=0, name=None):
    op = "DecodeBmp"
    data, kind = _read(contents, op)
    if kind == "WebP":  # TF's BMP op decodes WebP
        return _decode(contents, op, int(channels), frames="gif")
    if kind == "PNG":
        _png(data, 0, dtypes.uint8, op)  # TF reads a PNG before it names the right op
    if kind != "BMP":
        short = "jpeg" if kind == "JPEG" else kind.lower().replace(" ", "")
        raise _error(f"Trying to decode {kind} format using DecodeBmp op. Use `decode_{short}` "
                     "or `decode_image` instead.", op)
    return convert_to_tensor(np.ascontiguousarray(_bmp(data, int(channels), op)))


@export("io.decode_image", "image.decode_image")
def decode_image(contents, channels=None, dtype=dtypes.uint8, name=None, expand_animations=True):
    """Any format; a float `dtype` is `convert_image_dtype` of the uint8 (uint16) pixels."""
    op = "DecodeImage"
    dtype = dtypes.as_dtype(dtype)
    channels = _check_channels(int(channels or 0), op)
    raw = dtypes.uint16 if dtype == dtypes.uint16 else dtypes.uint8
    if sniff(contents_bytes(contents, op)) == "WebP":
        raw = dtype  # TF's WebP reader is asked for `dtype` itself, and takes only uint8
    image = _decode(contents, op, channels, raw, "gif" if expand_animations else "first")
    return image if dtype == raw else convert_image_dtype(image, dtype)


@export("io.decode_webp", "image.decode_webp")
def decode_webp(contents, channels=0, name=None):
    """WebP frames as [frames, height, width, channels]; other formats as `decode_image`."""
    op = "DecodeWebP"
    return _decode(contents, op, _check_channels(int(channels), op), frames="gif")


@export("io.extract_jpeg_shape", "image.extract_jpeg_shape")
def extract_jpeg_shape(contents, output_type=dtypes.int32, name=None):
    op = "ExtractJpegShape"
    data = contents_bytes(contents, op)
    simplejpeg = library("simplejpeg", "extract_jpeg_shape")
    try:
        if sniff(data) != "JPEG":
            raise ValueError
        height, width, space, _ = simplejpeg.decode_jpeg_header(data)
    except ValueError:
        raise _error(f"Invalid JPEG data, size {len(data)}", op) from None
    depth = {"Gray": 1, "CMYK": 4}.get(space, 3)
    return convert_to_tensor(np.array([height, width, depth],
                                      dtypes.as_dtype(output_type).as_numpy_dtype))


@export("io.is_jpeg", "image.is_jpeg")
def is_jpeg(contents, name=None):
    values = as_string_tensor(contents)._value
    flags = np.vectorize(lambda b: b[:3] == b"\xff\xd8\xff", otypes=[bool])(values)
    return convert_to_tensor(np.asarray(flags, bool).reshape(values.shape))

