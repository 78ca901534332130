"""Hostile HTTP input against a running server (loopback only), bounded in count and time.

    python bench/attack.py [--port 8123] [--pid PID]

Sends a few hundred malformed requests to every route and prints a table of statuses per
endpoint, then every finding: a 5xx, a hang (> 5 s), a big answer (> 1 MB) to a small request,
an echo of over 40 characters of a marker we sent, a connection reset, and the server's RSS
growth (from /proc, with --pid). Exits 1 when there is a finding.
"""

from __future__ import annotations

import argparse
import io
import json
import socket
import struct
import time
import zlib
from collections import Counter, defaultdict
from urllib.parse import quote

import numpy as np
from PIL import Image

MARK = "Qj" * 120  # 240 chars; an echo of 41+ of them is a finding
ECHO = MARK[:41].encode()
HANG_S, BIG = 5.0, 1 << 20
DEADLINE_S = 240.0  # the whole run


class Attack:
    def __init__(self, port: int, pid: int | None) -> None:
        self.port, self.pid = port, pid
        self.stats: dict[str, Counter] = defaultdict(Counter)
        self.findings: list[str] = []
        self.rss0 = self.rss()
        self.rss_max = self.rss0
        self.start = time.monotonic()
        self.sent = 0

    def rss(self) -> int:
        if self.pid is None:
            return 0
        for line in open(f"/proc/{self.pid}/status"):
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
        return 0

    def raw(self, group: str, data: bytes, small: bool = True, pace: float = 0.0) -> int:
        """Send raw bytes (in pieces `pace` seconds apart if given), read the answer."""
        if time.monotonic() - self.start > DEADLINE_S:
            return -1
        self.sent += 1
        t0 = time.monotonic()
        status, body = -1, b""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=HANG_S + 1) as s:
                if pace:
                    for i in range(0, len(data), 64):
                        s.sendall(data[i : i + 64])
                        time.sleep(pace)
                else:
                    s.sendall(data)
                buf = b""
                while True:
                    piece = s.recv(1 << 16)
                    if not piece:
                        break
                    buf += piece
                    if b"\r\n\r\n" in buf:
                        head, _, rest = buf.partition(b"\r\n\r\n")
                        status = int(head.split(b" ", 2)[1])
                        length = None
                        for h in head.split(b"\r\n")[1:]:
                            k, _, v = h.partition(b":")
                            if k.strip().lower() == b"content-length":
                                length = int(v)
                        chunked = b"transfer-encoding: chunked" in head.lower()
                        if data.startswith(b"HEAD") or status in (204, 304):
                            body = rest
                            break
                        if length is not None and len(rest) >= length:
                            body = rest[:length]
                            break
                        if chunked and rest.endswith(b"0\r\n\r\n"):
                            body = rest
                            break
        except TimeoutError:
            self.findings.append(f"HANG   {group}: no answer in {HANG_S + 1:.0f} s")
        except ConnectionResetError:
            self.findings.append(f"RESET  {group}")
        except (ValueError, IndexError):
            self.findings.append(f"GARBLED {group}: {buf[:80]!r}")
        dt = time.monotonic() - t0
        self.stats[group][status] += 1
        if status >= 500:
            self.findings.append(f"{status}    {group}: {body[:160]!r}")
        if dt > HANG_S and not pace:
            self.findings.append(f"SLOW   {group}: {dt:.1f} s")
        if small and len(body) > BIG:
            self.findings.append(f"BIG    {group}: {len(body)} bytes")
        if 400 <= status < 500 and not data.startswith(b"HEAD") and not shape_ok(body):
            self.findings.append(f"SHAPE  {group} {status}: {body[:100]!r}")
        if ECHO in body:
            self.findings.append(f"ECHO   {group}: {body[:120]!r}")
        self.rss_max = max(self.rss_max, self.rss())
        return status

    def req(
        self,
        group: str,
        method: str,
        path: str,
        body: bytes = b"",
        ctype: str | None = None,
        headers: dict | None = None,
        small: bool = True,
    ) -> int:
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", "Connection: close"]
        if ctype:
            lines.append(f"Content-Type: {ctype}")
        if body or method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(body)}")
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + body
        return self.raw(group, data, small)

    def post_json(self, group: str, path: str, text: str | bytes, **kw) -> int:
        raw = text if isinstance(text, bytes) else text.encode()
        return self.req(group, "POST", path, raw, "application/json", **kw)

    def multipart(self, group: str, path: str, parts: list[tuple], **kw) -> int:
        """parts: (name, filename or None, bytes)."""
        b = "----atk7MA4YWxk"
        out = b""
        for name, filename, data in parts:
            disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
            out += f"--{b}\r\nContent-Disposition: {disp}\r\n".encode("utf-8", "replace")
            if filename:
                out += b"Content-Type: application/octet-stream\r\n"
            out += b"\r\n" + data + b"\r\n"
        out += f"--{b}--\r\n".encode()
        return self.req(group, "POST", path, out, f"multipart/form-data; boundary={b}", **kw)


def shape_ok(body: bytes) -> bool:
    """The one error shape: {"detail": [{"loc", "msg", "type"}, ...]}."""
    try:
        detail = json.loads(body)["detail"]
        return bool(detail) and all({"loc", "msg", "type"} <= set(d) for d in detail)
    except (ValueError, KeyError, TypeError):
        return False


def png_bytes(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=kw.pop("format", "PNG"), **kw)
    return buf.getvalue()


def bomb_png(side: int) -> bytes:
    """A 1-bit grayscale PNG claiming side x side, its IDAT a tiny compressed run of zeros."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def digit_image(side: int = 280) -> Image.Image:
    img = Image.new("L", (side, side), 255)
    arr = np.array(img)
    arr[side // 5 : -side // 5, side // 2 - side // 20 : side // 2 + side // 20] = 0
    return Image.fromarray(arr)


def images() -> dict[str, bytes]:
    d = digit_image()
    out = {
        "ok": png_bytes(d),
        "1x1": png_bytes(Image.new("L", (1, 1), 0)),
        "1x100000": png_bytes(Image.new("L", (1, 100000), 0)),
        "100000x1": png_bytes(Image.new("L", (100000, 1), 255)),
        "bomb-30k": bomb_png(30000),
        "bomb-3500": bomb_png(3500),
        "16bit": png_bytes(Image.fromarray(np.array(d, dtype=np.uint16) * 257).convert("I;16")),
        "cmyk-jpeg": png_bytes(d.convert("CMYK"), format="JPEG"),
        "palette-trns": png_bytes(d.convert("P"), transparency=0),
        "palette-trns-all": png_bytes(Image.new("P", (40, 40), 0), transparency=0),
        "LA": png_bytes(d.convert("LA")),
        "1bit-bmp": png_bytes(d.convert("1"), format="BMP"),
        "webp": png_bytes(d.convert("RGB"), format="WEBP"),
        "truncated": png_bytes(d)[:300],
        "truncated-jpeg": png_bytes(d.convert("RGB"), format="JPEG")[:400],
        "header-only": png_bytes(d)[:33],
        "not-image": b"%PDF-1.4 " + MARK.encode(),
        "svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "tiff": png_bytes(d, format="TIFF"),
        "ico": png_bytes(d.convert("RGBA").resize((32, 32)), format="ICO"),
        "empty": b"",
    }
    frames = [digit_image(64).rotate(i) for i in range(300)]
    gif = io.BytesIO()
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:], duration=10)
    out["gif-300-frames"] = gif.getvalue()
    exif = Image.Exif()
    exif[0x0112] = 99  # no such orientation
    out["bad-orientation"] = png_bytes(d.convert("RGB"), format="JPEG", exif=exif.tobytes())
    # Orientation as ASCII "six", by hand (Pillow will not write it).
    ifd = b"II*\x00" + struct.pack("<IH", 8, 1) + struct.pack("<HHI", 0x0112, 2, 4) + b"six\x00"
    exif2 = b"Exif\x00\x00" + ifd + struct.pack("<I", 0)
    out["string-orientation"] = png_bytes(d.convert("RGB"), format="JPEG", exif=exif2)
    out["garbage-exif"] = png_bytes(
        d.convert("RGB"), format="JPEG", exif=b"Exif\x00\x00" + b"\xff" * 64
    )
    return out


def run(a: Attack) -> None:
    models = ["vae-mnist-z2", "cvae-mnist-z2", "vae-mnist-z16", "ae-mnist-z2", "m2-mnist-100"]
    models += ["pca-mnist-z2", "completion-mnist"]
    ids = ["nope", "é" * 5, quote("模型"), MARK, "..%2f..%2fetc%2fpasswd", "%00", "a" * 5000]

    # Every route, every method.
    routes = ["/", "/api/health", "/api/models", "/docs", "/openapi.json", "/assets/index.html"]
    for m in models[:3] + ["pca-mnist-z2"]:
        routes += [
            f"/api/models/{m}/{r}"
            for r in (
                "decode",
                "decode.png?z=0,0",
                "generate",
                "encode",
                "grid.png?n=2",
                "atlas",
                "complete",
                "interpolate",
                "decoder.safetensors",
            )
        ]
        routes.append(f"/api/models/{m}")
    for r in routes:
        for method in ("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "TRACE"):
            a.req(f"{method} {r.split('?')[0].split('/')[-1] or '/'}", method, r, small=False)
        a.req(
            "OPTIONS preflight",
            "OPTIONS",
            r,
            headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
        )

    for mid in ids:
        for r in ("decode.png?z=0,0", "atlas", "grid.png", "decoder.safetensors"):
            a.req(f"GET bad-id {r.split('?')[0]}", "GET", f"/api/models/{mid}/{r}")
        a.post_json("POST bad-id decode", f"/api/models/{mid}/decode", '{"z": [[0,0]]}')
        a.req("GET bad-id model", "GET", f"/api/models/{mid}")

    # decoder.safetensors (the in-browser decoder's weights)
    for m in ("vae-mnist-z2", "completion-mnist", "m2-mnist-100", "pca-mnist-z2"):
        for q in ("", "v=" + MARK, "v=", "v=0", "v=%00", "v=a&v=b"):
            a.req(
                "GET decoder.safetensors q",
                "GET",
                f"/api/models/{m}/decoder.safetensors?{q}",
                small=False,
            )
        for inm in ("*", MARK, '"' + "a" * 64 + '", ' * 1000, ",,,,", 'W/"x"'):
            a.req(
                "GET decoder.safetensors etag",
                "GET",
                f"/api/models/{m}/decoder.safetensors",
                headers={"If-None-Match": inm},
                small=False,
            )

    # decode.png queries
    zs = [
        "",
        "0",
        "0,0,0",
        "nan,0",
        "inf,0",
        "1e308,0",
        "-0,-0",
        "1e999,0",
        str(2**64) + ",0",
        "0x10,0",
        "1_0,0",
        "٣,0",
        "0,0,",
        ",",
        MARK,
        "0," * 10000,
        "1e-400,0",
        " 1 , 2 ",
        "true,false",
        "0;0",
        "0%00,0",
        "0\t,0",
    ]
    for m in ("vae-mnist-z2", "cvae-mnist-z2", "ae-mnist-z2", "pca-mnist-z2", "completion-mnist"):
        for z in zs:
            a.req("GET decode.png z", "GET", f"/api/models/{m}/decode.png?z={quote(z)}")
        for q in (
            "label=-1",
            "label=10",
            "label=1.5",
            "label=" + MARK,
            "label=99999999999999999999",
            "scale=0",
            "scale=1000",
            "scale=32",
            "scale=-1",
            "scale=1e3",
            "scale=" + "9" * 5000,
            "label=3&label=4",
            "z=1,1&z=2,2",
            "scale=32&label=3",
        ):
            a.req("GET decode.png q", "GET", f"/api/models/{m}/decode.png?z=0,0&{q}")
    a.req(
        "GET decode.png long-query",
        "GET",
        "/api/models/vae-mnist-z2/decode.png?z=0,0&" + "x=1&" * 4000,
    )
    a.req(
        "GET decode.png long-query", "GET", "/api/models/vae-mnist-z2/decode.png?" + "z=0,0&" * 4000
    )
    a.req(
        "GET decode.png long-query", "GET", "/api/models/vae-mnist-z2/decode.png?z=" + "1" * 70000
    )

    # grid.png
    for q in (
        "n=0",
        "n=10000",
        "n=-1",
        "n=1.5",
        "n=" + MARK,
        "span=1e308",
        "span=0",
        "span=-1",
        "span=nan",
        "span=inf",
        "span=1e-300",
        "dims=0,0",
        "dims=5,99",
        "dims=0,1,2",
        "dims=" + MARK,
        "dims=-1,0",
        "label=-1",
        "label=10",
        "label=1.5",
        "plane=pca",
        "plane=" + MARK,
        "z=nan,0",
        "z=" + MARK,
        "n=64",
        "n=64&span=1000",
        "n=2&n=3",
        "dims=1,0&plane=pca",
        "z=" + "0," * 15 + "0",
    ):
        for m in (
            "vae-mnist-z2",
            "cvae-mnist-z2",
            "vae-mnist-z16",
            "pca-mnist-z2",
            "completion-mnist",
        ):
            a.req("GET grid.png", "GET", f"/api/models/{m}/grid.png?{q}", small=False)
    # atlas
    for q in ("", "dims=0,0", "dims=5,99", "dims=0,1", "dims=15,14", "dims=" + MARK, "dims=1e3,0"):
        for m in (
            "vae-mnist-z2",
            "vae-mnist-z16",
            "completion-mnist",
            "pca-mnist-z2",
            "m2-mnist-100",
        ):
            a.req("GET atlas", "GET", f"/api/models/{m}/atlas?{q}", small=False)

    # JSON bodies
    bodies = [
        "",
        "null",
        "[]",
        "{}",
        "true",
        '"x"',
        "{",
        '{"z":',
        MARK,
        "[" * 5000 + "]" * 5000,
        '{"z": [[0, 0]]}',
        '{"z": [[NaN, 0]]}',
        '{"z": [[Infinity, 0]]}',
        '{"z": [[1e999, 0]]}',
        '{"z": [[1e308, 0]]}',
        '{"z": [[-0.0, -0]]}',
        '{"z": [[true, false]]}',
        '{"z": [[null, 0]]}',
        '{"z": [["0", 0]]}',
        '{"z": [0, 0]}',
        '{"z": [[[0], [0]]]}',
        '{"z": [[0, 0]], "z": [[1]]}',
        '{"z": [[0, 0]], "labels": [-1]}',
        '{"z": [[0, 0]], "labels": [10]}',
        '{"z": [[0, 0]], "labels": [1.5]}',
        '{"z": [[0, 0]], "labels": [true]}',
        '{"z": [[0, 0]], "labels": [3, 4]}',
        '{"z": [[0, 0]], "output": "' + MARK + '"}',
        '{"z": [[0, 0]], "' + MARK + '": 1}',
        '{"z": [[0,0]], "output": "logits"}',
        '{"z": [[' + str(2**64) + ", 0]]}",
        '{"z": ' + json.dumps([[0, 0]] * 1025) + "}",
        '{"z": ' + json.dumps([[0] * 100000]) + "}",
        '{"z": [[0, 0]], "labels": [' + "9" * 5000 + "]}",
        '{"z": [[0, 0]]}\x00',
        '\ufeff{"z": [[0, 0]]}',
        '{"z": [[0, 0]]} {"z": 1}',
        '{"z": [[0' + "0" * 5000 + ", 0]]}",
    ]
    for m in ("vae-mnist-z2", "cvae-mnist-z2", "vae-mnist-z16", "pca-mnist-z2", "completion-mnist"):
        for b in bodies:
            a.post_json("POST decode", f"/api/models/{m}/decode", b)
    gen = [
        '{"n": 0}',
        '{"n": 1025}',
        '{"n": true}',
        '{"n": 1.5}',
        '{"n": 1e999}',
        '{"n": null}',
        '{"n": 2, "label": -1}',
        '{"n": 2, "label": 10}',
        '{"n": 2, "label": 1.5}',
        '{"n": 2, "temperature": 0}',
        '{"n": 2, "temperature": 1e308}',
        '{"n": 2, "temperature": NaN}',
        '{"n": 2, "temperature": 10}',
        '{"n": 2, "seed": ' + str(2**64) + "}",
        '{"n": 2, "seed": -1}',
        '{"n": 2, "seed": ' + str(2**63 - 1) + "}",
        '{"n": 1024}',
        '{"n": 1024, "output": "probs"}',
        '{"n": 2, "output": "x"}',
        "",
        "[]",
        "{}",
        '{"n": 2, "seed": 1.0}',
        '{"n": "2"}',
        '{"label": 3}',
    ]
    for m in ("vae-mnist-z2", "cvae-mnist-z2", "m2-mnist-100", "pca-mnist-z2", "completion-mnist"):
        for b in gen:
            a.post_json("POST generate", f"/api/models/{m}/generate", b, small=False)
    interp = [
        '{"start": {"z": [0.3, 0.7]}, "end": {"z": [-0.3, -0.7]}, "method": "slerp"}',
        '{"start": {"z": [0, 0]}, "end": {"z": [0, 0]}, "method": "slerp"}',
        '{"start": {"z": [1e-300, 0]}, "end": {"z": [-1e-300, 0]}, "method": "slerp"}',
        '{"start": {"z": [1000, 1000]}, "end": {"z": [-1000, -1000]}, "method": "slerp",'
        ' "steps": 64}',
        '{"start": {"z": [0, 0]}, "end": {"z": [1, 1]}, "steps": 1}',
        '{"start": {"z": [0, 0]}, "end": {"z": [1, 1]}, "steps": 65}',
        '{"start": {"z": [0, 0]}, "end": {"z": [1, 1]}, "steps": true}',
        '{"start": {"z": [0, 0]}, "end": {"z": [1, 1]}, "method": "' + MARK + '"}',
        '{"start": {"z": [0, 0], "pixels": [0]}, "end": {"z": [1, 1]}}',
        '{"start": {"pixels": ' + json.dumps([0.0] * 784) + '}, "end": {"z": [1, 1]}}',
        '{"start": {"pixels": ' + json.dumps([[0.5] * 28] * 28) + '}, "end": {"z": [1, 1]}}',
        '{"start": {"pixels": '
        + json.dumps([[0.5] * 28] * 27 + [[0.5]])
        + '}, "end": {"z": [1, 1]}}',
        '{"start": {"pixels": [2]}, "end": {"z": [1, 1]}}',
        '{"start": {}, "end": {}}',
        '{"start": null, "end": {"z": [1, 1]}}',
        '{"start": [0, 0], "end": [1, 1]}',
        '{"start": {"z": [0, 0]}, "end": {"z": [1, 1]}, "label": 10}',
    ]
    for m in ("vae-mnist-z2", "cvae-mnist-z2", "vae-mnist-z16", "pca-mnist-z2", "completion-mnist"):
        for b in interp:
            a.post_json("POST interpolate", f"/api/models/{m}/interpolate", b)
    enc = [
        '{"pixels": ' + json.dumps([0.0] * 784) + "}",
        '{"pixels": ' + json.dumps([0.0] * 784) + ', "preprocess": "mnist"}',
        '{"pixels": ' + json.dumps([1.0] + [0.0] * 783) + ', "preprocess": "mnist"}',
        '{"pixels": ' + json.dumps([1.0] + [0.0] * 782 + [1.0]) + ', "preprocess": "mnist"}',
        '{"pixels": ' + json.dumps([1.0] * 784) + ', "preprocess": "mnist"}',
        '{"pixels": ' + json.dumps([[1.0] * 28] * 28) + ', "preprocess": "' + MARK + '"}',
        '{"pixels": ' + json.dumps([0.5] * 785) + "}",
        '{"pixels": [NaN]}',
        '{"pixels": ' + json.dumps([[0.5] * 28] * 28 + [[]]) + "}",
        '{"pixels": "' + MARK + '"}',
        '{"pixels": ' + json.dumps([0.5] * 784) + ', "label": 10}',
        '{"pixels": ' + json.dumps([0.5] * 784) + ', "label": 3}',
        "{}",
        "",
    ]
    for m in (
        "vae-mnist-z2",
        "cvae-mnist-z2",
        "m2-mnist-100",
        "pca-mnist-z2",
        "completion-mnist",
        "ae-mnist-z2",
    ):
        for b in enc:
            a.post_json("POST encode json", f"/api/models/{m}/encode", b)
    comp = [
        '{"pixels": ' + json.dumps([0.5] * 784) + ', "mask": "left-half"}',
        '{"pixels": ' + json.dumps([0.5] * 784) + ', "mask": "' + MARK + '"}',
        '{"pixels": ' + json.dumps([0.5] * 784) + ', "mask": [[1, 0], [1]]}',
        '{"pixels": ' + json.dumps([0.5] * 784) + ', "mask": ' + "[" * 3000 + "]" * 3000 + "}",
        '{"pixels": ' + json.dumps([0.5] * 784) + ', "mask": {"quadrants": [0, 0]}}',
        '{"pixels": ' + json.dumps([0.5] * 784) + ', "mask": {"quadrants": [4]}}',
        '{"pixels": ' + json.dumps([0.5] * 784) + ', "mask": {"quadrants": []}}',
        '{"pixels": ' + json.dumps([0.5] * 784) + ', "mask": {"quadrants": [0,1,2,3]}}',
        '{"pixels": ' + json.dumps([0.5] * 784) + ', "mask": ' + json.dumps([1] * 784) + "}",
        '{"pixels": ' + json.dumps([0.5] * 784) + ', "mask": ' + json.dumps([2] * 784) + "}",
        '{"pixels": ' + json.dumps([0.5] * 784) + ', "mask": ' + json.dumps([[1] * 784]) + "}",
        '{"pixels": '
        + json.dumps([0.5] * 784)
        + ', "mask": '
        + json.dumps([[[1] * 28] * 28])
        + "}",
        '{"pixels": ' + json.dumps([0.5] * 784) + ', "mask": "left-half", "n": 65}',
        '{"pixels": ' + json.dumps([0.5] * 784) + ', "mask": "left-half", "n": 64}',
        '{"pixels": '
        + json.dumps([0.5] * 784)
        + ', "mask": "left-half", "seed": '
        + str(2**64)
        + "}",
        '{"pixels": ' + json.dumps([0.5] * 784) + ', "mask": null}',
        "{}",
        "",
        "[]",
    ]
    for m in ("completion-mnist", "vae-mnist-z2"):
        for b in comp:
            a.post_json("POST complete json", f"/api/models/{m}/complete", b)

    # Uploads
    imgs = images()
    for name, data in imgs.items():
        for m in ("vae-mnist-z2", "m2-mnist-100", "pca-mnist-z2"):
            a.multipart(
                f"POST encode img:{name}", f"/api/models/{m}/encode", [("image", "x.png", data)]
            )
        a.multipart(
            f"POST complete img:{name}",
            "/api/models/completion-mnist/complete",
            [("image", "x.png", data), ("mask", None, b"left-half")],
        )
    ok = imgs["ok"]
    forms = [
        [],
        [("image", None, ok)],
        [("image", "a.png", ok), ("image", "b.png", ok)],
        [("image", "a" * 60000 + ".png", ok)],
        [("image", MARK, ok)],
        [("other", "x.png", ok)],
        [("image", "x.png", ok), ("label", None, b"10")],
        [("image", "x.png", ok), ("label", None, b"1.5")],
        [("image", "x.png", ok), ("label", None, MARK.encode())],
        [("image", "x.png", ok)] + [(f"f{i}", None, b"1") for i in range(2000)],
        [("image", "x.png", ok), ("image2", "y.png", ok)],
        [("image", "../../etc/passwd", ok)],
        [("image", "x.png\x00.exe", ok)],
    ]
    for parts in forms:
        a.multipart("POST encode form", "/api/models/vae-mnist-z2/encode", parts)
        a.multipart(
            "POST complete form",
            "/api/models/completion-mnist/complete",
            parts + [("mask", None, b"left-half")],
        )
    for mask in [
        b"[[1,0],[1]]",
        b"[" * 1000 + b"]" * 1000,
        b"[" * 100000,
        MARK.encode(),
        b"",
        json.dumps([[1] * 28] * 14 + [[0] * 28] * 14).encode(),
        b'{"quadrants": [0]}',
        b"null",
        b"NaN",
        b"1e999",
        b'"left-half"',
    ]:
        a.multipart(
            "POST complete mask",
            "/api/models/completion-mnist/complete",
            [("image", "x.png", ok), ("mask", None, mask)],
        )
    for extra in [
        (b"n", b"0"),
        (b"n", b"65"),
        (b"n", b"true"),
        (b"seed", str(2**64).encode()),
        (b"seed", b"-1"),
        (b"seed", b"1e3"),
        (b"n", b"9" * 5000),
    ]:
        a.multipart(
            "POST complete form-field",
            "/api/models/completion-mnist/complete",
            [
                ("image", "x.png", ok),
                ("mask", None, b"left-half"),
                (extra[0].decode(), None, extra[1]),
            ],
        )
    # Wrong content types, broken multipart
    for ctype in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=" + "x" * 5000,
        "application/json; charset=utf-32",
        MARK,
        "image/png",
    ):
        for path in ("encode", "complete", "decode", "generate", "interpolate"):
            a.req(
                f"POST ctype {path}",
                "POST",
                f"/api/models/vae-mnist-z2/{path}",
                b'{"z": [[0,0]]}',
                ctype,
            )
    a.req(
        "POST encode broken-multipart",
        "POST",
        "/api/models/vae-mnist-z2/encode",
        b'--b\r\nContent-Disposition: form-data; name="image"; filename="x"\r\n\r\n' + ok,
        "multipart/form-data; boundary=b",
    )
    a.req(
        "POST encode urlencoded",
        "POST",
        "/api/models/vae-mnist-z2/encode",
        b"image=" + b"A" * 1000,
        "application/x-www-form-urlencoded",
    )

    # Body size games: lies, chunked, slow, over the limit.
    host = f"Host: 127.0.0.1:{a.port}\r\n"
    for path in ("decode", "generate", "interpolate", "encode", "complete"):
        p = f"/api/models/vae-mnist-z2/{path}"
        big = b'{"z": [[0,0]], "pad": "' + b"x" * (5 << 20) + b'"}'
        a.raw(
            f"POST {path} CL-over",
            f"POST {p} HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
            f"Content-Length: {len(big)}\r\nConnection: close\r\n\r\n".encode()
            + big[:1000],
        )
        a.raw(
            f"POST {path} CL-short",
            f"POST {p} HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
            "Content-Length: 5\r\nConnection: close\r\n\r\n".encode()
            + b'{"z": [[0,0]]}',
        )
        a.raw(
            f"POST {path} CL-neg",
            f"POST {p} HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
            "Content-Length: -1\r\nConnection: close\r\n\r\n{}".encode(),
        )
        a.raw(
            f"POST {path} CL-huge",
            f"POST {p} HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
            f"Content-Length: {2**64}\r\nConnection: close\r\n\r\n{{}}".encode(),
        )
        a.raw(
            f"POST {path} CL-two",
            f"POST {p} HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
            "Content-Length: 2\r\nContent-Length: 14\r\nConnection: close\r\n\r\n{}".encode(),
        )
        chunk = b"x" * 65536
        chunks = (
            b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(70)) + b"0\r\n\r\n"
        )
        a.raw(
            f"POST {path} chunked-over",
            f"POST {p} HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode()
            + chunks,
        )
        good = b'{"z": [[0,0]]}'
        a.raw(
            f"POST {path} chunked-ok",
            f"POST {p} HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode()
            + b"%x\r\n" % len(good)
            + good
            + b"\r\n0\r\n\r\n",
        )
        a.raw(
            f"POST {path} chunked+CL",
            f"POST {p} HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\nContent-Length: 3\r\nConnection: close\r\n\r\n".encode()
            + b"%x\r\n" % len(good)
            + good
            + b"\r\n0\r\n\r\n",
        )
        a.raw(
            f"POST {path} chunked-bad",
            f"POST {p} HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            "zz\r\nabc\r\n0\r\n\r\n".encode(),
        )
    a.raw(
        "POST decode slow-body",
        f"POST /api/models/vae-mnist-z2/decode HTTP/1.1\r\n{host}"
        "Content-Type: application/json\r\nContent-Length: 14\r\nConnection: close\r\n\r\n"
        '{"z": [[0,0]]}'.encode(),
        pace=0.3,
    )
    # Keep-alive after errors: the next request on the same connection must still be answered.
    pipe = b""
    for path in (
        "decode.png?z=nan,0",
        "decode.png?z=0,0",
        "nope",
        "grid.png?n=0",
        "decode.png?z=0,0",
    ):
        pipe += f"GET /api/models/vae-mnist-z2/{path} HTTP/1.1\r\n{host}\r\n".encode()
    pipe += f"GET /api/health HTTP/1.1\r\n{host}Connection: close\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", a.port), timeout=HANG_S) as s:
        s.sendall(pipe)
        got = b""
        while piece := s.recv(1 << 16):
            got += piece
    answers = got.count(b"HTTP/1.1 ")
    a.stats["GET pipelined (answers)"][answers] += 1
    if answers != 6:
        a.findings.append(f"PIPE   6 pipelined requests after errors got {answers} answers")

    # Host, Origin, static files
    for h in (
        "evil.example",
        "127.0.0.1.evil.example",
        "",
        "localhost:8123:1",
        "[::1]",
        "[::1",
        "LOCALHOST",
        "localhost.",
        MARK,
        "127.0.0.1:" + "9" * 100,
        "127.1",
        "0.0.0.0",
        "%00",
    ):
        a.raw(
            "GET host",
            f"GET /api/health HTTP/1.1\r\nHost: {h}\r\nConnection: close\r\n\r\n".encode(),
        )
    a.raw("GET host-missing", b"GET /api/health HTTP/1.0\r\n\r\n")
    a.raw(
        "GET host-two",
        f"GET /api/health HTTP/1.1\r\n{host}Host: evil.example\r\n"
        "Connection: close\r\n\r\n".encode(),
    )
    for o in ("http://evil.example", "null", MARK, "http://127.0.0.1:" + str(a.port)):
        a.req(
            "POST origin",
            "POST",
            "/api/models/vae-mnist-z2/decode",
            b'{"z": [[0,0]]}',
            "application/json",
            headers={"Origin": o},
        )
        a.multipart(
            "POST origin encode",
            "/api/models/vae-mnist-z2/encode",
            [("image", "x.png", ok)],
            headers={"Origin": o},
        )
    for p in (
        "/assets/../checkpoints/vae-mnist-z2.safetensors",
        "/assets/..%2f..%2fREADME.md",
        "/assets/..%252f..%252fREADME.md",
        "/assets/%2e%2e/%2e%2e/README.md",
        "/assets/....//....//README.md",
        "/assets/..\\..\\README.md",
        "/assets/%00",
        "/assets/js/../../../pyproject.toml",
        "/assets//etc/passwd",
        "/assets/%2fetc%2fpasswd",
        "/assets/" + "a/" * 2000,
        "/assets/" + MARK,
        "/docs-assets/../../../../etc/passwd",
        "/docs-assets/..%2f..%2fetc%2fpasswd",
        "/checkpoints/vae-mnist-z2.safetensors",
        "/api/models/../../checkpoints/x",
        "//etc/passwd",
        "/assets",
        "/assets/",
        "/assets/index.html?" + "a=1&" * 5000,
        "/api/models/%2e%2e%2f%2e%2e%2fpyproject.toml/atlas",
        "/assets/js/main.js%00.png",
        "/assets/\u00e9",
        "/.git/config",
        "/assets/.git/config",
    ):
        st = a.req("GET static", "GET", p, small=False)
        if st == 200 and not p.startswith("/assets/index") and p not in ("/assets", "/assets/"):
            a.findings.append(f"SERVED {p!r} (200)")
    a.req(
        "GET static range", "GET", "/assets/index.html", headers={"Range": "bytes=0-1,2-3," * 500}
    )
    a.req("GET static range", "GET", "/assets/index.html", headers={"Range": "bytes=99999999-"})
    a.req(
        "GET static if-range",
        "GET",
        "/assets/index.html",
        headers={"If-None-Match": MARK, "Range": "bytes=0-"},
    )
    a.raw("GET bad-request-line", b"GET /\x00 HTTP/1.1\r\n" + host.encode() + b"\r\n")
    a.raw(
        "GET bad-request-line",
        b"BREW /api/health HTTP/1.1\r\n" + host.encode() + b"Connection: close\r\n\r\n",
    )
    a.raw(
        "GET huge-header",
        b"GET /api/health HTTP/1.1\r\n" + host.encode() + b"X: " + b"a" * 200000 + b"\r\n\r\n",
    )
    rss, rise = a.rss(), 0
    for _ in range(3):  # 3 x 100 MB of one header line: must be refused early, not held
        try:
            with socket.create_connection(("127.0.0.1", a.port), timeout=HANG_S) as s:
                s.sendall(b"GET /api/health HTTP/1.1\r\n" + host.encode() + b"X: ")
                for _ in range(100):
                    s.sendall(b"a" * (1 << 20))
                rise = max(rise, a.rss() - rss)
        except OSError:
            pass
    a.stats["GET 100MB-header (refused)"][rise < 100] += 1
    if rise > 100:
        a.findings.append(f"MEM    a 100 MB header line grew RSS by {rise} MB")
    a.raw(
        "GET many-headers",
        b"GET /api/health HTTP/1.1\r\n"
        + host.encode()
        + b"".join(b"X-%d: 1\r\n" % i for i in range(5000))
        + b"Connection: close\r\n\r\n",
    )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=8123)
    p.add_argument("--pid", type=int)
    args = p.parse_args()
    a = Attack(args.port, args.pid)
    run(a)
    # Still alive afterwards?
    a.req("GET health-after", "GET", "/api/health")
    print(f"{a.sent} requests in {time.monotonic() - a.start:.0f} s")
    print(f"{'endpoint':44} statuses")
    for group in sorted(a.stats):
        counts = " ".join(f"{s}x{c}" for s, c in sorted(a.stats[group].items()))
        print(f"{group[:44]:44} {counts}")
    if a.pid:
        print(f"server RSS {a.rss0} MB at start, peak {a.rss_max} MB, now {a.rss()} MB")
    print(f"{len(a.findings)} findings")
    for f in a.findings:
        print("  " + f[:300])
    raise SystemExit(1 if a.findings else 0)


if __name__ == "__main__":
    main()
