"""Cheap checks on an upload's bytes, before Pillow parses or decodes anything.

An upload's size bounds the work of decoding it only for some encodings. These cost far more
than their bytes suggest, so they are refused from a scan of the bytes (C-speed searches, and
Python loops capped at MAX_BLOCKS steps):
- a progressive JPEG decodes every scan over the whole image: a 26-byte scan repeated 1000 times
  in a 73 KB file cost 7.5 s at 12 Mpx (libjpeg, no way to skip a scan);
- RLE-compressed BMPs decode in a pure-Python loop (a 15 KB file: 1-4 s);
- Pillow reads JPEG markers before the first scan, PNG chunks and GIF blocks before the first
  frame one at a time in Python: 4 MB of empty ones cost 1-2 s.
WebP is parsed and decoded by libwebp, in C, at a cost that follows the pixel count, which
`preprocess.open_image` checks from the header.
"""

from __future__ import annotations

import re
import zlib

MAX_JPEG_SCANS = 32  # baseline: 1; libjpeg's progressive: 6 (gray) or 10 (color); + thumbnails
MAX_BLOCKS = 4096  # markers, chunks or blocks read one by one: a normal file has tens to hundreds
# Markers Pillow reads as frame headers: the start-of-frame ones (C4 is a Huffman table, C8
# reserved, CC arithmetic conditioning) and DHP. A JPEG holds one frame; Pillow appends every
# one's component triples to one list: 63 of 64 KB each made 1.4 million tuples (~120 MB)
# before the picture failed (hostile pass 12; DHP, review).
SOF_MARKERS = (frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}) | {0xDE}
# Markers Pillow reads without a length, as the standalone ones (00, 01, D0-D9) are: skipping a
# length after them would hide from this check what Pillow reads next (review).
NO_LENGTH = frozenset({0x00, 0x01, 0xC8, *range(0xD0, 0xDA), *range(0xF0, 0xFE)})
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# BMP compression field -> name; only 0 (none) and 3 (bit fields, also uncompressed) are taken.
BMP_COMPRESSED = {1: "RLE8", 2: "RLE4", 4: "JPEG", 5: "PNG", 6: "alpha bit fields"}
# The formats `sniff` takes (no other is opened), as people write them, for any other file
# (page pass 14: "image: not a PNG, JPEG, WEBP, GIF, BMP image" under the page's "The image
# could not be encoded").
FORMATS_SAID = "PNG, JPEG, WebP, GIF or BMP"


class ImageInputError(ValueError):
    """An upload that is not a usable image; `status` is the HTTP code to answer with."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def sniff(data: bytes) -> str | None:
    """The accepted format these bytes start like (Pillow's own signatures), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(PNG_SIGNATURE):
        return "PNG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data.startswith(b"BM"):
        return "BMP"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def check_upload(data: bytes) -> str:
    """The upload's format, or ImageInputError if it is not one we take or would be too costly
    to decode (see the module's docstring)."""
    kind = sniff(data)
    if kind is None:
        raise ImageInputError(f"the file is not a {FORMATS_SAID} image", status=415)
    check = {"JPEG": check_jpeg, "PNG": check_png, "GIF": check_gif, "BMP": check_bmp}.get(kind)
    if check is not None:
        check(data)
    return kind


def too_many(what: str) -> ImageInputError:
    return ImageInputError(f"{what} (over {MAX_BLOCKS}): refused, as too slow to read")


def check_jpeg(data: bytes) -> None:
    """At most MAX_BLOCKS markers (or junk bytes, which Pillow steps through one at a time)
    and one frame header before the first scan, and at most MAX_JPEG_SCANS scans from there on."""
    pos, steps, end = 2, 0, len(data)
    first_scan, frames = end, 0
    while pos + 1 < end:
        steps += 1
        if steps > MAX_BLOCKS:
            raise too_many("a JPEG with too many markers before its image data")
        if data[pos] != 0xFF:  # junk between segments
            nxt = data.find(b"\xff", pos)
            steps += (end if nxt < 0 else nxt) - pos
            pos = end if nxt < 0 else nxt
            continue
        marker = data[pos + 1]
        if marker == 0xDA:  # start of scan: libjpeg reads the rest itself
            first_scan = pos
            break
        if marker == 0xFF:  # fill byte
            pos += 1
        elif marker in NO_LENGTH:
            pos += 2
        else:
            frames += marker in SOF_MARKERS
            if frames > 1:
                raise ImageInputError(
                    "a JPEG with more than one frame header (SOF) is not one picture"
                )
            pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    # From the first scan on, walk the markers to the end of the image (FF D9): whatever follows
    # it (a motion photo's video, any trailer) is never decoded, and random bytes there hold
    # FF DA about once in 64 KB. Segments are skipped by their length (a table's payload may
    # hold any bytes); in entropy-coded data every FF is stuffed (FF 00) or a restart marker.
    scans, pos = 0, first_scan
    while pos + 1 < end:
        steps += 1
        if steps > MAX_BLOCKS:
            raise too_many("a JPEG with too many markers")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:  # end of image
            break
        if marker in (0x00, 0x01) or 0xD0 <= marker <= 0xD7:
            # A stuffed zero (libjpeg reads FF FF 00 as one), TEM or a restart: no length to
            # skip by. Reading one here let a fake length hide thousands of scans libjpeg decodes.
            pos = next_marker(data, pos + 2)
            continue
        if marker == 0xDA:
            scans += 1
            if scans > MAX_JPEG_SCANS:
                raise ImageInputError(
                    f"a JPEG with over {MAX_JPEG_SCANS} scans costs too much to decode "
                    "(a progressive JPEG has about 10)"
                )
        pos = next_marker(data, pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big"))


# An FF that starts a marker: not a stuffed zero (FF 00) nor a restart (FF D0-D7), which the
# entropy-coded data holds. Searched in C: a Python walk over them cost 0.6 s for 4 MB of FF 00
# pairs, 8 times a real photo's decode (hostile pass 12).
MARKER_START = re.compile(rb"\xff[^\x00\xd0-\xd7]")


def next_marker(data: bytes, pos: int) -> int:
    """Where the next marker starts at or after `pos`, past entropy-coded data (its stuffed
    FF 00 and restart markers FF D0-D7); len(data) when there is none."""
    found = MARKER_START.search(data, pos)
    return found.start() if found else len(data)


def check_png(data: bytes) -> None:
    """At most MAX_BLOCKS chunks: Pillow reads each (IDAT ones included) in Python."""
    pos, chunks, end = len(PNG_SIGNATURE), 0, len(data)
    while pos + 8 <= end:
        chunks += 1
        if chunks > MAX_BLOCKS:
            raise too_many("a PNG with too many chunks")
        if data[pos + 4 : pos + 8] == b"IEND":
            return
        pos += 12 + int.from_bytes(data[pos : pos + 4], "big")  # length, type, data, CRC


# Metadata Pillow would decompress and keep, none of which a gray 28x28 needs: text (zTXt and
# iCCP over 1 MB decompressed made Pillow refuse the whole picture) and colour profiles. eXIf
# stays, and so do small text chunks that carry EXIF or XMP (ImageMagick writes the orientation
# there, and Pillow reads it from them): the orientation turns the picture upright.
PNG_METADATA = {b"tEXt", b"zTXt", b"iTXt", b"iCCP"}
ORIENTATION_TEXT = {b"Raw profile type exif", b"Raw profile type APP1", b"XML:com.adobe.xmp"}
MAX_KEPT_TEXT = 64 * 1024  # bytes of one such chunk as stored
# Bytes the kept chunks may inflate to, all together: Pillow refuses a whole picture over 1 MB
# of text in one chunk (its MAX_TEXT_CHUNK), and a 2 KB chunk kept for its keyword inflated to
# 2 MB (hostile pass 12). A camera's or an editor's EXIF and XMP are a few KB.
MAX_KEPT_INFLATED = 1024 * 1024


def inflated_size(kind: bytes, payload: bytes, limit: int) -> int:
    """The bytes a zTXt or iTXt chunk's text inflates to (its stored size if not compressed);
    more than `limit` when it would inflate past it, found without inflating further."""
    if kind == b"tEXt":
        return len(payload)
    rest = payload.split(b"\0", 1)[1] if b"\0" in payload else b""
    if kind == b"iTXt":  # compression flag, method, language\0, translated keyword\0, text
        if rest[:1] != b"\x01":
            return len(payload)
        rest = rest[2:].split(b"\0", 2)[-1]
    else:  # zTXt: method, compressed text
        rest = rest[1:]
    inflate = zlib.decompressobj()
    try:
        out = inflate.decompress(rest, limit + 1)
    except zlib.error:
        return len(payload)  # Pillow says what is broken about it
    return len(out)


def without_png_metadata(data: bytes) -> bytes:
    """The PNG with its text and profile chunks cut out, but for small ones that may hold the
    orientation (after check_png, so its chunks are few)."""
    parts, pos, end = [data[: len(PNG_SIGNATURE)]], len(PNG_SIGNATURE), len(data)
    room = MAX_KEPT_INFLATED
    while pos + 8 <= end:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        keyword = data[pos + 8 : pos + 8 + min(length, 80)].split(b"\0", 1)[0]
        orientation = kind != b"iCCP" and keyword in ORIENTATION_TEXT and length <= MAX_KEPT_TEXT
        if orientation:
            size = inflated_size(kind, data[pos + 8 : pos + 8 + length], room)
            orientation = size <= room  # one too big is cut; a later small one still fits
            room -= size if orientation else 0
        if kind not in PNG_METADATA or orientation:
            parts.append(data[pos : pos + 12 + length])
        pos += 12 + length
        if kind == b"IEND":
            break
    return b"".join(parts)


def check_gif(data: bytes) -> None:
    """At most MAX_BLOCKS extension blocks, sub-blocks and stray bytes before the first frame
    (Pillow reads those in Python, a stray byte at a time; the frame itself is decoded in C, and
    later frames are never read)."""
    if len(data) < 13:
        return
    flags, pos, blocks, end = data[10], 13, 0, len(data)
    if flags & 0x80:  # global colour table
        pos += 3 << ((flags & 0x07) + 1)
    while pos < end and data[pos] not in (0x2C, 0x3B):  # to the first image, or the trailer
        if data[pos] != 0x21:  # a stray byte, which Pillow skips one loop at a time
            blocks += 1
            if blocks > MAX_BLOCKS:
                raise too_many("a GIF with too many blocks before its first frame")
            pos += 1
            continue
        pos += 2  # an extension: its label, then sub-blocks to a 0 length
        while pos < end:
            blocks += 1
            if blocks > MAX_BLOCKS:
                raise too_many("a GIF with too many blocks before its first frame")
            size = data[pos]
            pos += 1 + size
            if size == 0:
                break


def check_bmp(data: bytes) -> None:
    """Only uncompressed BMPs: Pillow decodes the RLE ones in a pure-Python loop."""
    if len(data) < 34 or int.from_bytes(data[14:18], "little") < 40:
        return  # too short to say, or an OS/2 1.x header, which has no compression field
    compression = int.from_bytes(data[30:34], "little")
    if compression in BMP_COMPRESSED:
        raise ImageInputError(
            f"{BMP_COMPRESSED[compression]}-compressed BMPs are not accepted (slow to decode): "
            "send an uncompressed BMP, or a PNG",
            status=415,
        )
