"""Turn an uploaded picture of a digit into a 28x28 image the way MNIST was made.

LeCun et al.: the digits were size-normalized to fit a 20x20 box keeping their aspect ratio
(anti-aliased, hence gray levels) and centred in 28x28 by their centre of mass. Uploads also get
converted to grayscale and inverted when the background is light, since MNIST is white on black.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import ExifTags, Image, UnidentifiedImageError

from .upload_checks import ImageInputError, check_upload, without_png_metadata

BOX, SIDE = 20, 28
WORK_SIDE = 512  # uploads shrink to this before cropping: a digit filling 1/8 of it keeps 64 px
# The longest side taken. The pixel limit alone let 1 x 12,000,000 through: Pillow keeps each
# row apart, so that 23 KB PNG cost ~200 MB and ~1 s to decode (hostile pass 8). A 200 Mpx
# phone photo is 16,320 px wide (and over the pixel limit anyway), an A4 scan at 1200 dpi
# 14,031 px tall; WebP's own limit is 16,383. Past it, rows are few enough to cost little.
MAX_SIDE = 16_384
# Pillow decodes a WebP whole, as RGB(A), with no draft scale: ~15 bytes a pixel at its peak, so a
# 12 Mpx one cost ~180 MB for a 2 KB upload (hostile pass 9). At 4 Mpx its peak (~60 MB) is what
# the costliest other format reaches under the general limit (a 12 Mpx RGBA PNG, ~48-64 MB).
MAX_WEBP_PIXELS = 4_000_000
ORIENTATION = ExifTags.Base.Orientation
# Pillow warns once per broken EXIF tag of an upload (65,535 of them wrote 13 MB of log per
# request, as catch_warnings re-arms "once" warnings): said to no one, so not said. Set once, for
# the process: catch_warnings is not thread-safe, and uploads are decoded in worker threads.
warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL(\.|$)")
# ImageOps.exif_transpose's table, applied to the shrunk copy: transposing the full-size
# upload would cost another full-size image.
EXIF_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# A JPEG's EXIF fits its APP1 segment (64 KB), and cameras copy that block into PNGs and WebPs.
# Pillow reads every entry of it in Python for the one tag wanted: 65,535 entries (786 KB) in a
# PNG's eXIf cost ~0.4 s an upload (hostile pass 8). A larger block is no camera's: not read.
MAX_EXIF_BYTES = 64 * 1024
INK_THRESHOLD = 0.1  # a pixel brighter than this (after inversion) counts as ink


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Open an upload, refusing non-images, oversized ones and encodings too costly to decode
    from the bytes and the header, before decoding (the pixels are read by `shrink_to_gray`,
    which can ask a JPEG for fewer of them)."""
    if not data:
        raise ImageInputError("the upload is empty")
    image_format = check_upload(data)  # "PNG", "JPEG", ... from the magic bytes
    if image_format == "PNG":
        data = without_png_metadata(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Only the format the bytes were checked as.
            img = Image.open(io.BytesIO(data), formats=(image_format,))
    except UnidentifiedImageError as exc:
        # Its magic bytes said image_format, so it is one cut short or broken, not another kind
        # of file (hostile pass 4: a PNG cut after its header was called "not a PNG").
        raise ImageInputError(f"the {image_format} file is truncated or corrupt") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageInputError(f"too many pixels (over the limit of {max_pixels})") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        # Pillow's reason ("broken data stream", "Truncated File Read") says what is wrong.
        raise ImageInputError(f"the {image_format} file could not be read: {exc}"[:200]) from exc
    width, height = img.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise ImageInputError(f"{width}x{height} pixels is over the limit of {max_pixels} pixels")
    if image_format == "WEBP" and width * height > MAX_WEBP_PIXELS:
        msg = (
            f"{width}x{height} pixels is over the limit of {MAX_WEBP_PIXELS} pixels for a WebP "
            "(decoded whole): send it smaller, or as PNG or JPEG"
        )
        raise ImageInputError(msg)
    if max(width, height) > MAX_SIDE:
        msg = f"{width}x{height} pixels: the longer side is over the limit of {MAX_SIDE} pixels"
        raise ImageInputError(msg)
    return img


def exif_bytes(img: Image.Image) -> int:
    """The bytes of EXIF that `getexif` would parse: the block, or a PNG's text profile of it in
    hex (two characters a byte), which Pillow reads when there is no block (hostile pass 9: a
    54 KB zTXt profile held 20,000 entries)."""
    text = img.info.get("Raw profile type exif") or ""
    return max(len(img.info.get("exif") or b""), len(text) // 2)


def exif_orientation(img: Image.Image) -> int:
    """The EXIF orientation (1: upright) of an opened image; 1 when its EXIF does not parse. A
    broken EXIF block is no reason to refuse the picture: Pillow raised struct.error on a 12-byte
    one in a PNG or WebP, which reached the client as a 500."""
    if exif_bytes(img) > MAX_EXIF_BYTES:
        return 1
    try:
        value = img.getexif().get(ORIENTATION, 1)
    except Exception:  # noqa: BLE001 - any parse failure of metadata means "no orientation"
        return 1
    return value if value in EXIF_TRANSPOSE else 1


def shrink_to_gray(img: Image.Image, side: int = WORK_SIDE, exact: bool = False) -> np.ndarray:
    """Float grayscale in [0, 1], light ink on dark, at most `side` pixels a side (exactly
    side x side if `exact`: fitted inside it, centred on background), upright per EXIF,
    whatever the upload's polarity and alpha.

    Memory: the image becomes one 8-bit channel and shrinks (JPEG `draft` decodes at 1/2..1/8
    scale; `reduce` bins the rest) before anything is a float array. A 4096x4096 RGBA PNG
    used to become ~580 MB of float copies; now its peak is the 64 MB decode itself."""
    try:
        img.seek(0)  # first frame of an animation
        if img.format == "JPEG":
            img.draft("L", (side, side))
        img.load()
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageInputError("truncated or corrupt") from exc
    orientation = exif_orientation(img)
    from_alpha = False
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        alpha = (img if img.mode in ("RGBA", "LA") else img.convert("LA")).getchannel("A")
        # Drawn on a transparent canvas: what is opaque is the ink.
        from_alpha = alpha.getextrema()[0] < 253
        gray = alpha if from_alpha else img.convert("L")
        del alpha
    else:
        gray = img.convert("L")
    del img
    factor = max(gray.size) // side
    if factor > 1:
        gray = gray.reduce(factor)  # box binning: fast, and keeps thin strokes as gray
    if exact:
        # Fitted, not stretched: a picture that is not square was squashed into the square, and
        # a ring beside a bar came out a tall oval (page pass 17); the rest is background.
        width, height = gray.size
        scale = side / max(width, height)
        fitted = (max(1, round(width * scale)), max(1, round(height * scale)))
        gray = gray.resize(fitted, Image.Resampling.BILINEAR)
    else:
        gray.thumbnail((side, side), Image.Resampling.LANCZOS)
    method = EXIF_TRANSPOSE.get(orientation)
    if method is not None:
        gray = gray.transpose(method)
    arr = np.asarray(gray, dtype=np.float32) / 255.0
    if not from_alpha:
        border = np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]])
        if np.median(border) > 0.5:
            arr = 1.0 - arr
    if exact and arr.shape != (side, side):
        canvas = np.zeros((side, side), dtype=np.float32)  # dark: the ink is light by now
        top, left = (side - arr.shape[0]) // 2, (side - arr.shape[1]) // 2
        canvas[top : top + arr.shape[0], left : left + arr.shape[1]] = arr
        arr = canvas
    return arr


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
    if digit.max() <= 0.0:
        # A few lone pixels spread far apart average away when shrunk to 20x20.
        raise ImageInputError("the ink vanishes when shrunk to 28x28 (strokes too thin)")
    canvas = np.zeros((SIDE, SIDE), dtype=np.float32)
    top, left = (SIDE - new_h) // 2, (SIDE - new_w) // 2
    canvas[top : top + new_h, left : left + new_w] = digit
    return shift_to_centre_of_mass(canvas)


def shift_to_centre_of_mass(canvas: np.ndarray) -> np.ndarray:
    """Translate by whole pixels so the intensity-weighted centre sits at (14, 14), where it sits
    in MNIST itself (measured on the test set: mean 13.99, 14.00 in row, column indices)."""
    total = canvas.sum()
    if total <= 0:
        raise ImageInputError("no ink found (the image is blank)")
    rows, cols = np.indices(canvas.shape)
    cy, cx = (rows * canvas).sum() / total, (cols * canvas).sum() / total
    dy, dx = int(round(SIDE / 2 - cy)), int(round(SIDE / 2 - cx))
    ys, xs = np.nonzero(canvas)
    # Never shift ink off the canvas.
    dy = int(np.clip(dy, -ys.min(), SIDE - 1 - ys.max()))
    dx = int(np.clip(dx, -xs.min(), SIDE - 1 - xs.max()))
    return np.roll(np.roll(canvas, dy, axis=0), dx, axis=1)


def preprocess_upload(data: bytes, max_pixels: int, mnist: bool = True) -> np.ndarray:
    """Upload bytes -> (28, 28) float32 in [0, 1], MNIST-formatted (cropped to its ink, scaled
    into 20x20 and centred by mass), or with `mnist=False` only shrunk to 28x28 as it is.

    A refusal is raised afresh, outside the handler: the error Pillow raised keeps its frames,
    and through them the half-read image (a 12-Mpx buffer, or 1.4 million tuples of a JPEG with
    63 frame headers), alive for as long as the error lives. Chained into the error we answer
    with, it lived in reference cycles that only a full collection frees, which gc.freeze() makes
    rare: one client's failing uploads took the server to 6 GB in 20 s (hostile pass 12)."""
    try:
        if not mnist:
            return shrink_to_gray(open_image(data, max_pixels), side=SIDE, exact=True)
        return normalize_digit(shrink_to_gray(open_image(data, max_pixels)))
    except ImageInputError as err:
        refused = ImageInputError(str(err), err.status)
    try:
        raise refused
    finally:
        del refused  # the frame kept it, and it keeps the frame: one more cycle (review)
