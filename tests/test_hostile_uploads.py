"""Uploads that cost far more to decode than their size (notes/hostile-report.md, defect 1) are
refused from their bytes, quickly and by name; ordinary uploads still encode."""

from __future__ import annotations

import base64
import io
import random
import struct
import subprocess
import sys
import time
import zlib

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from latent_explorer.server import Settings, create_app
from latent_explorer.server.preprocess import preprocess_upload
from latent_explorer.server.upload_checks import (
    MAX_BLOCKS,
    MAX_JPEG_SCANS,
    ImageInputError,
    check_upload,
    next_marker,
)
from tests.conftest import ROOT

VAE, COMPLETION = "vae-mnist-z2", "completion-mnist"
SIDE = 3464  # 12 Mpx, within max_image_pixels: what makes each JPEG scan cost ~8 ms
FAST = 2.0  # seconds; the attacks below cost 7-8 s (JPEG) or 1-4 s (BMP) before the checks


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))) as c:
        yield c


def digit(side: int) -> Image.Image:
    """A gray square with a white bar: something with ink, so a refusal is not 'blank'."""
    img = Image.new("L", (side, side), 0)
    img.paste(255, (side * 2 // 5, side // 5, side * 3 // 5, side * 4 // 5))
    return img


def encoded(img: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def scan_bomb(repeats: int, side: int = SIDE) -> bytes:
    """A progressive JPEG whose last scan (an AC refinement, ~26 bytes) is repeated: libjpeg
    decodes each copy over the whole image (the report's make_scanbomb.py). The image is black,
    so each scan is tiny; the check refuses it before the emptiness could be seen."""
    data = encoded(Image.new("L", (side, side), 0), "JPEG", progressive=True, quality=50)
    i, scans = 2, []
    while data[i + 1] != 0xD9:
        end = i + 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
        if data[i + 1] == 0xDA:  # the scan's entropy-coded data runs to the next real marker
            while not (data[end] == 0xFF and data[end + 1] not in (0, *range(0xD0, 0xD8))):
                end += 1
            scans.append((i, end))
        i = end
    start, end = scans[-1]
    return data[:i] + data[start:end] * repeats + data[i:]


def rle8_bmp(side: int = SIDE) -> bytes:
    """An 8-bit RLE BMP: one pixel then end-of-line on every row (the report's make_rle_bmp.py);
    Pillow pads each row in a pure-Python loop."""
    palette = b"".join(struct.pack("<BBBB", i, i, i, 0) for i in range(256))
    rle = b"\x01\xff\x00\x00" * side + b"\x00\x01"
    dib = struct.pack("<IiiHHIIiiII", 40, side, side, 1, 8, 1, len(rle), 2835, 2835, 256, 0)
    offset = 14 + 40 + len(palette)
    header = b"BM" + struct.pack("<IHHI", offset + len(rle), 0, 0, offset)
    return header + dib + palette + rle


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def upload(client: TestClient, data: bytes, route: str = "encode", **fields):
    model = COMPLETION if route == "complete" else VAE
    started = time.monotonic()
    r = client.post(
        f"/api/models/{model}/{route}", files={"image": ("x", data)}, data=fields or None
    )
    return r, time.monotonic() - started


def test_a_jpeg_with_a_thousand_scans_is_refused_before_decoding(client: TestClient) -> None:
    bomb = scan_bomb(1000)
    assert len(bomb) < 100_000  # 73 KB that cost 7.5 s of CPU
    r, took = upload(client, bomb)
    assert r.status_code == 422, r.text[:300]
    assert r.json()["detail"][0]["loc"] == ["body", "image"]
    assert "scans" in r.json()["detail"][0]["msg"]
    assert took < FAST


def test_a_jpeg_with_many_frame_headers_is_refused_before_pillow(client: TestClient) -> None:
    """63 start-of-frame segments of 64 KB (4.1 MB): Pillow made 1.4 million tuples of them,
    ~120 MB and 0.35 s, before the picture failed (hostile pass 12). A JPEG has one frame."""
    buf = io.BytesIO()
    Image.new("L", (28, 28), 0).save(buf, "JPEG")
    jpeg = buf.getvalue()
    sof = b"\x08" + struct.pack(">HHB", 28, 28, 1) + b"\x01\x11\x00" * ((65533 - 6) // 3)
    segment = b"\xff\xc0" + struct.pack(">H", 2 + len(sof)) + sof
    with pytest.raises(ImageInputError, match="more than one frame header"):
        check_upload(jpeg[:2] + segment * 2 + jpeg[2:])
    # Pillow reads DHP as a frame header, and FF C8 with no length (review): neither hides one.
    dhp = b"\xff\xde" + segment[2:]
    small = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 28, 28, 1) + b"\x01\x11\x00"
    hidden = b"\xff\xc8" + struct.pack(">H", 2 + len(small)) + small
    for twice in (dhp, hidden):  # each beside the picture's own frame header
        with pytest.raises(ImageInputError, match="more than one frame header"):
            check_upload(jpeg[:2] + twice + jpeg[2:])
    r, took = upload(client, jpeg[:2] + segment * 63 + jpeg[2:])
    assert r.status_code == 422, r.text[:300]
    assert "more than one frame header (SOF)" in r.json()["detail"][0]["msg"] and took < FAST
    check_upload(jpeg)  # one frame, as every JPEG here has


def test_stuffed_bytes_cost_less_to_check_than_a_photo_to_decode() -> None:
    """The check walked every stuffed FF 00 of a JPEG's scan in Python: 4 MB of them cost 0.6 s,
    8 times a real photo of that size to decode, for an 8x8 picture (hostile pass 12). Both timed
    in one run (min of 3), so the ratio holds on a slow machine."""
    buf = io.BytesIO()
    Image.new("L", (8, 8), 0).save(buf, "JPEG")
    small = buf.getvalue()
    stuffed = small[:-2] + b"\xff\x00" * 2_000_000 + small[-2:]  # before its end of image
    noise = np.random.default_rng(0).integers(0, 256, (1500, 1500), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noise).save(buf, "JPEG", quality=100)
    photo = buf.getvalue()  # 3.6 MB

    def fastest(work) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            work()
            times.append(time.perf_counter() - started)
        return min(times)

    check = fastest(lambda: check_upload(stuffed))
    decode = fastest(lambda: Image.open(io.BytesIO(photo)).load())
    # Here: 0.44 s against 17 ms before, 15 ms after (a search in C over 4 MB).
    assert check < 2 * decode, (check, decode)


def test_the_marker_search_skips_what_a_walk_would() -> None:
    """next_marker's search in C finds what a byte-by-byte walk finds: the first FF followed by
    neither a stuffed 00 nor a restart D0-D7 (a fill FF starts a marker too)."""

    def walk(data: bytes, pos: int) -> int:
        while (nxt := data.find(b"\xff", pos)) >= 0 and nxt + 1 < len(data):
            if data[nxt + 1] != 0x00 and not 0xD0 <= data[nxt + 1] <= 0xD7:
                return nxt
            pos = nxt + 2
        return len(data)

    rng = random.Random(0)
    for _ in range(2000):
        data = bytes(
            rng.choice(b"\xff\x00\xd0\xd7\xd8\xd9\xda\x12") for _ in range(rng.randint(0, 30))
        )
        for pos in range(len(data) + 1):
            assert next_marker(data, pos) == walk(data, pos), (data, pos)


def test_complete_refuses_the_scan_bomb_too(client: TestClient) -> None:
    r, took = upload(client, scan_bomb(1000), "complete", mask="left-half")
    assert r.status_code == 422, r.text[:300]
    assert "scans" in r.json()["detail"][0]["msg"] and took < FAST


def test_an_rle_bmp_is_refused_by_name(client: TestClient) -> None:
    r, took = upload(client, rle8_bmp())
    assert r.status_code == 415, r.text[:300]
    assert "RLE8" in r.json()["detail"][0]["msg"] and took < FAST


@pytest.mark.parametrize(
    "name",
    ["jpeg markers", "png chunks", "gif blocks", "gif stray bytes"],
)
def test_headers_pillow_reads_one_piece_at_a_time_are_capped(name: str) -> None:
    """4 MB of empty JPEG comments, PNG chunks or GIF comment blocks cost Pillow 1-2 s of Python
    before any pixel (3 MB of stray bytes in a GIF, 0.3 s); over MAX_BLOCKS of them are refused."""
    many = MAX_BLOCKS + 10
    if name == "jpeg markers":
        base = encoded(digit(28), "JPEG")
        data = base[:2] + b"\xff\xfe\x00\x02" * many + base[2:]
    elif name == "png chunks":
        base = encoded(digit(28), "PNG")
        data = base[:33] + png_chunk(b"abCd", b"") * many + base[33:]  # after IHDR
    else:
        base = encoded(digit(28), "GIF")
        flags = base[10]  # after the header, the screen descriptor and the colour table
        start = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
        block = b"\x21\xfe\x00" if name == "gif blocks" else b"\x00"
        data = base[:start] + block * many + base[start:]
    with pytest.raises(ValueError, match=f"over {MAX_BLOCKS}"):
        check_upload(data)


@pytest.mark.parametrize(
    ("fmt", "params"),
    [
        ("PNG", {}),
        ("JPEG", {}),
        ("JPEG", {"progressive": True}),
        ("GIF", {}),
        ("BMP", {}),
        ("WEBP", {"lossless": True}),
    ],
)
def test_ordinary_uploads_still_encode(client: TestClient, fmt: str, params: dict) -> None:
    data = encoded(digit(280).convert("RGB"), fmt, **params)
    assert check_upload(data) == fmt
    r, _ = upload(client, data)
    assert r.status_code == 200, r.text[:300]
    assert len(r.json()["mu"]) == 2


def test_bytes_after_the_end_of_image_are_not_scans(client: TestClient) -> None:
    """A motion photo appends a video after FF D9; random bytes hold FF DA about once in 64 KB.
    None of it is decoded, so none of it counts (3 MB appended: ~46 false scans before)."""
    trailer = random.Random(0).randbytes(3_000_000)
    data = encoded(digit(200).convert("RGB"), "JPEG") + trailer
    assert data.count(b"\xff\xda") > MAX_JPEG_SCANS
    assert check_upload(data) == "JPEG"
    r, _ = upload(client, data)
    assert r.status_code == 200, r.text[:300]


def test_a_picture_that_fills_its_frame_is_encoded_as_it_is(client: TestClient) -> None:
    """preprocess=none (what the page sends for Fashion-MNIST): shrunk to 28x28, no crop."""
    shirt = np.zeros((28, 28), dtype=np.uint8)
    shirt[2:27, 3:25] = 200  # fills the frame, as a Fashion-MNIST item does

    def seen(r) -> np.ndarray:
        assert r.status_code == 200, r.text[:300]
        png = base64.b64decode(r.json()["preprocessed"].split(",", 1)[1])
        return np.asarray(Image.open(io.BytesIO(png))).astype(int)

    data = encoded(Image.fromarray(shirt), "PNG")
    assert np.abs(seen(upload(client, data, preprocess="none")[0]) - shirt).max() <= 1
    # The default treats it as a pen digit: mostly light, it reads as dark ink on paper, and
    # after inversion nothing is left (or, were it read, it would be cropped and re-centred).
    r, _ = upload(client, data)
    assert r.status_code == 422 or np.abs(seen(r) - shirt).max() > 100


def hidden_scans(n: int) -> bytes:
    """A progressive JPEG with n copies of its last scan behind "FF FF 00 <length>": libjpeg
    reads FF FF 00 as a stuffed zero and decodes every scan; a checker that took 00 for a marker
    with a length skipped them (hostile pass 2: 2,000 scans in 136 KB, 16.5 s)."""
    out = io.BytesIO()
    Image.new("L", (400, 300), 255).save(out, "JPEG", progressive=True, quality=90)
    data = out.getvalue()
    scan = data[data.rindex(b"\xff\xda") : -2]
    length = 2 + n * len(scan)
    return data[:-2] + b"\xff\xff\x00" + length.to_bytes(2, "big") + scan * n + b"\xff\xd9"


def test_scans_hidden_behind_a_stuffed_zero_are_counted(client: TestClient) -> None:
    with pytest.raises(ImageInputError, match="scans"):
        check_upload(hidden_scans(300))
    started = time.monotonic()
    r, _ = upload(client, hidden_scans(300))
    assert r.status_code == 422 and "scans" in r.json()["detail"][0]["msg"], r.text[:300]
    assert time.monotonic() - started < FAST


def test_only_the_main_images_scans_count() -> None:
    """libjpeg's progressive color JPEG has 10 scans. A JPEG inside an APP1 segment (an EXIF
    thumbnail) is never decoded here, so its scans do not count, however many."""
    photo = encoded(digit(600).convert("RGB"), "JPEG", progressive=True)
    assert photo.count(b"\xff\xda") == 10
    thumb = scan_bomb(2 * MAX_JPEG_SCANS, side=64)
    app1 = b"\xff\xe1" + struct.pack(">H", 2 + 6 + len(thumb)) + b"Exif\0\0" + thumb
    assert check_upload(photo[:2] + app1 + photo[2:]) == "JPEG"
    with pytest.raises(ValueError, match="scans"):
        check_upload(scan_bomb(MAX_JPEG_SCANS, side=64))


def test_other_formats_are_refused_before_pillow() -> None:
    tiff = encoded(digit(28), "TIFF")
    with pytest.raises(ValueError) as info:
        check_upload(tiff)
    assert info.value.status == 415
    # As people write the formats (page pass 14: "not a PNG, JPEG, WEBP, GIF, BMP image").
    assert str(info.value) == "the file is not a PNG, JPEG, WebP, GIF or BMP image"


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        (b"zTXt", b"Comment\x00\x00" + zlib.compress(b"a" * 2_000_000)),
        (b"iCCP", b"profile\x00\x00" + zlib.compress(b"a" * 2_000_000)),
    ],
)
def test_a_png_with_large_metadata_is_read(client: TestClient, kind: bytes, payload: bytes) -> None:
    """Pillow refuses text and colour profiles over 1 MB decompressed, so such a PNG (a screenshot
    tool's, an editor's) got 415 'unreadable'; its metadata is now cut out before decoding."""
    plain = encoded(digit(28), "PNG")
    at = plain.index(b"IDAT") - 4
    r, took = upload(client, plain[:at] + png_chunk(kind, payload) + plain[at:])
    assert r.status_code == 200, r.text[:300]
    same, _ = upload(client, plain)
    assert r.json()["mu"] == same.json()["mu"] and took < FAST


def test_a_broken_png_says_why(client: TestClient) -> None:
    """A file Pillow cannot open answered only 'unreadable'; now with the decoder's reason."""
    r, _ = upload(client, b"\x89PNG\r\n\x1a\n" + b"x" * 50)
    assert r.status_code == 422, r.text[:300]  # a PNG, broken: not an unsupported type (415)
    assert r.json()["detail"][0]["msg"] == "the PNG file could not be read: Truncated File Read"


def exif_png(exif: bytes) -> bytes:
    plain = encoded(digit(28), "PNG")
    at = plain.index(b"IDAT") - 4
    return plain[:at] + png_chunk(b"eXIf", exif) + plain[at:]


@pytest.mark.parametrize(
    "data",
    [
        exif_png(b"II*\x00"),  # a TIFF header and no directory: Pillow raised struct.error
        encoded(digit(28), "WEBP", lossless=True, exif=b"Exif\x00\x00II*\x00"),
    ],
    ids=["png", "webp"],
)
def test_a_broken_exif_block_is_ignored_not_a_500(client: TestClient, data: bytes) -> None:
    r, _ = upload(client, data)
    assert r.status_code == 200, r.text[:300]
    assert r.json()["mu"] == upload(client, encoded(digit(28), "PNG"))[0].json()["mu"]


@pytest.mark.filterwarnings("ignore::UserWarning")  # pytest re-arms what the server silences
def test_exif_full_of_broken_tags_is_quiet_and_quick(client: TestClient, tmp_path) -> None:
    """65,535 tags pointing past the file: Pillow warned once per tag, 13 MB of log and 1.5 s
    per upload (hostile pass 3). Decoded in a fresh interpreter, as the server does (pytest would
    catch the warnings itself): nothing is written to stderr."""
    n = 65535
    entries = b"".join(struct.pack("<HHII", t, 1, 10_000_000, 8) for t in range(n))
    data = exif_png(b"II*\x00\x08\x00\x00\x00" + struct.pack("<H", n) + entries + b"\0" * 4)
    path = tmp_path / "flood.png"
    path.write_bytes(data)
    code = (
        "import sys; from latent_explorer.server.preprocess import preprocess_upload; "
        "preprocess_upload(open(sys.argv[1], 'rb').read(), 10**7)"
    )
    run = subprocess.run(
        [sys.executable, "-W", "default", "-c", code, str(path)], capture_output=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-500:]
    assert len(run.stderr) < 10_000, len(run.stderr)
    r, took = upload(client, data)
    assert r.status_code == 200 and took < FAST, r.text[:300]


def test_a_pngs_xmp_orientation_survives_the_metadata_cut() -> None:
    """Text chunks are cut before decoding, but not a small one with XMP or EXIF: ImageMagick and
    others store the orientation there (review of the cut)."""
    img = Image.new("L", (56, 28), 0)
    img.paste(255, (4, 10, 52, 18))  # a horizontal bar
    plain = encoded(img, "PNG")
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-'
        b'rdf-syntax-ns#"><rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
        b'tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>'
    )
    at = plain.index(b"IDAT") - 4
    turned = plain[:at] + png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + xmp) + plain[at:]
    flat = preprocess_upload(plain, 10**7, mnist=False)
    upright = preprocess_upload(turned, 10**7, mnist=False)
    ink = lambda a: ((a.max(1) > 0.5).sum(), (a.max(0) > 0.5).sum())  # noqa: E731
    rows, cols = ink(flat)
    assert rows < cols and ink(upright) == (cols, rows)  # the bar stands upright


@pytest.mark.parametrize("kind", [b"iTXt", b"zTXt"])
def test_a_kept_text_chunk_that_inflates_past_pillows_limit_is_cut(
    client: TestClient, kind: bytes
) -> None:
    """A 2 KB chunk named as XMP, kept for the orientation it may hold, inflated to 2 MB and
    Pillow refused the whole picture, in its own words ("MAX_TEXT_CHUNK"; hostile pass 12)."""
    plain = encoded(digit(28), "PNG")
    at = plain.index(b"IDAT") - 4
    packed = zlib.compress(b" " * 2_000_000, 9)
    head = b"XML:com.adobe.xmp\0" + (b"\x01\x00\0\0" if kind == b"iTXt" else b"\x00")
    r, took = upload(client, plain[:at] + png_chunk(kind, head + packed) + plain[at:])
    assert r.status_code == 200, r.text[:300]
    assert r.json()["mu"] == upload(client, plain)[0].json()["mu"] and took < FAST


def test_a_chunk_cut_for_its_size_leaves_room_for_a_later_orientation() -> None:
    """One chunk too big to keep used up the whole allowance, and a small one after it, holding
    the orientation, was cut too (review)."""
    img = Image.new("L", (56, 28), 0)
    img.paste(255, (4, 10, 52, 18))  # a horizontal bar
    plain = encoded(img, "PNG")
    at = plain.index(b"IDAT") - 4
    big = b"XML:com.adobe.xmp\0\x01\x00\0\0" + zlib.compress(b" " * 2_000_000, 9)
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-'
        b'rdf-syntax-ns#"><rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
        b'tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>'
    )
    small = png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + xmp)
    turned = plain[:at] + png_chunk(b"iTXt", big) + small + plain[at:]
    ink = lambda a: ((a.max(1) > 0.5).sum(), (a.max(0) > 0.5).sum())  # noqa: E731
    rows, cols = ink(preprocess_upload(plain, 10**7, mnist=False))
    assert ink(preprocess_upload(turned, 10**7, mnist=False)) == (cols, rows)  # upright


@pytest.mark.parametrize("keep", [20, 33, 40, 45, 50])
def test_a_png_cut_short_is_a_422_saying_so(client: TestClient, keep: int) -> None:
    """Its magic bytes say PNG: cut after the header it was a 415 "not a PNG, ... image"."""
    whole = encoded(Image.new("L", (SIDE, SIDE)), "PNG")
    r, _ = upload(client, whole[:keep])
    assert r.status_code == 422, r.text
    assert "truncated" in r.text or "could not be read" in r.text, r.text


def test_an_uploads_label_and_mask_are_checked_before_its_picture(
    client: TestClient, monkeypatch
) -> None:
    """A label the model cannot take, or a mask it cannot use, was refused only after the picture
    was decoded (0.14 s for 12 Mpx), and a blank picture's "no ink" hid the label's fault
    (hostile pass 12)."""
    blank = encoded(Image.new("L", (SIDE, SIDE)), "PNG")
    r, _ = upload(client, blank, label="3")  # a VAE takes no label
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "label"], r.text
    r = client.post(
        "/api/models/cvae-mnist-z2/encode", files={"image": ("x", blank)}, data={"label": "10"}
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "label"], r.text
    from latent_explorer.server.routes import complete as complete_route

    def no_decoding(*args):
        raise AssertionError("the picture was decoded")

    monkeypatch.setattr(complete_route, "load_upload", no_decoding)
    r, _ = upload(client, encoded(digit(SIDE), "PNG"), "complete", mask="no-such-region")
    assert r.status_code == 422 and "mask" in str(r.json()["detail"][0]["loc"]), r.text
