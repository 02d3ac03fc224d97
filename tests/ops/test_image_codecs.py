"""tf.io / tf.image decoders and encoders against real TensorFlow: the same
bytes decode to the same pixels, dtypes and shapes, and fail with TF's errors."""
from __future__ import annotations

import io

import numpy as np
import pytest

from tests.difftest import real_tf, same_outcome

Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (pip install -e '.[test]')")
pytest.importorskip("simplejpeg", reason="simplejpeg is not installed (pip install -e '.[test]')")

RNG = np.random.default_rng(7)
RGB = (RNG.random((13, 21, 3)) * 255).astype(np.uint8)
RGB[:4] = np.linspace(0, 255, 21)[None, :, None].astype(np.uint8)  # smooth rows beside noise


def saved(picture, fmt="PNG", **options) -> bytes:
    out = io.BytesIO()
    picture.save(out, fmt, **options)
    return out.getvalue()


def _pngs():
    gray, rgba = RGB[..., 0], np.dstack([RGB, RGB[..., 1]])
    la = Image.fromarray(np.dstack([gray, RGB[..., 2]]), "LA")
    return {
        "L": saved(Image.fromarray(gray)),
        "LA": saved(la),
        "RGB": saved(Image.fromarray(RGB)),
        "RGBA": saved(Image.fromarray(rgba)),
        "1bit": saved(Image.fromarray(gray > 128)),
        "P2bit": saved(Image.fromarray(RGB).quantize(4)),
        "P8bit": saved(Image.fromarray(RGB).quantize(200)),
        "P+tRNS": saved(Image.fromarray(RGB).quantize(4), transparency=1),
        "L+tRNS": saved(Image.fromarray(gray), transparency=int(gray[5, 5])),
        "RGB+tRNS": saved(Image.fromarray(RGB), transparency=tuple(int(v) for v in RGB[5, 5])),
        "L16": saved(Image.fromarray((RNG.random((9, 11)) * 65535).astype(np.uint16))),
    }


PNGS = _pngs()


def _tf_png16(channels):
    """16-bit colour PNGs written by TF's libpng (adaptive row filters), which Pillow
    cannot read at 16 bits: jaxtape's own decoder runs on them."""
    tf = real_tf()
    pixels = (RNG.random((17, 19, channels)) * 65535).astype(np.uint16)
    pixels[:5] = np.linspace(0, 65535, 19)[None, :, None].astype(np.uint16)
    return tf.io.encode_png(pixels).numpy()


@pytest.mark.parametrize("kind", sorted(PNGS))
@pytest.mark.parametrize("channels", [0, 1, 3, 4])
@pytest.mark.parametrize("dtype", ["uint8", "uint16"])
def test_decode_png_matches_tf(kind, channels, dtype):
    data = PNGS[kind]
    same_outcome(lambda tf: tf.io.decode_png(data, channels=channels, dtype=getattr(tf, dtype)))


@pytest.mark.parametrize("samples", [2, 3, 4])
@pytest.mark.parametrize("channels", [0, 1, 3, 4])
@pytest.mark.parametrize("dtype", ["uint8", "uint16"])
def test_sixteen_bit_colour_png_matches_tf(samples, channels, dtype):
    data = _tf_png16(samples)
    same_outcome(lambda tf: tf.io.decode_png(data, channels=channels, dtype=getattr(tf, dtype)))


def _jpegs():
    rgb = Image.fromarray(RGB)
    return {"444": saved(rgb, "JPEG", quality=90, subsampling=0),
            "422": saved(rgb, "JPEG", quality=80, subsampling=1),
            "420": saved(rgb, "JPEG", quality=75, subsampling=2),
            "gray": saved(Image.fromarray(RGB[..., 1]), "JPEG", quality=85),
            "big420": saved(Image.fromarray(np.tile(RGB, (5, 4, 1))), "JPEG", subsampling=2)}


JPEGS = _jpegs()


@pytest.mark.parametrize("kind", sorted(JPEGS))
@pytest.mark.parametrize("channels", [0, 1, 3])
@pytest.mark.parametrize("dct_method", ["", "INTEGER_FAST", "INTEGER_ACCURATE"])
@pytest.mark.parametrize("fancy", [True, False])
def test_decode_jpeg_matches_tf(kind, channels, dct_method, fancy):
    data = JPEGS[kind]
    same_outcome(lambda tf: tf.io.decode_jpeg(data, channels=channels, dct_method=dct_method,
                                              fancy_upscaling=fancy))


@pytest.mark.parametrize("ratio", [2, 4, 8, 3])
def test_decode_jpeg_ratio_matches_tf(ratio):
    data = JPEGS["big420"]
    same_outcome(lambda tf: tf.io.decode_jpeg(data, ratio=ratio))


@pytest.mark.parametrize("window", [[0, 0, 13, 21], [2, 3, 7, 11], [5, 8, 8, 13], [4, 4, 20, 2],
                                    [-1, 0, 3, 3], [0, 0, 0, 4]])
def test_decode_and_crop_jpeg_matches_tf(window):
    data = JPEGS["444"]
    same_outcome(lambda tf: tf.io.decode_and_crop_jpeg(data, window))


@pytest.mark.parametrize("window", [[2, 3, 7, 11], [16, 16, 16, 16], [17, 0, 10, 84], [1, 1, 62, 83]])
def test_a_crop_of_a_subsampled_jpeg_differs_from_tf_only_at_its_side_columns(window):
    """TF decodes only the crop's columns (from an iMCU boundary), so chroma upsampling
    treats the crop's sides as image edges; jaxtape crops the full decode (README)."""
    import jaxtape

    tf = real_tf()
    data = JPEGS["big420"]
    want = tf.io.decode_and_crop_jpeg(data, window).numpy().astype(int)
    got = jaxtape.io.decode_and_crop_jpeg(data, window).numpy().astype(int)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got[:, 1:-1], want[:, 1:-1])
    np.testing.assert_array_equal(tf.io.decode_jpeg(data).numpy()[window[0]:][:window[2],
                                  window[1]:][:, :window[3]], got)


def _gif_frames():
    first = Image.fromarray(RGB).quantize(16)
    second = Image.fromarray(255 - RGB).quantize(16)
    out = io.BytesIO()
    first.save(out, "GIF", save_all=True, append_images=[second], duration=40)
    return out.getvalue()


GIFS = {"one": saved(Image.fromarray(RGB).quantize(32), "GIF"), "two": _gif_frames()}

BMPS = {"rgb": saved(Image.fromarray(RGB), "BMP"),
        "rgba": saved(Image.fromarray(np.dstack([RGB, RGB[..., :1]])), "BMP"),
        "gray": saved(Image.fromarray(RGB[..., 2]), "BMP"),
        "odd": saved(Image.fromarray(RGB[:5, :7]), "BMP")}


@pytest.mark.parametrize("op", ["decode_gif", "decode_image", "decode_png", "decode_jpeg"])
@pytest.mark.parametrize("kind", sorted(GIFS))
def test_gifs_match_tf(op, kind):
    data = GIFS[kind]
    same_outcome(lambda tf: getattr(tf.io, op)(data))


def _indexed(indices, palette):
    picture = Image.fromarray(indices.astype(np.uint8), "P")
    picture.putpalette(palette.ravel().tolist())
    return picture


@pytest.mark.parametrize("disposal", [0, 1, 2, 3])
@pytest.mark.parametrize("optimize", [False, True])
@pytest.mark.parametrize("transparency", [None, 0])
@pytest.mark.parametrize("gray", [False, True])
def test_animated_gif_frames_are_drawn_as_tf_draws_them(disposal, optimize, transparency, gray):
    """Later frames start from the one before, transparent pixels keep it, disposal is
    ignored, sub-rectangles (Pillow's optimize) and interlacing are read."""
    rng = np.random.default_rng(3)
    palette = (np.repeat(np.arange(0, 256, 16, dtype=np.uint8)[:, None], 3, 1) if gray
               else (rng.random((16, 3)) * 255).astype(np.uint8))
    first = rng.integers(1, 16, (20, 24))
    second = rng.integers(0, 16, (20, 24))
    second[:, :3] = 0
    third = second.copy()
    third[5:9] = 0
    options = {} if transparency is None else {"transparency": transparency}
    data = saved(_indexed(first, palette), "GIF", save_all=True, optimize=optimize,
                 append_images=[_indexed(second, palette), _indexed(third, palette)],
                 disposal=disposal, interlace=True, **options)
    same_outcome(lambda tf: tf.io.decode_gif(data))


@pytest.mark.parametrize("kind", sorted(BMPS))
@pytest.mark.parametrize("channels", [0, 1, 3, 4])
def test_decode_bmp_matches_tf(kind, channels):
    data = BMPS[kind]
    same_outcome(lambda tf: tf.io.decode_bmp(data, channels=channels))


ANY = {"png": PNGS["RGBA"], "jpeg": JPEGS["420"], "gif": GIFS["two"], "bmp": BMPS["rgb"],
       "junk": b"not an image at all", "empty": b"", "png_cut": PNGS["RGB"][:40],
       "jpeg_cut": JPEGS["444"][:200]}


@pytest.mark.parametrize("op", ["decode_png", "decode_jpeg", "decode_gif", "decode_bmp",
                                "decode_image"])
@pytest.mark.parametrize("kind", sorted(ANY))
def test_every_decoder_reads_every_format_as_tf(op, kind):
    data = ANY[kind]
    same_outcome(lambda tf: getattr(tf.io, op)(data))


@pytest.mark.parametrize("call", [
    lambda tf: tf.io.decode_png(PNGS["L"], channels=2),
    lambda tf: tf.io.decode_image(PNGS["L"], channels=2),
    lambda tf: tf.io.decode_jpeg(JPEGS["444"], channels=4),
    lambda tf: tf.io.decode_image(GIFS["one"], channels=1),
    lambda tf: tf.io.decode_bmp(BMPS["rgb"], channels=1),
    lambda tf: tf.io.decode_png([PNGS["L"]]),
    lambda tf: tf.io.decode_png(PNGS["L"], dtype=tf.float32),
    lambda tf: tf.io.decode_image(PNGS["RGB"], dtype=tf.float32),
    lambda tf: tf.io.decode_image(JPEGS["gray"], channels=3, dtype=tf.uint16),
    lambda tf: tf.io.decode_image(GIFS["two"], expand_animations=False),
    lambda tf: tf.image.decode_png(PNGS["LA"]),
], ids=lambda c: str(c.__code__.co_firstlineno))
def test_arguments_and_their_errors_match_tf(call):
    same_outcome(call)


def test_jpeg_shape_and_is_jpeg_match_tf():
    same_outcome(lambda tf: [tf.io.extract_jpeg_shape(JPEGS[k]) for k in sorted(JPEGS)]
                 + [tf.io.extract_jpeg_shape(JPEGS["gray"], output_type=tf.int64)])
    same_outcome(lambda tf: tf.io.extract_jpeg_shape(PNGS["L"]))
    same_outcome(lambda tf: [tf.io.is_jpeg(JPEGS["420"]), tf.io.is_jpeg(PNGS["L"]),
                             tf.image.is_jpeg(b"")])


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_encode_png_round_trips_through_tf(dtype, channels):
    import jaxtape

    tf = real_tf()
    top = np.iinfo(dtype).max
    pixels = (RNG.random((6, 9, channels)) * top).astype(dtype)
    mine = jaxtape.io.encode_png(pixels).numpy()
    back = tf.io.decode_png(mine, dtype=tf.as_dtype(dtype)).numpy()
    np.testing.assert_array_equal(back, pixels)
    theirs = tf.io.encode_png(pixels, compression=9).numpy()
    np.testing.assert_array_equal(
        jaxtape.io.decode_png(theirs, dtype=jaxtape.as_dtype(dtype)).numpy(), pixels)


@pytest.mark.parametrize("call", [
    lambda tf: tf.io.encode_png(RGB[..., 0]),
    lambda tf: tf.io.encode_png(np.zeros((2, 2, 5), np.uint8)),
    lambda tf: tf.io.encode_png(RGB.astype(np.float32)),
    lambda tf: tf.io.encode_jpeg(RGB[..., :2]),
    lambda tf: tf.io.encode_jpeg(np.zeros((2, 2, 4), np.uint8)),
    lambda tf: tf.io.encode_jpeg(RGB.astype(np.float32)),
    lambda tf: tf.io.encode_jpeg(tf.constant(RGB.astype(np.float32))),
    lambda tf: tf.io.encode_jpeg([[[1.5]]]),
    lambda tf: tf.io.encode_jpeg(RGB.astype(np.int32)),
], ids=lambda c: str(c.__code__.co_firstlineno))
def test_encoder_errors_match_tf(call):
    same_outcome(call)


@pytest.mark.parametrize("quality", [95, 60])
@pytest.mark.parametrize("chroma", [True, False])
@pytest.mark.parametrize("gray", [False, True])
def test_encode_jpeg_decodes_as_tfs_own_file(quality, chroma, gray):
    """Bytes differ in the header (JFIF density fields); the pixels TF decodes from
    jaxtape's file equal those it decodes from its own."""
    import jaxtape

    tf = real_tf()
    pixels = RGB[..., :1] if gray else RGB
    mine = jaxtape.io.encode_jpeg(pixels, quality=quality, chroma_downsampling=chroma).numpy()
    theirs = tf.io.encode_jpeg(pixels, quality=quality, chroma_downsampling=chroma).numpy()
    np.testing.assert_array_equal(tf.io.decode_jpeg(mine).numpy(),
                                  tf.io.decode_jpeg(theirs).numpy())


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_adjust_jpeg_quality_matches_tf(dtype):
    pixels = RGB if dtype == "uint8" else RGB.astype(np.float32) / 255
    same_outcome(lambda tf: tf.image.adjust_jpeg_quality(pixels, 40))


def test_a_pipeline_of_image_files_matches_tf(tmp_path):
    """The usual input pipeline: file names -> read_file -> decode -> resize -> batch."""
    names = []
    for i, (kind, data) in enumerate([("png", PNGS["RGB"]), ("jpg", JPEGS["444"]),
                                      ("png", PNGS["RGBA"]), ("jpg", JPEGS["420"])]):
        path = tmp_path / f"img{i}.{kind}"
        path.write_bytes(data)
        names.append(str(path))

    def pipeline(tf):
        def load(path):
            image = tf.io.decode_image(tf.io.read_file(path), channels=3,
                                       expand_animations=False)
            image.set_shape([None, None, 3])
            return tf.image.resize(tf.image.convert_image_dtype(image, tf.float32), [8, 8])

        data = tf.data.Dataset.from_tensor_slices(names).map(load).batch(2)
        return [b for b in data]

    same_outcome(pipeline)


@pytest.mark.parametrize("module, call", [
    ("simplejpeg", lambda tf: tf.io.decode_jpeg(JPEGS["444"])),
    ("PIL", lambda tf: tf.io.decode_png(PNGS["RGB"])),
    ("PIL", lambda tf: tf.io.encode_jpeg(RGB)),
])
def test_a_missing_codec_library_names_the_extra(monkeypatch, module, call):
    import sys

    import jaxtape

    monkeypatch.setitem(sys.modules, module, None)  # what an absent package imports as
    with pytest.raises(ImportError, match=r"pip install 'jaxtape\[images\]'"):
        call(jaxtape)


def test_png_needs_no_library_to_encode():
    import jaxtape

    data = jaxtape.io.encode_png(RGB).numpy()
    assert Image.open(io.BytesIO(data)).tobytes() == RGB.tobytes()


def _webps():
    rgba = np.dstack([RGB, RGB[..., :1]])
    return {"lossy": saved(Image.fromarray(RGB), "WEBP", quality=80),
            "lossless": saved(Image.fromarray(RGB), "WEBP", lossless=True),
            "alpha": saved(Image.fromarray(rgba), "WEBP", quality=70),
            "alpha_lossless": saved(Image.fromarray(rgba), "WEBP", lossless=True),
            "cut": saved(Image.fromarray(RGB), "WEBP")[:30]}


WEBPS = _webps()


@pytest.mark.parametrize("kind", sorted(WEBPS))
@pytest.mark.parametrize("call", [
    lambda tf, d: tf.io.decode_webp(d),
    lambda tf, d: tf.io.decode_webp(d, channels=3),
    lambda tf, d: tf.io.decode_webp(d, channels=4),
    lambda tf, d: tf.io.decode_webp(d, channels=1),
    lambda tf, d: tf.io.decode_image(d),
    lambda tf, d: tf.io.decode_image(d, expand_animations=False),
    lambda tf, d: tf.io.decode_image(d, dtype=tf.float32),
    lambda tf, d: tf.io.decode_png(d, dtype=tf.uint16),
    lambda tf, d: tf.io.decode_jpeg(d),
    lambda tf, d: tf.io.decode_bmp(d),
], ids=lambda c: str(c.__code__.co_firstlineno))
def test_webp_matches_tf(kind, call):
    data = WEBPS[kind]
    same_outcome(lambda tf: call(tf, data))


def test_decode_webp_of_other_formats_matches_tf():
    same_outcome(lambda tf: [tf.io.decode_webp(PNGS["RGB"]), tf.io.decode_webp(JPEGS["444"]),
                             tf.io.decode_webp(GIFS["two"])])
