"""The HTML viewer in a real browser: headless Chromium, file:// URL, networking off.

Moving the pointer is simulated through the viewer's URL hash (``#x=-1,y=0`` pins the pointer
to the left edge, ``#x=1,y=0`` to the right edge): two screenshots, one per hash, must differ
the way parallax says (the camera moves right, the near box moves left on screen).
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from monocle.apps.photo3d import make_photo3d
from monocle.apps.photo3d.viewer import write_viewer
from test_photo3d_pipeline import box_photo

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)"
)
WINDOW = (256, 192)


def screenshot(page, hash_, out, profile) -> np.ndarray:
    from PIL import Image

    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--use-gl=angle",
        "--use-angle=swiftshader",
        "--enable-unsafe-swiftshader",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-extensions",
        "--proxy-server=127.0.0.1:9",
        f"--user-data-dir={profile}",
        f"--screenshot={out}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--virtual-time-budget=5000",
        f"{page.as_uri()}#{hash_}",
    ]
    subprocess.run(command, capture_output=True, timeout=120, check=True)
    return np.asarray(Image.open(out).convert("RGB"))


def red_centre(rgb: np.ndarray) -> float:
    red = (rgb[..., 0] > 180) & (rgb[..., 1] < 70) & (rgb[..., 2] < 70)
    assert red.sum() > 500, "the box is not on the screenshot"
    return float(np.nonzero(red)[1].mean())


def test_viewer_shows_the_photo_and_follows_the_pointer(tmp_path):
    image, depth = box_photo((96, 128))
    photo = make_photo3d(image, depth, frames=4, inpaint="classical")
    page = write_viewer(photo, tmp_path / "photo3d.html")
    left = screenshot(page, "x=-1,y=0", tmp_path / "left.png", tmp_path / "p1")
    right = screenshot(page, "x=1,y=0", tmp_path / "right.png", tmp_path / "p2")
    centre = screenshot(page, "x=0,y=0", tmp_path / "centre.png", tmp_path / "p3")
    # Not blank: the centred view is the photo itself, scaled 2x into the window.
    from PIL import Image

    expected = np.asarray(Image.fromarray(image).resize(WINDOW, Image.BILINEAR), dtype=float)
    assert centre.std() > 30
    assert np.abs(centre - expected).mean() < 12
    # Camera right of centre: near content shifts left, by f * t * (1/1.5 - 1/4) * scale.
    shift = red_centre(right) - red_centre(left)
    reach = 2 * 0.015 * 3 * 1.5  # pointer -1 -> +1 moves the camera by twice the amplitude
    expected_shift = -photo.K[0, 0] * reach / 1.5 * (WINDOW[0] / 128)
    assert shift < -3
    assert shift == pytest.approx(expected_shift, rel=0.3)
    # The far wall moves the same way but less (1/4 m against 1/1.5 m): best integer shift of
    # the top rows, which show only the wall.
    top_left, top_right = left[10:40].astype(float), right[10:40].astype(float)
    errors = {
        s: np.abs(top_left[:, 40 + s : 216 + s] - top_right[:, 40:216]).mean()
        for s in range(-30, 31)
    }
    wall_shift = -min(errors, key=errors.get)
    assert wall_shift < 0
    assert abs(wall_shift) == pytest.approx(abs(expected_shift) * 1.5 / 4, abs=3)
