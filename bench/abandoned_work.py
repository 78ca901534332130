"""What abandoned heavy requests cost: --count clients each ask for a 64x64 grid.png (4,096
decodes) and hang up at once, as a page does when it moves on. Starts `latent-explorer serve`
(one worker, CPU, one heavy render at a time), sends them, then asks for one grid and stays.
Prints the server's CPU seconds for the whole run (from /proc) and how long the one that stayed
waited. Run it on two checkouts to compare them. Bounded: --count connections, loopback only.
Usage: python bench/abandoned_work.py [--count 30]
"""

from __future__ import annotations

import argparse
import os
import socket
import time
import urllib.request
from pathlib import Path

from latent_explorer.harness import running_server

ROOT = Path(__file__).resolve().parents[1]
MODEL = "vae-mnist-z2"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=30)
    args = parser.parse_args()
    with running_server(ROOT / "checkpoints", env={"LATENT_EXPLORER_MAX_HEAVY": "1"}) as server:
        port = int(server.url.rsplit(":", 1)[1])
        path = f"/api/models/{MODEL}/grid.png?n=64"
        one = f"{server.url}{path}"
        t0 = time.perf_counter()
        urllib.request.urlopen(one, timeout=60).read()
        single = time.perf_counter() - t0
        time.sleep(1.0)
        before = cpu_seconds(server.pid)
        for i in range(args.count):
            # A distinct z per request, as a moving page asks: no cache could answer any of them.
            query = f"{path}&z={i / 100:.2f},0"
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(f"GET {query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        t0 = time.perf_counter()
        urllib.request.urlopen(f"{one}&z=0.5,0.5", timeout=300).read()
        waited = time.perf_counter() - t0
        time.sleep(1.0)
        spent = cpu_seconds(server.pid) - before
    print(
        f"one grid.png?n=64 alone: {single * 1000:.0f} ms; after {args.count} abandoned ones, "
        f"the client that stayed waited {waited * 1000:.0f} ms; server CPU for the "
        f"{args.count} + 1 requests: {spent:.2f} s"
    )


if __name__ == "__main__":
    main()
