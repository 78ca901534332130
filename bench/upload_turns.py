"""One address floods /encode with 16 pictures of 3000x3000; another sends a drawing while they
wait. Prints the drawing alone, the flood's time and the drawing's behind it (hostile pass 15).
Run: PYTHONPATH=. python bench/upload_turns.py"""

from latent_explorer.server import Settings, create_app
from tests.api_helpers import uvicorn_in_thread
from tests.conftest import ROOT
from tests.test_hostile15 import flood_uploads, png, timed, upload_from


def main() -> None:
    app = create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))
    with uvicorn_in_thread(app, log_level="error") as port:
        status, took = timed(upload_from, "127.0.0.3", port, png(28))
        print(f"the drawing alone: status {status}, {took:.3f} s")
        statuses, flood_took, status, behind = flood_uploads(app, port)
        print(f"the flood: {statuses.count(200)} of 16 answered 200 in {flood_took:.2f} s")
        print(f"the drawing behind it: status {status}, {behind:.3f} s")


if __name__ == "__main__":
    main()
