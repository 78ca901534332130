"""The heavy queue (server/wait_bounds.py): served in turns by client address, bounded per
address and in all, a full queue taking the place of the address that holds the most, and a
waiter that gives up leaving no token or place behind (hostile pass 14, review 17)."""

from __future__ import annotations

import anyio
import pytest

from latent_explorer.server.errors import Busy
from latent_explorer.server.wait_bounds import FairQueue, Workers, client_key


async def hold(queue: FairQueue, client: str, name: str, order: list[str], go: anyio.Event):
    async with queue.slot(client):
        order.append(name)
        await go.wait()


def test_addresses_are_served_in_turns_not_in_arrival_order() -> None:
    async def main() -> list[str]:
        queue, order, go = FairQueue(1, total=100, per_client=100), [], anyio.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(hold, queue, "x", "x1", order, go)
            await anyio.sleep(0.01)
            for name in ("a1", "a2", "a3", "b1", "c1"):  # a queued three before b and c came
                tg.start_soon(hold, queue, name[0], name, order, go)
                await anyio.sleep(0.01)
            assert queue.statistics().tasks_waiting == 5
            go.set()
        assert queue.busy == 0 and queue.waiting == 0 and not queue.queues
        return order

    assert anyio.run(main) == ["x1", "a1", "b1", "c1", "a2", "a3"]


def test_one_address_may_not_wait_past_its_share() -> None:
    async def main() -> None:
        queue, order, go = FairQueue(1, total=100, per_client=2), [], anyio.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(hold, queue, "a", "a0", order, go)  # running: no place in the queue
            await anyio.sleep(0.01)
            for k in (1, 2):
                tg.start_soon(hold, queue, "a", f"a{k}", order, go)
                await anyio.sleep(0.01)
            with pytest.raises(Busy, match="2 requests from this address already wait"):
                async with queue.slot("a"):
                    pass
            go.set()
        assert order == ["a0", "a1", "a2"]

    anyio.run(main)


def test_a_full_queue_takes_the_place_of_the_largest_holder() -> None:
    async def main() -> None:
        queue, order, go = FairQueue(1, total=3, per_client=10), [], anyio.Event()
        refused: list[str] = []

        async def try_hold(client: str, name: str) -> None:
            try:
                await hold(queue, client, name, order, go)
            except Busy:
                refused.append(name)

        async with anyio.create_task_group() as tg:
            tg.start_soon(try_hold, "x", "x0")
            await anyio.sleep(0.01)
            for name in ("a1", "a2", "a3", "b1"):
                tg.start_soon(try_hold, name[0], name)
                await anyio.sleep(0.01)
            assert refused == ["a3"]  # a's newest gave b its place
            with pytest.raises(Busy, match="3 requests wait"):  # a, with the most, gets none
                async with queue.slot("a"):
                    pass
            go.set()
        assert order == ["x0", "a1", "b1", "a2"]

    anyio.run(main)


def test_a_waiter_that_gives_up_leaves_nothing_behind() -> None:
    async def main() -> None:
        queue, order, go = FairQueue(1, total=10, per_client=10), [], anyio.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(hold, queue, "x", "x0", order, go)
            await anyio.sleep(0.01)
            with anyio.move_on_after(0.05):  # a client gone while it waited
                async with queue.slot("a"):
                    pytest.fail("it was never its turn")
            assert queue.waiting == 0 and not queue.queues
            go.set()
        assert queue.busy == 0

    anyio.run(main)


def test_an_ipv6_host_waits_as_its_64() -> None:
    assert client_key("2001:db8::1") == client_key("2001:db8::ffff:1") == "2001:db8::/64"
    assert client_key("127.0.0.2") == "127.0.0.2" and client_key(None) == ""


def test_an_ipv4_client_of_a_dual_stack_socket_waits_as_itself() -> None:
    """On `--host ::` every IPv4 client came as ::ffff:a.b.c.d, and all of them were one "::/64"
    (hostile pass 15): one client's grids took every IPv4 visitor's places."""
    assert client_key("::ffff:1.2.3.4") == "1.2.3.4" == client_key("1.2.3.4")
    assert client_key("::ffff:9.9.9.9") != client_key("::ffff:1.2.3.4")


def test_a_host_that_is_no_address_has_no_turn_of_its_own() -> None:
    """A trusted proxy header may carry any text: each made-up name was a new address."""
    assert client_key("aaaa") == client_key("bbbb") == client_key("") == ""


def test_one_address_holds_at_most_its_share_of_every_queues_workers_while_another_has_work():
    """Each queue took turns by address, but one address could run in all of them at once: a
    grid, two uploads and four answers of numbers, and another's grid took 1.33 s against 6 ms
    (hostile pass 17, M2). While another address has work, one holds at most `share` running."""

    async def main() -> None:
        workers = Workers(share=2)
        heavy = FairQueue(1, total=100, per_client=100, workers=workers)
        numbers = FairQueue(4, total=100, per_client=100, workers=workers)
        order: list[str] = []
        go_a, go_b = anyio.Event(), anyio.Event()
        async with anyio.create_task_group() as tg:
            for k in range(4):  # alone, an address may use every idle worker
                tg.start_soon(hold, numbers, "a", f"a{k}", order, go_a)
                await anyio.sleep(0.01)
            assert numbers.busy == 4 and workers.running == {"a": 4}
            tg.start_soon(hold, heavy, "b", "b0", order, go_b)  # another address comes
            await anyio.sleep(0.01)
            assert order[-1] == "b0" and heavy.busy == 1
            go_a.set()  # a's four end; its next ones run two at a time while b has work
            await anyio.sleep(0.01)
            go_a = anyio.Event()
            for k in range(4, 8):
                tg.start_soon(hold, numbers, "a", f"a{k}", order, go_a)
                await anyio.sleep(0.01)
            assert workers.running == {"a": 2, "b": 1}
            assert numbers.busy == 2 and numbers.waiting == 2
            go_b.set()  # b is done: a alone may take the idle workers again
            await anyio.sleep(0.01)
            assert workers.running == {"a": 4} and numbers.waiting == 0
            go_a.set()
        assert not workers.running and numbers.busy == heavy.busy == 0

    anyio.run(main)


def test_an_address_held_back_only_for_a_waiter_that_gives_up_runs_then() -> None:
    async def main() -> None:
        workers = Workers(share=1)
        heavy = FairQueue(1, total=100, per_client=100, workers=workers)
        numbers = FairQueue(2, total=100, per_client=100, workers=workers)
        order: list[str] = []
        go = anyio.Event()
        b_gives_up = anyio.CancelScope()

        async def b_waits() -> None:
            with b_gives_up:
                await hold(heavy, "b", "b0", order, go)

        async with anyio.create_task_group() as tg:
            tg.start_soon(hold, heavy, "a", "a-heavy", order, go)
            await anyio.sleep(0.01)
            tg.start_soon(hold, numbers, "a", "a0", order, go)  # alone: past its share
            await anyio.sleep(0.01)
            tg.start_soon(b_waits)  # waits for a's grid
            await anyio.sleep(0.01)
            tg.start_soon(hold, numbers, "a", "a1", order, go)  # held back while b waits
            await anyio.sleep(0.01)
            assert order == ["a-heavy", "a0"] and heavy.waiting == numbers.waiting == 1
            b_gives_up.cancel()
            await anyio.sleep(0.01)
            assert order == ["a-heavy", "a0", "a1"] and heavy.waiting == numbers.waiting == 0
            go.set()
        assert not workers.running and heavy.busy == numbers.busy == 0 and not heavy.queues

    anyio.run(main)
