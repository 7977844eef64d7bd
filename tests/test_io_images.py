from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from monocle.io import DEFAULT_MAX_PIXELS, ImageError, read_image, write_image

RED = (255, 0, 0)
BLUE = (0, 0, 255)


def _half_red_half_blue(width: int = 40, height: int = 20) -> np.ndarray:
    rgb = np.zeros((height, width, 3), dtype=np.uint8)
    rgb[:, : width // 2] = RED
    rgb[:, width // 2 :] = BLUE
    return rgb


def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _is_red(pixel: np.ndarray) -> bool:
    return pixel[0] > 200 and pixel[2] < 60


def _is_blue(pixel: np.ndarray) -> bool:
    return pixel[2] > 200 and pixel[0] < 60


# Orientation tag -> (expected (H, W), where the stored left (red) half ends up when displayed).
@pytest.mark.parametrize(
    ("orientation", "shape", "red_corner", "blue_corner"),
    [
        (1, (20, 40), (0, 0), (0, -1)),  # as stored: red left
        (3, (20, 40), (0, -1), (0, 0)),  # rotated 180: red right
        (6, (40, 20), (0, 0), (-1, 0)),  # display rotated 90 clockwise: left half goes to top
        (8, (40, 20), (-1, 0), (0, 0)),  # display rotated 90 counter-clockwise: left goes to bottom
    ],
)
def test_exif_orientation_is_applied(tmp_path, orientation, shape, red_corner, blue_corner):
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "photo.jpg"
    Image.fromarray(_half_red_half_blue()).save(path, exif=exif.tobytes(), quality=95)

    rgb = read_image(path)

    assert rgb.shape == (*shape, 3)
    assert rgb.dtype == np.uint8 and rgb.flags.c_contiguous
    assert _is_red(rgb[red_corner]) and _is_blue(rgb[blue_corner])


def test_grayscale_is_replicated_to_three_channels(tmp_path):
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    path = tmp_path / "gray.png"
    Image.fromarray(gray, mode="L").save(path)

    rgb = read_image(path)

    assert rgb.shape == (3, 4, 3)
    for channel in range(3):
        np.testing.assert_array_equal(rgb[:, :, channel], gray)


def test_alpha_is_dropped_keeping_stored_colour(tmp_path):
    rgba = np.zeros((2, 3, 4), dtype=np.uint8)
    rgba[..., :3] = [[[10, 20, 30]] * 3, [[200, 100, 50]] * 3]
    rgba[0, :, 3] = 0  # fully transparent row keeps its colour
    rgba[1, :, 3] = 255
    path = tmp_path / "rgba.png"
    Image.fromarray(rgba, mode="RGBA").save(path)

    np.testing.assert_array_equal(read_image(path), rgba[..., :3])
    np.testing.assert_array_equal(read_image(rgba), rgba[..., :3])


def test_gray_with_alpha(tmp_path):
    la = Image.fromarray(np.array([[0, 0], [77, 0]], dtype=np.uint8)).convert("LA")
    la.putalpha(0)
    rgb = read_image(_png_bytes(la))
    np.testing.assert_array_equal(rgb[1, 0], [77, 77, 77])


def test_palette_image(tmp_path):
    palette_image = Image.new("P", (3, 2))
    palette_image.putpalette([0, 0, 0, 255, 0, 0, 0, 128, 255] + [0] * (253 * 3))
    palette_image.putdata([0, 1, 2, 2, 1, 0])
    path = tmp_path / "palette.png"
    palette_image.save(path)

    rgb = read_image(path)

    np.testing.assert_array_equal(rgb[0], [[0, 0, 0], [255, 0, 0], [0, 128, 255]])
    np.testing.assert_array_equal(rgb[1], [[0, 128, 255], [255, 0, 0], [0, 0, 0]])


def test_cmyk_image():
    cmyk = Image.new("CMYK", (2, 1), (255, 0, 0, 0))  # pure cyan ink
    np.testing.assert_array_equal(read_image(cmyk)[0, 0], [0, 255, 255])


def test_16bit_png_is_scaled_with_rounding_not_clipped(tmp_path):
    # round(v * 255 / 65535) = round(v / 257): 385/257 = 1.498 -> 1, 386/257 = 1.502 -> 2.
    codes = np.array([[0, 257, 385, 386, 32896, 65535]], dtype=np.uint16)
    path = tmp_path / "sixteen.png"
    Image.fromarray(codes).save(path)
    with Image.open(path) as image:
        assert image.mode == "I;16"

    rgb = read_image(path)

    np.testing.assert_array_equal(rgb[0, :, 0], [0, 1, 1, 2, 128, 255])
    np.testing.assert_array_equal(read_image(codes)[0, :, 1], [0, 1, 1, 2, 128, 255])


def test_bytes_pil_and_path_agree(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    path = tmp_path / "random.png"
    write_image(path, rgb)

    np.testing.assert_array_equal(read_image(path), rgb)
    np.testing.assert_array_equal(read_image(str(path)), rgb)
    np.testing.assert_array_equal(read_image(path.read_bytes()), rgb)
    with Image.open(path) as image:
        np.testing.assert_array_equal(read_image(image), rgb)


def test_numpy_inputs():
    gray = np.array([[0, 128], [255, 7]], dtype=np.uint8)
    np.testing.assert_array_equal(read_image(gray[:, :, None])[..., 2], gray)
    floats = np.array([[0.0, 0.5], [1.0, 0.1]], dtype=np.float64)
    np.testing.assert_array_equal(read_image(floats)[..., 0], [[0, 128], [255, 26]])
    mask = np.array([[True, False]])
    np.testing.assert_array_equal(read_image(mask)[0, :, 0], [255, 0])


def test_tensor_inputs():
    rgb = np.random.default_rng(1).integers(0, 256, (4, 6, 3), dtype=np.uint8)
    channels_first = torch.from_numpy(rgb).permute(2, 0, 1).float() / 255.0
    np.testing.assert_array_equal(read_image(channels_first), rgb)
    np.testing.assert_array_equal(read_image(torch.from_numpy(rgb)), rgb)
    np.testing.assert_array_equal(
        read_image(torch.from_numpy(rgb[..., :1].copy()))[..., 1], rgb[..., 0]
    )
    np.testing.assert_array_equal(
        read_image(torch.from_numpy(rgb[..., 0].copy()))[..., 2], rgb[..., 0]
    )
    from_bfloat16 = read_image(channels_first.to(torch.bfloat16)).astype(int)
    assert np.abs(from_bfloat16 - rgb).max() <= 1  # bfloat16 keeps 8 significant bits


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((4, 4, 2), np.uint8), "got (4, 4, 2)"),
        (np.zeros((1, 4, 4, 3), np.uint8), "x[0]"),
        (np.zeros((4, 4), np.int64), "unsupported dtype int64"),
        (np.full((4, 4), 255.0), "must lie in [0, 1]"),
        (np.full((4, 4), np.nan), "NaN"),
    ],
)
def test_bad_arrays_are_refused(array, message):
    with pytest.raises(
        ImageError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")
    ):
        read_image(array)


def test_unsupported_source_type():
    with pytest.raises(ImageError, match="cannot read a list"):
        read_image([[1, 2]])


def test_over_budget_image_is_refused_before_decoding(tmp_path):
    data = _png_bytes(Image.fromarray(_half_red_half_blue(100, 50)))
    path = tmp_path / "big.png"
    # Header intact, pixel data cut: decoding would fail, so a size error proves no decode ran.
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(ImageError, match=r"big\.png: image is 100x50 = 5,000 pixels, over"):
        read_image(path, max_pixels=4_999)
    with pytest.raises(ImageError, match="truncated or corrupt"):
        read_image(path, max_pixels=5_000)
    with pytest.raises(ImageError, match="over the limit"):
        read_image(np.zeros((50, 100), np.uint8), max_pixels=10)


def _png_claiming_size(width: int, height: int) -> bytes:
    data = bytearray(_png_bytes(Image.new("L", (1, 1))))
    ihdr_body = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr_body
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr_body))
    return bytes(data)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_huge_header_is_refused_by_default(tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(_png_claiming_size(12_000, 10_000))  # 120 M pixels, a 1x1 image inside
    assert DEFAULT_MAX_PIXELS == 100_000_000
    with pytest.raises(ImageError, match=r"huge\.png: image is 12000x10000 = 120,000,000 pixels"):
        read_image(path)


def test_decompression_bomb_guard_of_pillow_becomes_image_error(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_claiming_size(30_000, 30_000))
    with pytest.raises(ImageError, match=r"bomb\.png: image is too large to decode safely"):
        read_image(path, max_pixels=10**12)


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_truncated_file_names_the_file(tmp_path, suffix):
    rng = np.random.default_rng(2)
    source = tmp_path / f"whole{suffix}"
    write_image(source, rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    data = source.read_bytes()
    broken = tmp_path / f"photo{suffix}"
    broken.write_bytes(data[: len(data) * 2 // 3])

    with pytest.raises(
        ImageError, match=rf"photo\{suffix}: file is truncated or corrupt .*re-export"
    ):
        read_image(broken)
    with pytest.raises(ImageError, match=r"<bytes>: file is truncated"):
        read_image(data[: len(data) * 2 // 3])


def test_non_image_and_missing_files(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("this is not an image")
    with pytest.raises(ImageError, match=r"notes\.png: not a recognised image file"):
        read_image(text)
    with pytest.raises(ImageError, match=r"absent\.jpg: image not found"):
        read_image(tmp_path / "absent.jpg")
    with pytest.raises(ImageError, match="is a folder"):
        read_image(tmp_path)


def test_write_image_formats_and_errors(tmp_path):
    rgb = _half_red_half_blue()
    png = write_image(tmp_path / "nested" / "dir" / "out.png", rgb)
    np.testing.assert_array_equal(read_image(png), rgb)
    jpg = write_image(tmp_path / "out.JPG", rgb)
    with Image.open(jpg) as image:
        assert image.format == "JPEG"
    assert np.abs(read_image(jpg).astype(int) - rgb).mean() < 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nested", "out.JPG"]  # no temp files

    with pytest.raises(ImageError, match=r"suffix '\.gif'; use one of \.png, \.jpg, \.jpeg"):
        write_image(tmp_path / "out.gif", rgb)
    with pytest.raises(ImageError, match=r"uint8 array of shape \(H, W, 3\), got float64"):
        write_image(tmp_path / "out.png", rgb / 255.0)
