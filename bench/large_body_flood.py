"""/api/health while one client posts large, invalid JSON bodies back to back: how long the
event loop is held by parsing them. Starts `latent-explorer serve` (one worker, CPU); one thread
posts a 3.5 MB body of 300,000 two-number rows (a 422: over the 1,024-row limit) to /decode or
/encode for --duration seconds, while another GETs /api/health, one at a time with a 20 ms pause.
Prints p50/p90/max of the probe. Run it on two checkouts to compare them. Bounded: one client,
loopback only, --duration seconds.
Usage: python bench/large_body_flood.py [--route decode|encode] [--duration 12]
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from latent_explorer.harness import running_server

ROOT = Path(__file__).resolve().parents[1]
MODEL = "vae-mnist-z2"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--route", choices=("decode", "encode"), default="decode")
    parser.add_argument("--duration", type=float, default=12.0)
    args = parser.parse_args()
    body = json.dumps({"z": [[0.1, 0.2]] * 300_000}).encode()
    with running_server(ROOT / "checkpoints") as server:
        stop = threading.Event()
        statuses: list[int] = []

        def flood() -> None:
            url = f"{server.url}/api/models/{MODEL}/{args.route}"
            while not stop.is_set():
                req = urllib.request.Request(url, data=body, method="POST")
                req.add_header("Content-Type", "application/json")
                try:
                    urllib.request.urlopen(req, timeout=30)
                except urllib.error.HTTPError as exc:
                    statuses.append(exc.code)

        thread = threading.Thread(target=flood)
        thread.start()
        time.sleep(1.0)  # the flood under way
        took = []
        end = time.monotonic() + args.duration
        while time.monotonic() < end:
            t0 = time.perf_counter()
            urllib.request.urlopen(f"{server.url}/api/health", timeout=30).read()
            took.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.02)
        stop.set()
        thread.join()
    ms = np.array(took)
    print(
        f"/{args.route} flood ({len(statuses)} bodies, answers {sorted(set(statuses))}): "
        f"/api/health n={len(ms)} p50 {np.percentile(ms, 50):.1f} ms "
        f"p90 {np.percentile(ms, 90):.1f} ms max {ms.max():.1f} ms"
    )


if __name__ == "__main__":
    main()
