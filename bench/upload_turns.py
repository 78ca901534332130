"""One address floods /encode with 16 pictures of 3000x3000; another sends a drawing while they
wait. Prints the drawing alone, the flood's time and the drawing's behind it (hostile pass 15).
Run: PYTHONPATH=. python bench/upload_turns.py"""

import time
from concurrent.futures import ThreadPoolExecutor

from latent_explorer.server import Settings, create_app
from tests.api_helpers import uvicorn_in_thread
from tests.conftest import ROOT
from tests.test_hostile15 import png, timed, upload_from


def main() -> None:
    app = create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))
    big, small = png(3000), png(28)
    with uvicorn_in_thread(app, log_level="error") as port:
        status, took = timed(upload_from, "127.0.0.3", port, small)
        print(f"the drawing alone: status {status}, {took:.3f} s")
        with ThreadPoolExecutor(17) as pool:
            started = time.perf_counter()
            flood = [pool.submit(upload_from, "127.0.0.2", port, big) for _ in range(16)]
            while app.state.uploads.statistics().tasks_waiting < 10:
                time.sleep(0.01)
            other = pool.submit(timed, upload_from, "127.0.0.3", port, small)
            statuses = [f.result() for f in flood]
            took = time.perf_counter() - started
            print(f"the flood: {statuses.count(200)} of 16 answered 200 in {took:.2f} s")
            status, behind = other.result()
            print(f"the drawing behind it: status {status}, {behind:.3f} s")


if __name__ == "__main__":
    main()
