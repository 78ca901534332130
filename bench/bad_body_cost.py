"""What a hostile 4 MiB JSON body costs to refuse, in-process (the app and the test client in one
process): seconds and the process's peak RSS for bodies whose every value or key is bad, or
whose arrays of valid values are far too long, the figures behind README's "many bad values are
one error" and "an array too long for its field". Run it on two checkouts to compare them.
Usage: python bench/bad_body_cost.py [--case N] (one case per process: the peak RSS is the
process's own, so an earlier case's peak would hide a later one's)
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from fastapi.testclient import TestClient

from latent_explorer.server import Settings, create_app

ROOT = Path(__file__).resolve().parents[1]
CASES = {  # name: (route, body), each under the 4 MiB body limit
    "2.09M pixels of 2 (/encode)": (
        "vae-mnist-z2/encode",
        b'{"pixels":[' + b",".join([b"2"] * 2_090_000) + b"]}",
    ),
    "one z row of 800k values of 2e3 (/decode)": (
        "vae-mnist-z2/decode",
        b'{"z":[[' + b",".join([b"2e3"] * 800_000) + b"]]}",
    ),
    "350k unknown keys (/decode)": (
        "vae-mnist-z2/decode",
        b"{" + b",".join(b'"k%d":0' % i for i in range(350_000)) + b',"z":[[0,0]]}',
    ),
    # Valid values, too many of them (hostile pass 10): refused on the length, or after
    # validating every item.
    "2.09M pixels of 0 (/encode, takes 784)": (
        "vae-mnist-z2/encode",
        b'{"pixels":[' + b",".join([b"0"] * 2_090_000) + b"]}",
    ),
    "2.09M labels of 0 (/decode, takes 1024)": (
        "cvae-mnist-z2/decode",
        b'{"z":[[0,0]],"labels":[' + b",".join([b"0"] * 2_090_000) + b"]}",
    ),
    "start.z of 2.09M zeros (/interpolate, takes 4096)": (
        "vae-mnist-z2/interpolate",
        b'{"start":{"z":[' + b",".join([b"0"] * 2_090_000) + b']},"end":{"z":[0,0]}}',
    ),
    "28 pixel rows of 74k zeros (/encode)": (
        "vae-mnist-z2/encode",
        b'{"pixels":[' + b",".join([b"[" + b",".join([b"0"] * 74_000) + b"]"] * 28) + b"]}",
    ),  # The length of a z row is the model's latent size, checked in the route after validation.
    "one z row of 2.09M zeros (/decode)": (
        "vae-mnist-z2/decode",
        b'{"z":[[' + b",".join([b"0"] * 2_090_000) + b"]]}",
    ),
    "1024 z rows of 2040 zeros (/decode)": (
        "vae-mnist-z2/decode",
        b'{"z":[' + b",".join([b"[" + b",".join([b"0"] * 2040) + b"]"] * 1024) + b"]}",
    ),
}


def peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", type=int, choices=range(len(CASES)), help="only this one")
    args = parser.parse_args()
    app = create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))
    json_type = {"content-type": "application/json"}
    with TestClient(app, base_url="http://127.0.0.1") as client:
        client.get("/api/health")
        for k, (name, (route, body)) in enumerate(CASES.items()):
            if args.case is not None and k != args.case:
                continue
            before = peak_mb()
            start = time.perf_counter()
            r = client.post(f"/api/models/{route}", content=body, headers=json_type)
            took = time.perf_counter() - start
            print(
                f"{name}, {len(body) / 2**20:.2f} MiB: {r.status_code} in {took:.2f} s, "
                f"peak RSS {before} -> {peak_mb()} MB, {len(r.json()['detail'])} error(s) listed"
            )


if __name__ == "__main__":
    main()
