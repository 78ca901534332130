"""A JSON body of 64 KB or more is parsed and validated in a worker thread, not on the event loop
(server/requests.py): 3.5 MB of 300,000 short rows held the loop ~200-600 ms, and every other
client waited. The answer must not change with where the body was read."""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi.testclient import TestClient

from latent_explorer.server import Settings, create_app
from latent_explorer.server import requests as body_parsing
from tests.conftest import ROOT

VAE, CVAE, COMPLETION = "vae-mnist-z2", "cvae-mnist-z2", "completion-mnist"
FLAT = [0.0] * 784

CASES: dict[str, tuple[str, bytes]] = {
    "decode, valid": (f"{VAE}/decode", b'{"z": [[0.5, -1.0], [0, 0]], "output": "probs"}'),
    "decode, duplicate key": (f"{VAE}/decode", b'{"z": [[0, 0]], "z": [[1, 1]]}'),
    "decode, 1025 rows": (f"{VAE}/decode", json.dumps({"z": [[0, 0]] * 1025}).encode()),
    "decode, NaN": (f"{VAE}/decode", b'{"z": [[NaN, 0]]}'),
    "decode, 1e999": (f"{VAE}/decode", b'{"z": [[1e999, 0]]}'),
    "decode, a string": (f"{VAE}/decode", b'{"z": [["1", 0]]}'),
    "decode, unknown key": (f"{VAE}/decode", b'{"z": [[0, 0]], "zz": 1}'),
    "decode, label on a VAE": (f"{VAE}/decode", b'{"z": [[0, 0]], "labels": [3]}'),
    "decode, deep nesting": (f"{VAE}/decode", b'{"z":' + b"[" * 5000 + b"]" * 5000 + b"}"),
    "decode, truncated": (f"{VAE}/decode", b'{"z":[[0,0]'),
    "decode, bad UTF-8": (f"{VAE}/decode", b'{"output":"\xff"}'),
    "decode, a UTF-8 BOM": (f"{VAE}/decode", b'\xef\xbb\xbf{"z": [[0.5, 0]], "output": "probs"}'),
    "decode, UTF-16": (f"{VAE}/decode", '{"z": [[0.5, 0]], "output": "probs"}'.encode("utf-16")),
    "decode, a lone surrogate": (f"{VAE}/decode", b'{"z": [[0, 0]], "output": "\\ud800"}'),
    "decode, null": (f"{VAE}/decode", b"null"),
    "decode, an array": (f"{VAE}/decode", b"[]"),
    "generate, valid": (f"{CVAE}/generate", b'{"n": 3, "seed": 4, "label": 7}'),
    "generate, n too big": (f"{CVAE}/generate", b'{"n": 100000, "seed": 4, "label": 7}'),
    "interpolate, pixels": (
        f"{VAE}/interpolate",
        json.dumps({"start": {"pixels": FLAT}, "end": {"z": [1, 1]}, "steps": 3}).encode(),
    ),
    "encode, valid": (f"{VAE}/encode", json.dumps({"pixels": FLAT}).encode()),
    "encode, 300k rows": (f"{VAE}/encode", json.dumps({"z": [[0.1, 0.2]] * 300_000}).encode()),
    "encode, one bad pixel": (f"{VAE}/encode", json.dumps({"pixels": FLAT[:-1] + [2]}).encode()),
    "complete, valid": (
        f"{COMPLETION}/complete",
        json.dumps({"pixels": FLAT, "mask": [1] * 392 + [0] * 392, "n": 2, "seed": 1}).encode(),
    ),
}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))) as c:
        yield c


def post(client: TestClient, case: str):
    path, raw = CASES[case]
    headers = {"content-type": "application/json"}
    r = client.post(f"/api/models/{path}", content=raw, headers=headers)
    return r.status_code, r.json()


@pytest.mark.parametrize("case", list(CASES))
def test_a_body_gets_the_same_answer_on_the_loop_and_off_it(client, monkeypatch, case) -> None:
    monkeypatch.setattr(body_parsing, "PARSE_OFF_LOOP_BYTES", 10**9)  # every body on the loop
    on_loop = post(client, case)
    monkeypatch.setattr(body_parsing, "PARSE_OFF_LOOP_BYTES", 0)  # every body in a thread
    off_loop = post(client, case)
    assert off_loop == on_loop
    assert on_loop[0] in (200, 422), on_loop  # none of them is the parser's bare 400 or a 500


@pytest.mark.parametrize("case", ["decode, 1025 rows", "encode, 300k rows", "generate, valid"])
def test_a_large_body_is_read_off_the_event_loop(client, monkeypatch, case) -> None:
    """Where pydantic read each body: in a thread, for all of them above the threshold."""
    readers: list[bool] = []

    def spied(real):
        def reader(schema, raw):
            try:
                asyncio.get_running_loop()
                readers.append(True)
            except RuntimeError:  # no loop in this thread: a worker's
                readers.append(False)
            return real(schema, raw)

        return reader

    # A declared body is read by parse_checked, one read by hand (/encode) by parse_json_body.
    for name in ("parse_checked", "parse_json_body"):
        monkeypatch.setattr(body_parsing, name, spied(getattr(body_parsing, name)))
    loads_on_loop: list[bool] = []
    real_loads = json.loads

    def loads(*args, **kwargs):
        try:
            asyncio.get_running_loop()
            loads_on_loop.append(True)
        except RuntimeError:
            pass
        return real_loads(*args, **kwargs)

    monkeypatch.setattr(json, "loads", loads)
    monkeypatch.setattr(body_parsing, "PARSE_OFF_LOOP_BYTES", 0)
    post(client, case)
    assert readers and not any(readers), readers
    # FastAPI took what the thread parsed (Starlette's private `_json`): json.loads was not run
    # again on the loop. Were it renamed, every large body would be parsed twice, once there.
    assert not any(loads_on_loop), loads_on_loop
    readers.clear()
    monkeypatch.setattr(body_parsing, "PARSE_OFF_LOOP_BYTES", 10**9)
    post(client, case)
    assert any(loads_on_loop)  # below the threshold the loop parses: the spy sees it
    # Below the threshold /encode reads its body by hand, on the loop; a declared body is
    # FastAPI's, read there too, without either function.
    assert all(readers) and bool(readers) == case.startswith("encode")


@pytest.mark.parametrize("case", ["decode, valid", "encode, valid", "complete, valid"])
@pytest.mark.parametrize("coding", ["utf-8-sig", "utf-16"])
def test_every_route_reads_json_alike(client, monkeypatch, case, coding) -> None:
    """/encode and /complete read their bodies by hand with pydantic's parser, which refuses a
    BOM and UTF-16 that /decode's json.loads takes (hostile pass 5): one reading now, any size."""
    path, raw = CASES[case]
    body = raw.decode().encode(coding)
    headers = {"content-type": "application/json"}
    for threshold in (10**9, 0):
        monkeypatch.setattr(body_parsing, "PARSE_OFF_LOOP_BYTES", threshold)
        r = client.post(f"/api/models/{path}", content=body, headers=headers)
        assert r.status_code == 200, (threshold, r.text[:200])
