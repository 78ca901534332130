"""Cheap requests beside big JSON answers (hostile pass 10): p50/p90/max of /api/health while one
client asks, back to back, for `generate` of 1024 images as logits (a 42-byte body, a 7.5 MB
answer). Where FastAPI checked and wrote such an answer on the event loop, every other request
waited behind it. Starts `latent-explorer serve` (one worker, CPU); bounded: one client, one
probe, --duration seconds, loopback only. Run it on two checkouts to compare them.
Usage: python bench/big_answer_stall.py [--duration 10] [--output logits]
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from heavy_flood import probe

from latent_explorer.harness import running_server

ROOT = Path(__file__).resolve().parents[1]


def flood(url: str, body: bytes, stop: threading.Event, sizes: list) -> None:
    """Ask for the big answer again as soon as the last one is read."""
    where = urlsplit(url)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
    while not stop.is_set():
        conn.request("POST", where.path, body, {"content-type": "application/json"})
        sizes.append(len(conn.getresponse().read()))
    conn.close()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--output", default="logits", choices=["logits", "probs", "png"])
    args = p.parse_args()
    body = json.dumps({"n": 1024, "output": args.output, "seed": 1}).encode()
    with running_server(ROOT / "checkpoints") as server:
        stop = threading.Event()
        health: list[float] = []
        errors: list[str] = []
        sizes: list[int] = []
        url = f"{server.url}/api/models/vae-mnist-z2/generate"
        threads = [
            threading.Thread(target=flood, args=(url, body, stop, sizes)),
            threading.Thread(
                target=probe, args=(lambda: f"{server.url}/api/health", stop, health, errors)
            ),
        ]
        for t in threads:
            t.start()
        time.sleep(args.duration)
        stop.set()
        for t in threads:
            t.join()
    print(
        f"generate n=1024 {args.output}, one client, {args.duration:g} s: {len(sizes)} answers "
        f"of {sizes[0] / 1e6:.2f} MB"
    )
    ms = np.array(health) * 1000
    p50, p90 = np.percentile(ms, [50, 90])
    print(
        f"GET /api/health n={len(ms)}  p50 {p50:.1f} ms  p90 {p90:.1f} ms  max {ms.max():.1f} ms  "
        f"failed {len(errors)}"
    )


if __name__ == "__main__":
    main()
