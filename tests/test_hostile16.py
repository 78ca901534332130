"""Hostile pass 16 (notes/s19/hostile16-report.md): the bounds that one client, with many
connections or many addresses, turned against others."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time

import anyio

from latent_explorer.harness import running_server
from latent_explorer.server.limits import BodySizeLimit
from tests.asgi_bodies import post_body, post_through
from tests.conftest import ROOT

VAE = "vae-mnist-z2"
LOGITS = json.dumps({"n": 1024, "output": "logits", "seed": 1}).encode()


def ask_logits(port: int, source: str, receive_buffer: int = 4096) -> socket.socket:
    """A connection from `source` that asked for ~7.5 MB of logits (a small receive buffer)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(
        (
            f"POST /api/models/{VAE}/generate HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(LOGITS)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        + LOGITS
    )
    return s


def test_a_download_that_reads_on_outlasts_connections_opened_after_it_that_never_read() -> None:
    """Past the paused-answers budget the longest-paused connection was dropped: a slow but
    steady reader is paused longest, so one client opening never-read connections cut off every
    download over ~5 s (hostile pass 16, H1). The slowest readers since their pause go first."""
    budget = {"LATENT_EXPLORER_WRITE_STALL_S": "600", "LATENT_EXPLORER_PAUSED_BUDGET_MB": "16"}
    with running_server(ROOT / "checkpoints", env=budget) as server:
        port = int(server.url.rsplit(":", 1)[1])
        victim = ask_logits(port, "127.0.0.2", receive_buffer=65536)
        got = [0]

        def read_slowly() -> None:  # ~1 MB/s: several seconds for the whole answer
            victim.settimeout(10)
            try:
                while piece := victim.recv(65536):
                    got[0] += len(piece)
                    time.sleep(0.05)
            except (ConnectionResetError, TimeoutError):
                pass

        reader = threading.Thread(target=read_slowly)
        reader.start()
        attackers = []
        try:
            for k in range(16):  # three a second, each left unread: ~8 MB waits for each
                time.sleep(0.3)
                attackers.append(ask_logits(port, f"127.0.1.{k + 2}"))
            reader.join(timeout=30)
        finally:
            for s in [victim, *attackers]:
                s.close()
        assert not reader.is_alive()
        assert got[0] > 7_400_000, got  # the whole answer (before: cut off at ~0.4 MB)


def test_a_fresh_answer_is_not_dropped_for_connections_that_trickle() -> None:
    """Judged by the rate read since its pause, an answer that had just paused (nothing read
    yet) went first, while two connections that read a little every 2 s held the budget: every
    other large answer was aborted as it paused (review 19). One paused under PAUSE_GRACE goes
    only when no other is left, the others by the time they would take to read the rest."""
    budget = {"LATENT_EXPLORER_WRITE_STALL_S": "600", "LATENT_EXPLORER_PAUSED_BUDGET_MB": "16"}
    with running_server(ROOT / "checkpoints", env=budget) as server:
        port = int(server.url.rsplit(":", 1)[1])
        stop = threading.Event()
        tricklers = [ask_logits(port, f"127.0.1.{k + 2}") for k in range(2)]  # ~2 x 7.5 MB

        def trickle(s: socket.socket) -> None:  # ~400 KB, then 64 KB every 2 s
            s.settimeout(5)
            try:
                time.sleep(1.0)
                got = 0
                while got < 400_000:
                    got += len(s.recv(4096))
                while not stop.is_set():
                    n = 0
                    while n < 65536:
                        n += len(s.recv(4096))
                    time.sleep(2)
            except OSError:
                pass  # dropped: what should happen to one of them

        threads = [threading.Thread(target=trickle, args=(s,), daemon=True) for s in tricklers]
        for t in threads:
            t.start()
        time.sleep(4)
        victim = ask_logits(port, "127.0.0.2", receive_buffer=65536)
        got = 0
        victim.settimeout(10)
        try:
            while piece := victim.recv(65536):
                got += len(piece)
                time.sleep(0.05)
        except (ConnectionResetError, TimeoutError):
            pass
        finally:
            stop.set()
            for s in [victim, *tricklers]:
                s.close()
        assert got > 7_400_000, got  # the whole answer (before: cut off at ~0.6 MB)


def test_four_addresses_stalling_bodies_leave_room_for_a_fifth() -> None:
    """Each address may hold a quarter of the body budget: four addresses' stalled bodies held
    all of it, and every other client's POST was a 503 for the 30 s each stall lasted (hostile
    pass 16, H2). Past the budget, the newest body of the address holding the most is stopped
    (503) while that address holds more than the newcomer's."""
    from tests.test_hostile import echo_app

    limit = BodySizeLimit(echo_app, max_bytes=100, timeout=5, budget=400)  # 100 an address
    statuses: dict[str, list[int]] = {}
    words: list[bytes] = []

    async def post(host: str, size: int, stall: bool) -> None:
        sent = await post_body(limit, host, size, stall)
        statuses.setdefault(host, []).append(sent[0]["status"])
        words.extend(m.get("body", b"") for m in sent[1:])

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for k in range(4):  # 4 addresses x 2 x 50 bytes: the whole budget of 400
                for _ in range(2):
                    tg.start_soon(post, f"127.0.2.{k + 1}", 50, True)
            await anyio.sleep(0.3)
            assert limit.held == 400
            await post("127.0.0.5", 30, False)
            await anyio.sleep(0.8)  # the stopped body drains for DRAIN_IDLE_SECONDS first
            tg.cancel_scope.cancel()

    anyio.run(main)
    assert statuses["127.0.0.5"] == [200]
    stopped = [s for host, got in statuses.items() if host != "127.0.0.5" for s in got]
    assert stopped == [503]  # one stalled body made room; the other seven still wait
    assert any(b"room for another address's" in w for w in words)
    assert limit.held == 0 and not limit.held_by and not limit.arriving


def test_an_address_holding_less_is_not_stopped_for_one_holding_more() -> None:
    """The room is made only from an address holding more than the newcomer's: one address
    cannot push out the others' bodies by sending more of its own."""
    from tests.test_hostile import echo_app

    limit = BodySizeLimit(echo_app, max_bytes=100, timeout=5, budget=200)  # 100 an address
    statuses: list[int] = []

    async def post(host: str, size: int, stall: bool, out: list[int]) -> None:
        out.append((await post_body(limit, host, size, stall))[0]["status"])

    held: list[int] = []

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(post, "127.0.2.1", 60, True, held)
            tg.start_soon(post, "127.0.2.2", 60, True, held)
            await anyio.sleep(0.2)
            await post("127.0.2.2", 60, True, statuses)  # its second: 120 > the share of 100
            await post("127.0.2.3", 90, True, statuses)  # 90 > 60 held by each: no room made
            tg.cancel_scope.cancel()

    anyio.run(main)
    assert statuses == [503, 503] and held == []  # the two first still wait
    assert limit.held == 0 and not limit.held_by


def test_a_long_range_or_if_none_match_is_not_read_whole(monkeypatch) -> None:  # noqa: ANN001
    """Every request's Range was read by three patterns on the event loop, whatever the route
    (60 KB: 9-10 ms, a fifth client's /api/health p50 1 ms → 38-69 ms), and every tag of a
    15,000-tag If-None-Match was split and stripped (hostile pass 16, M2). Past Starlette's 100
    ranges or their length no pattern runs; only the first 32 tags are compared."""
    from latent_explorer.server import conditional, ranges

    read: list[int] = []
    pattern = ranges.VALID

    class Counting:
        def fullmatch(self, value: str) -> re.Match | None:
            read.append(len(value))
            return pattern.fullmatch(value)

    monkeypatch.setattr(ranges, "VALID", Counting())
    assert ranges.valid("bytes=0-0,5-9")
    assert not ranges.valid("bytes=" + ",".join(["0-0"] * 101))
    assert not ranges.valid("bytes=0-0" + " " * 60_000)
    assert read == [len("bytes=0-0,5-9")]  # the two long ones were not read by a pattern
    tags = ", ".join(f'"t{k}"' for k in range(15_000))
    assert conditional.matches(tags, '"t3"') and conditional.matches(f'W/"x", {tags}', '"x"')
    assert not conditional.matches(tags, '"t14999"')  # past the first 32: answered whole


def test_a_one_letter_slip_in_a_query_name_is_named_and_decode_pngs_v_is_bounded() -> None:
    """`grid.png?dim=2,3` showed the default plane without a word (only case and brackets were
    caught), and decode.png took a 200-character v its own docs bound at 64 (hostile pass 16,
    L1-L2). A cache-buster's `_` and names of two letters or fewer are left alone."""
    from fastapi.testclient import TestClient

    from latent_explorer.server import Settings, create_app

    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))) as c:
        grid = "/api/models/vae-mnist-z16/grid.png?n=2"
        for slip, name in (("dim=2,3", "dims"), ("plnae=pca", "plane"), ("spann=2", "span")):
            r = c.get(f"{grid}&{slip}")
            assert r.status_code == 422, (slip, r.text)
            assert f"did you mean {name}?" in r.json()["detail"][0]["msg"], r.text
        r = c.get("/api/models/cvae-mnist-z2/decode.png?z=0,0&lable=3")
        assert r.status_code == 422 and "did you mean label?" in r.text, r.text
        for fine in ("_=1700000000", "zz=1", "utm_source=x", "nn=5"):
            assert c.get(f"{grid}&{fine}").status_code == 200, fine
        r = c.get("/api/models/vae-mnist-z2/decode.png?z=0,0&v=" + "a" * 65)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "v"], r.text
        assert c.get("/api/models/vae-mnist-z2/decode.png?z=0,0&v=" + "a" * 64).status_code == 200


def test_a_form_fields_number_error_names_the_field() -> None:
    """A multipart `label=abc` or `n=x` was told "must be an integer in ASCII digits, …", its
    name only in `loc` (hostile pass 16, L3), where decode.png's query says "scale must be …"."""
    from fastapi.testclient import TestClient

    from latent_explorer.server import Settings, create_app

    png = {"image": ("a.png", b"\x89PNG\r\n\x1a\n", "image/png")}
    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))) as c:
        r = c.post("/api/models/cvae-mnist-z2/encode", files=png, data={"label": "abc"})
        d = r.json()["detail"][0]
        assert r.status_code == 422 and d["loc"] == ["body", "label"], r.text
        assert d["msg"].startswith("label must be an integer in ASCII digits"), r.text
        form = {"n": "x", "mask": "left-half"}
        r = c.post("/api/models/completion-mnist/complete", files=png, data=form)
        d = r.json()["detail"][0]
        assert d["msg"].startswith("n must be an integer in ASCII digits"), r.text
        r = c.get("/api/models/vae-mnist-z16/grid.png?n=x")
        assert r.json()["detail"][0]["msg"].startswith("n must be an integer"), r.text


def test_a_body_stopped_with_its_next_chunk_in_hand_is_not_served() -> None:
    """anyio defers a cancel to a task whose next chunk has already come: the stopped body went
    on, was served whole, and its earlier bytes were no longer counted (review 19)."""
    seen: dict[str, int] = {}

    async def app(scope, receive, send) -> None:  # noqa: ANN001
        seen[scope["client"][0]] = len((await receive())["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    limit = BodySizeLimit(app, max_bytes=100, timeout=5, budget=200)  # 100 an address
    statuses: dict[str, int] = {}
    queues: dict[str, asyncio.Queue] = {}

    async def post(host: str) -> None:
        chunked = [(b"transfer-encoding", b"chunked")]
        sent = await post_through(limit, host, queues[host].get, chunked)
        statuses[host] = sent[0]["status"]

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for host in ("127.0.2.1", "127.0.2.2", "127.0.2.3"):
                queues[host] = asyncio.Queue()
                tg.start_soon(post, host)
            for host in ("127.0.2.1", "127.0.2.2"):
                chunk = {"type": "http.request", "body": b"x" * 90, "more_body": True}
                await queues[host].put(chunk)
                await anyio.sleep(0.05)
            # In one turn of the loop: .3's chunk stops .2's body, whose last chunk is in hand.
            queues["127.0.2.3"].put_nowait({"type": "http.request", "body": b"y" * 30})
            queues["127.0.2.2"].put_nowait({"type": "http.request", "body": b"z" * 5})
            await anyio.sleep(1.0)
            tg.cancel_scope.cancel()

    anyio.run(main)
    assert statuses == {"127.0.2.3": 200, "127.0.2.2": 503}, statuses
    assert "127.0.2.2" not in seen
    assert limit.held == 0 and not limit.held_by and not limit.arriving


def test_the_static_files_compare_only_the_first_tags() -> None:
    """Starlette's static files compared every tag of an If-None-Match themselves: the API's
    cap did not reach /assets (review 19). The header goes on with its first 32 tags."""
    from fastapi.testclient import TestClient

    from latent_explorer.server import Settings, create_app

    js = "/assets/js/main.js"
    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))) as c:
        first = c.get(js)
        etag = first.headers["etag"]
        tags = ", ".join(f'"t{k}"' for k in range(15_000))
        assert c.get(js, headers={"if-none-match": f"{etag}, {tags}"}).status_code == 304
        # Past the first 32 its own tag is not read: the whole file, as to a client without it.
        late = c.get(js, headers={"if-none-match": f"{tags}, {etag}"})
        assert late.status_code == 200 and late.content == first.content


def test_no_body_is_stopped_for_a_newcomer_refused_anyway() -> None:
    """The room was made one body at a time: a body was stopped, then the newcomer refused all
    the same (review 19). It is planned first."""
    from tests.test_hostile import echo_app

    limit = BodySizeLimit(echo_app, max_bytes=200, timeout=5, budget=200)
    statuses: dict[str, list[int]] = {}

    async def post(host: str, size: int) -> None:
        sent = await post_body(limit, host, size, stall=True)
        statuses.setdefault(host, []).append(sent[0]["status"])

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for host, size in (("127.0.2.1", 70), ("127.0.2.1", 25), ("127.0.2.2", 60)):
                tg.start_soon(post, host, size)
                await anyio.sleep(0.05)
            # 80 more is 35 over: the .1 address's newest (25) is not room enough, and then the
            # most any address holds (70) is less than the newcomer's 80.
            await post("127.0.2.3", 80)
            assert limit.held == 155, limit.held_by  # all three still held
            tg.cancel_scope.cancel()

    anyio.run(main)
    assert statuses == {"127.0.2.3": [503]}, statuses
    assert limit.held == 0 and not limit.held_by
