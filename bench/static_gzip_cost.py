"""CPU per gzip HEAD of a static file, in-process (the app and the test client in one process):
the figure behind README's "a static file's gzip body is made once". Run it on two checkouts to
compare them. Usage: python bench/static_gzip_cost.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from fastapi.testclient import TestClient

from latent_explorer.server import Settings, create_app

ROOT = Path(__file__).resolve().parents[1]
PATHS = ("/docs-assets/swagger-ui-bundle.js", "/assets/js/main.js")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    app = create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))
    gz = {"Accept-Encoding": "gzip"}
    with TestClient(app, base_url="http://127.0.0.1") as client:
        for path in PATHS:
            client.head(path, headers=gz)  # the first may compress and keep it
            start = time.process_time()
            for _ in range(args.repeat):
                r = client.head(path, headers=gz)
            took = (time.process_time() - start) / args.repeat * 1000
            length = r.headers.get("content-length", "none (chunked)")
            print(
                f"{path}: {r.status_code} {r.headers.get('content-encoding')} length {length}, "
                f"{took:.1f} ms CPU per HEAD ({args.repeat} HEADs)"
            )


if __name__ == "__main__":
    main()
