"""Page pass 18, #3: bound to every interface, the server printed `open http://0.0.0.0:PORT/`,
an address that names the reader's own device; it prints the machine's addresses instead."""

from __future__ import annotations

import argparse
import socket

import pytest
import uvicorn

from latent_explorer.server.cli import run

PORT = 8819


def start_output(host: str, monkeypatch: pytest.MonkeyPatch, capsys, trusted: str = "*") -> str:
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)  # print, do not serve
    monkeypatch.setenv("LATENT_EXPLORER_TRUSTED_HOSTS", trusted)  # set: run() leaves it
    args = argparse.Namespace(
        host=host, port=PORT, checkpoints=None, device=None, log_level="warning", workers=1
    )
    run(args)
    return capsys.readouterr().out


def routed_from(address: str):
    class Routed(socket.socket):
        def connect(self, target) -> None:  # a UDP connect sends nothing; the test's sends less
            pass

        def getsockname(self):
            return (address, 40000)

    return Routed


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_all_interfaces_prints_the_machines_addresses(host, monkeypatch, capsys) -> None:
    monkeypatch.setattr(socket, "socket", routed_from("192.0.2.7"))
    out = start_output(host, monkeypatch, capsys)
    assert f"http://192.0.2.7:{PORT}/" in out  # for the others
    assert f"http://localhost:{PORT}/" in out  # for the person at the machine
    assert "0.0.0.0" not in out and "[::]" not in out


def test_the_host_name_is_not_looked_up(monkeypatch, capsys) -> None:
    """A 64-character host name label made getaddrinfo raise UnicodeError and stopped the server
    before it started; a name lookup may also wait on a DNS server a classroom LAN lacks."""

    def lookup(*args, **kwargs):
        raise UnicodeError("encoding with 'idna' codec failed (label too long)")

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    monkeypatch.setattr(socket, "socket", routed_from("192.0.2.7"))
    assert f"http://192.0.2.7:{PORT}/" in start_output("0.0.0.0", monkeypatch, capsys)


class NoRoute(socket.socket):
    def connect(self, address) -> None:
        raise OSError("Network is unreachable")


def test_without_any_address_it_says_so(monkeypatch, capsys) -> None:
    monkeypatch.setattr(socket, "socket", NoRoute)
    out = start_output("0.0.0.0", monkeypatch, capsys)
    assert "this machine's address" in out
    assert f"http://localhost:{PORT}/" in out
    assert "http://0.0.0.0" not in out


@pytest.mark.parametrize(
    ("host", "url"), [("127.0.0.1", "http://127.0.0.1"), ("::1", "http://[::1]")]
)
def test_a_named_address_is_printed_as_it_is(host, url, monkeypatch, capsys) -> None:
    assert f"{url}:{PORT}/" in start_output(host, monkeypatch, capsys)


def test_the_hosts_answered_are_the_ones_printed(monkeypatch, capsys) -> None:
    """localhost was printed beside a trusted-host list without it, and refused there."""
    monkeypatch.setattr(socket, "socket", routed_from("192.0.2.7"))
    out = start_output("0.0.0.0", monkeypatch, capsys, trusted="lab.example, 192.0.2.7")
    assert f"http://lab.example:{PORT}/ or http://192.0.2.7:{PORT}/" in out
    assert "localhost" not in out


def test_forwarded_addresses_are_trusted_from_the_proxies_named(monkeypatch, capsys) -> None:
    """Loopback by default, as uvicorn (a same-host proxy names each visitor; not trusting it made
    every visitor one address: review 18); uvicorn's own FORWARDED_ALLOW_IPS honoured; ours wins,
    and set empty trusts none."""
    seen: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.append(kwargs))
    args = argparse.Namespace(
        host="127.0.0.1", port=PORT, checkpoints=None, device=None, log_level="warning", workers=1
    )
    monkeypatch.delenv("LATENT_EXPLORER_FORWARDED_ALLOW_IPS", raising=False)
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    run(args)
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.1.1.1")
    run(args)
    monkeypatch.setenv("LATENT_EXPLORER_FORWARDED_ALLOW_IPS", "10.0.0.5")
    run(args)
    monkeypatch.setenv("LATENT_EXPLORER_FORWARDED_ALLOW_IPS", "")
    run(args)
    got = [(k["proxy_headers"], k["forwarded_allow_ips"]) for k in seen]
    assert got == [(True, "127.0.0.1"), (True, "10.1.1.1"), (True, "10.0.0.5"), (False, None)]
