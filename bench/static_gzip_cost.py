"""CPU per gzip request of a static file (HEAD) and of an atlas (GET, and a revalidating GET),
in-process (the app and the test client in one process): the figures behind README's "a gzip body
is made once". Run it on two checkouts to compare them.
Usage: python bench/static_gzip_cost.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from fastapi.testclient import TestClient

from latent_explorer.server import Settings, create_app

ROOT = Path(__file__).resolve().parents[1]
ATLAS = "/api/models/vae-mnist-z16/atlas"
CASES = (  # method, path, whether to send the tag of the first answer back
    ("HEAD", "/docs-assets/swagger-ui-bundle.js", False),
    ("HEAD", "/assets/js/main.js", False),
    ("GET", ATLAS, False),
    ("GET", ATLAS, True),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    app = create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))
    gz = {"Accept-Encoding": "gzip"}
    with TestClient(app, base_url="http://127.0.0.1") as client:
        for method, path, revalidate in CASES:
            first = client.request(method, path, headers=gz)  # may compress and keep it
            headers = dict(gz)
            if revalidate:
                headers["If-None-Match"] = first.headers.get("etag", '"none"')
            start = time.process_time()
            for _ in range(args.repeat):
                r = client.request(method, path, headers=headers)
            took = (time.process_time() - start) / args.repeat * 1000
            length = r.headers.get("content-length", "none (chunked)")
            print(
                f"{method} {path}{' (If-None-Match)' if revalidate else ''}: {r.status_code} "
                f"{r.headers.get('content-encoding')} length {length}, "
                f"{took:.1f} ms CPU per request ({args.repeat} requests)"
            )


if __name__ == "__main__":
    main()
