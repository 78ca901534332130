"""req/s of `latent-explorer serve --workers N` for N = 1 and 2 (issue 13), wrk on 127.0.0.1.

For each N: start the server, wait until every worker answers, then run wrk (1 thread, 32
connections, --duration seconds a row) on decode.png with a fresh random z per request and on
grid.png?n=20. Bounded: two rows per N, loopback only. On a 2-core machine wrk itself takes
most of a core, so 2 workers cannot double anything here; the point is that they run and how
the numbers move. Usage: python bench/workers.py [--duration 8]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from http_load import MODEL, RANDOM_Z, wrk  # bench/ is the script's folder

from latent_explorer.harness import running_server

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--duration", type=int, default=8)
    p.add_argument("--connections", type=int, default=32)
    args = p.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    print(f"wrk (1 thread) {args.connections} connections, {args.duration}s per row, 127.0.0.1")
    print(f"{'workers':>7} {'endpoint':28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>7}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for workers in (1, 2):
            with running_server(ROOT / "checkpoints", extra_args=["--workers", str(workers)]) as s:
                api = f"{s.url}/api/models/{MODEL}"
                time.sleep(3 * workers)  # the other workers finish loading their models
                for _ in range(20):
                    urllib.request.urlopen(f"{api}/decode.png?z=0,0").read()
                rows = [
                    ("GET decode.png (random z)", s.url, RANDOM_Z.replace("MODEL", MODEL)),
                    ("GET grid.png?n=20", f"{api}/grid.png?n=20", None),
                ]
                for name, url, script in rows:
                    r = wrk(url, args.connections, args.duration, script, tmp)
                    print(
                        f"{workers:7d} {name:28} {r['rps']:9,.0f} {r['p50']:8.2f} "
                        f"{r['p99']:8.2f} {r['non2xx']:7d}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
