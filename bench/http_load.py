"""Load test of the service with wrk on 127.0.0.1: req/s and p50/p99 per endpoint, one run.

Starts `latent-explorer serve` (one uvicorn worker, CPU) on a free loopback port, then runs wrk
against /api/health, decode.png (a fresh random z each request, so nothing comes from the server's
PNG cache; then one repeated URL, which does),
POST decode, grid.png?n=20 and an encode upload. Usage: python bench/http_load.py [--duration 8]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from latent_explorer.harness import running_server

ROOT = Path(__file__).resolve().parents[1]

MODEL = "vae-mnist-z2"

RANDOM_Z = """
math.randomseed(os.time())
request = function()
  local z = string.format("%.4f,%.4f", math.random() * 6 - 3, math.random() * 6 - 3)
  return wrk.format("GET", "/api/models/MODEL/decode.png?z=" .. z)
end
"""
POST_DECODE = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"z": [[0.5, -1.2]], "output": "png"}'
"""
UPLOAD = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=BOUNDARY"
local f = io.open("BODY", "rb")
wrk.body = f:read("*all")
f:close()
"""


def upload_body() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("L", (320, 240), 255)
    ImageDraw.Draw(img).line([(120, 40), (200, 40), (150, 200)], fill=0, width=14)
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=90)
    return (
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="image"; filename="d.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n" + buf.getvalue() + b"\r\n--BOUNDARY--\r\n"
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url: str, connections: int, duration: int, script: str | None, tmp: Path) -> dict:
    # One wrk thread: wrk needs about a core, the server (one worker) gets the other.
    cmd = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{duration}s", "--latency", url]
    if script:
        path = tmp / f"s{abs(hash(script))}.lua"
        path.write_text(script)
        cmd[1:1] = ["-s", str(path)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": ms("50"),
        "p99": ms("99"),
        "non2xx": int(errors.group(1)) if errors else 0,
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--duration", type=int, default=8)
    p.add_argument("--connections", type=int, default=32)
    args = p.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    with running_server(ROOT / "checkpoints") as server:
        base = server.url
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            (tmp / "body").write_bytes(upload_body())
            c, d = args.connections, args.duration
            api = f"{base}/api/models/{MODEL}"
            runs = [
                ("GET /api/health", f"{base}/api/health", c, None),
                ("GET decode.png (random z)", base, c, RANDOM_Z.replace("MODEL", MODEL)),
                ("GET decode.png (same z)", f"{api}/decode.png?z=0.5,-1.2", c, None),
                ("POST decode (png)", f"{api}/decode", c, POST_DECODE),
                ("GET grid.png?n=20", f"{api}/grid.png?n=20", c, None),
                ("GET grid.png?n=20, 1 conn", f"{api}/grid.png?n=20", 1, None),
                (
                    "POST encode (JPEG upload)",
                    f"{api}/encode",
                    c,
                    UPLOAD.replace("BODY", str(tmp / "body")),
                ),
            ]
            results = {}
            print(f"wrk (1 thread) {d}s per row, one uvicorn worker on the CPU, 127.0.0.1")
            print(
                f"{'endpoint':30} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
                f"{'non-2xx':>7} {'server CPU us/req':>17}"
            )
            for name, url, conns, script in runs:
                cpu0 = cpu_seconds(server.pid)
                r = wrk(url, conns, d, script, tmp)
                r["cpu_us"] = 1e6 * (cpu_seconds(server.pid) - cpu0) / (r["rps"] * d)
                results[name] = r
                print(
                    f"{name:30} {conns:5d} {r['rps']:9,.0f} {r['p50']:8.2f} {r['p99']:8.2f} "
                    f"{r['non2xx']:7d} {r['cpu_us']:17.0f}",
                    flush=True,
                )
        ratio = results["GET decode.png (random z)"]["rps"] / results["GET /api/health"]["rps"]
        print(f"decode.png / health req/s: {ratio:.2f} (target >= 0.6)")
        print(
            f"grid.png?n=20 p50 at 1 connection: "
            f"{results['GET grid.png?n=20, 1 conn']['p50']:.2f} ms (target <= 15)"
        )


if __name__ == "__main__":
    main()
