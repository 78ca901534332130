"""Page pass 18, #3: bound to every interface, the server printed `open http://0.0.0.0:PORT/`,
an address that names the reader's own device; it prints the machine's addresses instead."""

from __future__ import annotations

import argparse
import socket

import pytest
import uvicorn

from latent_explorer.server.cli import run

PORT = 8819


def start_output(host: str, monkeypatch: pytest.MonkeyPatch, capsys) -> str:
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)  # print, do not serve
    monkeypatch.setenv("LATENT_EXPLORER_TRUSTED_HOSTS", "127.0.0.1")  # run() leaves it then
    args = argparse.Namespace(
        host=host, port=PORT, checkpoints=None, device=None, log_level="warning", workers=1
    )
    run(args)
    return capsys.readouterr().out


def resolves_to(*addresses: str):
    def getaddrinfo(name, port, family=0, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 0)) for a in addresses]

    return getaddrinfo


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_all_interfaces_prints_the_machines_addresses(host, monkeypatch, capsys) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", resolves_to("192.0.2.7", "127.0.1.1"))
    out = start_output(host, monkeypatch, capsys)
    assert f"http://192.0.2.7:{PORT}/" in out  # for the others
    assert f"http://localhost:{PORT}/" in out  # for the person at the machine
    assert "0.0.0.0" not in out and "[::]" not in out and "127.0.1.1" not in out


class NoRoute(socket.socket):
    def connect(self, address) -> None:
        raise OSError("Network is unreachable")


def test_without_any_address_it_says_so(monkeypatch, capsys) -> None:
    def unresolved(*args, **kwargs):
        raise socket.gaierror("no such name")

    monkeypatch.setattr(socket, "getaddrinfo", unresolved)
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
