"""A big batch's answer is decoded, rendered and written as JSON in a worker thread, not checked
and written by FastAPI on the event loop: 1024 28x28 logits took ~0.3 s there, and /api/health
waited up to 0.68 s behind one client asking for them (hostile pass 10). The bytes must be the
ones the response model would have written."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi import routing
from fastapi.testclient import TestClient
from pydantic import BaseModel

from latent_explorer.server import Settings, create_app, inference
from latent_explorer.server.schemas import DecodeResponse, GenerateResponse, InterpolateResponse
from tests.conftest import ROOT

VAE, CVAE = "vae-mnist-z2", "cvae-mnist-z2"
CASES: dict[str, tuple[str, dict, type[BaseModel]]] = {
    "generate 1024 logits": (
        f"{VAE}/generate",
        {"n": 1024, "output": "logits", "seed": 1},
        GenerateResponse,
    ),
    "generate 40 probs, labels": (
        f"{CVAE}/generate",
        {"n": 40, "output": "probs", "seed": 2},
        GenerateResponse,
    ),
    "decode 17 png": (f"{VAE}/decode", {"z": [[0.5, -1.0]] * 17}, DecodeResponse),
    "interpolate 64 probs": (
        f"{VAE}/interpolate",
        {"start": {"z": [0, 0]}, "end": {"z": [1, 2]}, "steps": 64, "output": "probs"},
        InterpolateResponse,
    ),
}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))) as c:
        yield c


@pytest.fixture
def loop_answers(monkeypatch) -> list[int]:
    """How many images each answer FastAPI checked and wrote (on the event loop) held."""
    seen: list[int] = []
    real = routing.serialize_response

    async def spy(**kwargs):
        content = kwargs.get("response_content")
        if isinstance(content, dict) and "images" in content:
            seen.append(len(content["images"]))
        return await real(**kwargs)

    monkeypatch.setattr(routing, "serialize_response", spy)
    return seen


@pytest.mark.parametrize("case", list(CASES))
def test_a_big_batch_answer_is_written_off_the_event_loop(client, loop_answers, case) -> None:
    path, body, model = CASES[case]
    r = client.post(f"/api/models/{path}", json=body)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"] == "application/json"
    assert loop_answers == []  # FastAPI's check and JSON never saw it
    # The bytes the response model writes for the same answer: clients see no change.
    assert r.content == model.model_validate_json(r.content).model_dump_json().encode()
    n = body.get("n") or body.get("steps") or len(body["z"])
    assert len(r.json()["images"]) == n


def test_a_small_batch_of_pngs_is_still_checked_by_the_response_model(client, loop_answers) -> None:
    """16 PNGs or fewer stay on the loop, where a thread hop costs more than the work."""
    r = client.post(f"/api/models/{VAE}/generate", json={"n": 16, "seed": 1})
    assert r.status_code == 200
    assert loop_answers == [16]


@pytest.mark.parametrize("output", ["probs", "logits"])
def test_a_small_batch_of_numbers_is_written_off_the_loop(
    client, loop_answers, output, monkeypatch
) -> None:
    """16 images of 784 numbers cost the loop ~4.8 ms checked and written by FastAPI, ~2.8 ms as
    bytes in a thread, and four clients raised /api/health's p99 from 3-6 to 38-86 ms (hostile
    pass 12). In a queue of their own (the shared pool's tokens are the uploads' and gzip's too:
    review). The bytes are the response model's."""
    queues: list[str] = []
    real = inference.run_limited

    async def spy(request, name, *args):
        queues.append(name)
        return await real(request, name, *args)

    monkeypatch.setattr(inference, "run_limited", spy)
    r = client.post(f"/api/models/{VAE}/generate", json={"n": 16, "output": output, "seed": 1})
    assert r.status_code == 200
    assert loop_answers == [] and queues == ["numbers"]
    assert r.content == GenerateResponse.model_validate_json(r.content).model_dump_json().encode()
    assert len(r.json()["images"]) == 16 and len(r.json()["images"][0]) == 28


@pytest.mark.parametrize("output", ["png", "probs", "logits"])
def test_a_big_batch_holds_what_small_batches_hold(client, output: str) -> None:
    """The content, not only the format (review): 40 samples of a CVAE, written in the thread,
    are the images of their own z and labels decoded 16 at a time on the loop, in order (to the
    fifth decimal: the loop's batches go through the server's NumPy copy of the decoder, the
    big one through torch)."""
    r = client.post(f"/api/models/{CVAE}/generate", json={"n": 40, "output": output, "seed": 3})
    assert r.status_code == 200
    big = r.json()
    assert len(big["z"]) == len(big["labels"]) == len(big["images"]) == 40
    small: list = []
    for start in range(0, 40, 16):
        part = {"z": big["z"][start : start + 16], "labels": big["labels"][start : start + 16]}
        got = client.post(f"/api/models/{CVAE}/decode", json={**part, "output": output})
        assert got.status_code == 200
        small += got.json()["images"]
    if output == "png":
        assert big["images"] == small
    else:
        assert np.allclose(np.array(big["images"]), np.array(small), rtol=0, atol=1e-4)
