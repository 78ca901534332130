"""Cheap endpoints during a grid.png flood (issue 13): p99 of /api/health and decode.png.

Starts `latent-explorer serve` (one worker, CPU), floods GET grid.png?n=20 with wrk (1 thread,
32 connections, --duration seconds), and meanwhile probes /api/health and decode.png (a fresh
random z each time, so no cache hits) from two threads, one request at a time with a 10 ms pause.
Prints p50/p99/max of each probe and the flood's req/s. `--max-heavy N` sets how many heavy
renders run at once (LATENT_EXPLORER_MAX_HEAVY; the default is 1; a large N shows the
unbounded behaviour). Bounded: one flood, loopback only.
Usage: python bench/heavy_flood.py [--duration 10] [--max-heavy 1]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

from latent_explorer.harness import running_server

ROOT = Path(__file__).resolve().parents[1]
MODEL = "vae-mnist-z2"


def probe(url_of, stop: threading.Event, out: list, errors: list) -> None:
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            urllib.request.urlopen(url_of(), timeout=30).read()
            out.append(time.perf_counter() - t0)
        except OSError as exc:
            errors.append(repr(exc))
        time.sleep(0.01)


def summary(name: str, samples: list, errors: list) -> str:
    ms = np.array(samples) * 1000
    return (
        f"{name:22} n={len(ms):5d}  p50 {np.percentile(ms, 50):7.2f} ms  "
        f"p99 {np.percentile(ms, 99):7.2f} ms  max {ms.max():7.2f} ms  failed {len(errors)}"
    )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--max-heavy", type=int, default=1)
    args = p.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    os.environ["LATENT_EXPLORER_MAX_HEAVY"] = str(args.max_heavy)
    with running_server(ROOT / "checkpoints") as server:
        api = f"{server.url}/api/models/{MODEL}"
        rng = random.Random(0)
        stop = threading.Event()
        health: list[float] = []
        decode: list[float] = []
        errors: dict[str, list] = {"health": [], "decode": []}
        probes = [
            threading.Thread(
                target=probe,
                args=(lambda: f"{server.url}/api/health", stop, health, errors["health"]),
            ),
            threading.Thread(
                target=probe,
                args=(
                    lambda: f"{api}/decode.png?z={rng.uniform(-3, 3):.4f},{rng.uniform(-3, 3):.4f}",
                    stop,
                    decode,
                    errors["decode"],
                ),
            ),
        ]
        flood = subprocess.Popen(
            [
                "wrk",
                "-t",
                "1",
                "-c",
                str(args.connections),
                "-d",
                f"{args.duration}s",
                f"{api}/grid.png?n=20",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(0.5)  # the flood is under way
        for t in probes:
            t.start()
        out, _ = flood.communicate(timeout=args.duration + 60)
        stop.set()
        for t in probes:
            t.join()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    print(
        f"grid.png?n=20 flood: wrk 1 thread, {args.connections} connections, {args.duration} s, "
        f"max_heavy={args.max_heavy}: {rps:.0f} req/s"
    )
    print(summary("GET /api/health", health, errors["health"]))
    print(summary("GET decode.png (random)", decode, errors["decode"]))


if __name__ == "__main__":
    main()
