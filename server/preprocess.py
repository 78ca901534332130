"""Turn an uploaded picture of a digit into a 28x28 image the way MNIST was made.

LeCun et al.: the digits were size-normalized to fit a 20x20 box keeping their aspect ratio
(anti-aliased, hence gray levels) and centred in 28x28 by their centre of mass. Uploads also get
converted to grayscale and inverted when the background is light, since MNIST is white on black.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")
BOX, SIDE = 20, 28
INK_THRESHOLD = 0.1  # a pixel brighter than this (after inversion) counts as ink


class ImageInputError(ValueError):
    """An upload that is not a usable image; `status` is the HTTP code to answer with."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Open an upload, refusing non-images and oversized ones from the header, before decoding."""
    if not data:
        raise ImageInputError("the upload is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=FORMATS)
    except UnidentifiedImageError as exc:
        raise ImageInputError(f"not a {', '.join(FORMATS)} image", status=415) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageInputError(f"too many pixels ({exc})") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageInputError(f"unreadable ({exc})", status=415) from exc
    width, height = img.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise ImageInputError(f"{width}x{height} pixels is over the limit of {max_pixels} pixels")
    try:
        img.seek(0)  # first frame of an animation
        img.load()
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageInputError(f"truncated or corrupt ({exc})") from exc
    return img


def to_gray(img: Image.Image) -> np.ndarray:
    """Float grayscale in [0, 1], light ink on dark, whatever the upload's polarity and alpha."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = np.asarray(img.convert("RGBA"), dtype=np.float32) / 255.0
        alpha = rgba[..., 3]
        if alpha.min() < 0.99:
            # Drawn on a transparent canvas: what is opaque is the ink.
            return alpha
    gray = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return 1.0 - gray if np.median(border) > 0.5 else gray


def normalize_digit(gray: np.ndarray) -> np.ndarray:
    """Crop to the ink, fit into 20x20 keeping the aspect ratio, centre of mass at the centre."""
    if gray.max() - gray.min() < INK_THRESHOLD:
        raise ImageInputError("no ink found (the image is blank)")
    gray = gray - np.median(gray)  # drop a uniform background (most of a digit's picture)
    gray = np.clip(gray / max(gray.max(), 1e-6), 0.0, 1.0)
    ys, xs = np.nonzero(gray > INK_THRESHOLD)
    if len(ys) == 0:
        raise ImageInputError("no ink found (the image is blank)")
    crop = gray[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = crop.shape
    scale = BOX / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    small = Image.fromarray((crop * 255).astype(np.uint8)).resize(
        (new_w, new_h), Image.Resampling.LANCZOS if max(h, w) > BOX else Image.Resampling.BILINEAR
    )
    digit = np.asarray(small, dtype=np.float32) / 255.0
    canvas = np.zeros((SIDE, SIDE), dtype=np.float32)
    top, left = (SIDE - new_h) // 2, (SIDE - new_w) // 2
    canvas[top : top + new_h, left : left + new_w] = digit
    return shift_to_centre_of_mass(canvas)


def shift_to_centre_of_mass(canvas: np.ndarray) -> np.ndarray:
    """Translate by whole pixels so the intensity-weighted centre sits at (14, 14), where it sits
    in MNIST itself (measured on the test set: mean 13.99, 14.00 in row, column indices)."""
    total = canvas.sum()
    rows, cols = np.indices(canvas.shape)
    cy, cx = (rows * canvas).sum() / total, (cols * canvas).sum() / total
    dy, dx = int(round(SIDE / 2 - cy)), int(round(SIDE / 2 - cx))
    ys, xs = np.nonzero(canvas)
    # Never shift ink off the canvas.
    dy = int(np.clip(dy, -ys.min(), SIDE - 1 - ys.max()))
    dx = int(np.clip(dx, -xs.min(), SIDE - 1 - xs.max()))
    return np.roll(np.roll(canvas, dy, axis=0), dx, axis=1)


def preprocess_upload(data: bytes, max_pixels: int) -> np.ndarray:
    """Upload bytes -> (28, 28) float32 in [0, 1], MNIST-formatted."""
    return normalize_digit(to_gray(open_image(data, max_pixels)))
