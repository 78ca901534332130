"""An array of valid values that is far too long is refused on its length, before its values are
validated: pydantic checks a max_length only after every item, and 2.09 million zeros in a field
that takes 4096 cost 1.2-1.4 s of CPU to refuse (hostile pass 10). The messages are the ones
given before; only the cost changed."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from latent_explorer.server import Settings, create_app
from tests.conftest import ROOT

VAE, CVAE, COMPLETION = "vae-mnist-z2", "cvae-mnist-z2", "completion-mnist"
N = 1_500_000
ZEROS = b",".join([b"0"] * N)
FLAT = b",".join([b"0"] * 784)
SHAPE = "must be 28 rows of 28 values, or 784 values"

CASES: dict[str, tuple[str, bytes, list, str, str]] = {
    "interpolate start.z": (
        f"{VAE}/interpolate",
        b'{"start":{"z":[' + ZEROS + b']},"end":{"z":[0,0]}}',
        ["body", "start", "z"],
        f"List should have at most 4096 items after validation, not {N}",
        "too_long",
    ),
    "decode labels": (
        f"{CVAE}/decode",
        b'{"z":[[0,0]],"labels":[' + ZEROS + b"]}",
        ["body", "labels"],
        f"Value should have at most 1024 items after validation, not {N}",
        "too_long",
    ),
    "decode z rows": (
        f"{VAE}/decode",
        b'{"z":[' + b",".join([b"[0]"] * 800_000) + b"]}",
        ["body", "z"],
        "List should have at most 1024 items after validation, not 800000",
        "too_long",
    ),
    "encode pixels": (
        f"{VAE}/encode",
        b'{"pixels":[' + ZEROS + b"]}",
        ["body", "pixels"],
        f"pixels {SHAPE} (got {N})",
        "value_error",
    ),
    "encode pixel rows": (
        f"{VAE}/encode",
        b'{"pixels":[' + b",".join([b"[" + b",".join([b"0"] * 50_000) + b"]"] * 28) + b"]}",
        ["body", "pixels"],
        f"pixels {SHAPE}",
        "value_error",
    ),
    "complete mask": (
        f"{COMPLETION}/complete",
        b'{"pixels":[' + FLAT + b'],"mask":[' + ZEROS + b"]}",
        ["body", "mask"],
        f"a mask array {SHAPE} (got {N})",
        "value_error",
    ),
}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))) as c:
        yield c


@pytest.mark.parametrize("case", list(CASES))
def test_a_long_array_of_valid_values_is_refused_at_the_cost_of_parsing(client, case) -> None:
    path, body, loc, msg, kind = CASES[case]
    start = time.process_time()
    json.loads(body)
    parsing = time.process_time() - start
    start = time.process_time()
    r = client.post(
        f"/api/models/{path}", content=body, headers={"content-type": "application/json"}
    )
    refusing = time.process_time() - start
    assert r.status_code == 422, r.text[:300]
    assert r.json()["detail"] == [{"loc": loc, "msg": msg, "type": kind}]
    # Parsing is most of it now (ratio ~1 here); validating every value first made it 7-11.
    assert refusing < 3 * parsing, (refusing, parsing)
