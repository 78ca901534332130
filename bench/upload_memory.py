"""Peak memory of concurrent large uploads, and /api/health answering meanwhile (issue 13).

Starts `latent-explorer serve` with the pixel limit raised to 4096x4096 (the default refuses such
uploads unread, which would measure nothing), warms it with one small upload, resets the
kernel's peak-RSS mark of the server (/proc/PID/clear_refs), then posts N copies at once of a
~70 KB 4096x4096 RGBA PNG (a digit drawn on a transparent canvas) while a probe asks
/api/health every 50 ms. Prints the peak RSS rise (VmHWM - RSS before) and the probe's worst
latency; exits 1 if the rise is over the target or a probe failed. Bounded: one round.
Usage: python bench/upload_memory.py [--uploads 8] [--target-mb 300]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import threading
import time
import urllib.request
from pathlib import Path

from PIL import Image, ImageDraw

from latent_explorer.harness import running_server

ROOT = Path(__file__).resolve().parents[1]
MODEL = "vae-mnist-z2"
SIDE = 4096


def big_png() -> bytes:
    img = Image.new("RGBA", (SIDE, SIDE), (0, 0, 0, 0))
    ImageDraw.Draw(img).line(
        [(1500, 900), (2600, 900), (1900, 3200)], fill=(0, 0, 0, 255), width=180
    )
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def multipart(png: bytes) -> bytes:
    return (
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="image"; filename="d.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + png + b"\r\n--BOUNDARY--\r\n"
    )


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def post(url: str, body: bytes, results: list, i: int) -> None:
    req = urllib.request.Request(
        url, data=body, headers={"Content-Type": "multipart/form-data; boundary=BOUNDARY"}
    )
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            results[i] = r.status
    except urllib.error.HTTPError as exc:
        results[i] = exc.code
    except OSError as exc:
        results[i] = repr(exc)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--uploads", type=int, default=8)
    p.add_argument("--target-mb", type=float, default=300.0)
    args = p.parse_args()
    os.environ["LATENT_EXPLORER_MAX_IMAGE_PIXELS"] = str(SIDE * SIDE)
    png = big_png()
    body = multipart(png)
    with running_server(ROOT / "checkpoints") as server:
        url = f"{server.url}/api/models/{MODEL}/encode"
        warm: list = [None]
        post(url, body, warm, 0)  # first use: lazy imports and allocator pools, not uploads
        time.sleep(0.5)
        before = status_kb(server.pid, "VmRSS")
        Path(f"/proc/{server.pid}/clear_refs").write_text("5")  # VmHWM := current RSS
        probes: list[float] = []
        failures: list[str] = []
        done = threading.Event()

        def probe() -> None:
            while not done.is_set():
                t0 = time.perf_counter()
                try:
                    urllib.request.urlopen(f"{server.url}/api/health", timeout=5).read()
                    probes.append(time.perf_counter() - t0)
                except OSError as exc:
                    failures.append(repr(exc))
                time.sleep(0.05)

        prober = threading.Thread(target=probe)
        prober.start()
        results: list = [None] * args.uploads
        t0 = time.perf_counter()
        threads = [
            threading.Thread(target=post, args=(url, body, results, i)) for i in range(args.uploads)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        done.set()
        prober.join()
        peak = status_kb(server.pid, "VmHWM")
    rise_mb = (peak - before) / 1024
    print(
        f"{args.uploads} concurrent uploads of a {SIDE}x{SIDE} RGBA PNG ({len(png) / 1024:.0f} KB)"
        f": statuses {sorted(set(map(str, results)))} in {elapsed:.2f} s"
    )
    print(
        f"server RSS before {before / 1024:.0f} MB, peak {peak / 1024:.0f} MB: "
        f"rise {rise_mb:.0f} MB (target <= {args.target_mb:.0f})"
    )
    worst = max(probes) * 1000 if probes else float("nan")
    print(
        f"/api/health during the uploads: {len(probes)} answered, {len(failures)} failed, "
        f"worst {worst:.1f} ms"
    )
    ok = rise_mb <= args.target_mb and not failures and all(r == 200 for r in results)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
