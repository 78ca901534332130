"""`latent-explorer serve`: uvicorn over the app, loopback by default."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import socket

from .protocol import HeaderTimeoutProtocol

APP_FACTORY = "latent_explorer.server.app:create_app"  # each worker builds its own app
MAX_CONNECTIONS = 1000  # beyond this uvicorn answers 503 instead of queueing without bound
# The proxies whose X-Forwarded-For names the client (passed to uvicorn's forwarded_allow_ips).
FORWARDED_SETTING = "LATENT_EXPLORER_FORWARDED_ALLOW_IPS"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# A private address to "connect" a UDP socket to: that only picks the route's source address (the
# machine's address on its main network); nothing is sent, and no network access is needed.
ROUTE_PROBE = ("10.255.255.255", 1)


def _routed_address() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(ROUTE_PROBE)
            return str(probe.getsockname()[0])
    except OSError:  # no route at all (no network): the host name may still say
        return None


def bracketed(host: str) -> str:
    """A host as a URL writes it: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def lan_addresses() -> list[str]:
    """This machine's IPv4 address that others on its network may reach (no loopback): the one
    its default route leaves from. Not its host name's addresses: looking the name up may ask a
    DNS server (and wait for one a classroom LAN lacks), and a 64-character label made
    getaddrinfo raise UnicodeError, which stopped the server before it started (review)."""
    routed = _routed_address()
    if routed is None:
        return []
    address = ipaddress.ip_address(routed)
    return [] if address.is_loopback or address.is_unspecified else [routed]


def start_lines(host: str, port: int, trusted: str = "*") -> list[str]:
    """Where to open the page. Bound to every interface (0.0.0.0, ::), the bind address is no
    address to open: on another device http://0.0.0.0/ names that device (page pass 18). So: the
    machine's own address for the others, and localhost for the person at it; or, where
    `trusted` (LATENT_EXPLORER_TRUSTED_HOSTS) names the hosts answered, those (review: localhost,
    printed beside a list without it, was refused)."""
    try:
        everywhere = ipaddress.ip_address(host).is_unspecified
    except ValueError:
        everywhere = False
    if not everywhere:
        return [f"latent-explorer: open http://{bracketed(host)}:{port}/  (API docs: /docs)"]
    names = [n.strip() for n in trusted.split(",") if n.strip() and "*" not in n]
    if "*" not in trusted and names:
        urls = " or ".join(f"http://{bracketed(n)}:{port}/" for n in names)
        return [f"latent-explorer: open {urls}  (the hosts answered; API docs: /docs)"]
    others = lan_addresses()
    elsewhere = (
        " or ".join(f"http://{a}:{port}/" for a in others)
        if others
        else f"http://<this machine's address>:{port}/ (no network address was found here)"
    )
    return [
        f"latent-explorer: open http://localhost:{port}/ on this machine  (API docs: /docs)",
        f"latent-explorer: from other devices open {elsewhere}",
    ]


def run(args: argparse.Namespace) -> None:
    import uvicorn

    # Settings come from the environment in every worker process: put the options there.
    if args.checkpoints is not None:
        os.environ["LATENT_EXPLORER_CHECKPOINTS"] = str(args.checkpoints.resolve())
    if args.device is not None:
        os.environ["LATENT_EXPLORER_DEVICE"] = args.device
    if not is_loopback(args.host) and "LATENT_EXPLORER_TRUSTED_HOSTS" not in os.environ:
        # Off loopback the names clients use are unknown here; a proxy in front checks them.
        os.environ["LATENT_EXPLORER_TRUSTED_HOSTS"] = "*"
        print(
            "latent-explorer: not on loopback, so any Host header is accepted; set "
            "LATENT_EXPLORER_TRUSTED_HOSTS to the names you serve",
            flush=True,
        )
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    trusted = os.environ.get("LATENT_EXPLORER_TRUSTED_HOSTS", "*")
    for line in start_lines(args.host, args.port, trusted):
        print(line, flush=True)
    # Whose X-Forwarded-For names the client, and so the address its requests wait as in the
    # fair queues and the body budget: the proxies named here, else in uvicorn's own
    # FORWARDED_ALLOW_IPS, else loopback (uvicorn's default: a proxy on this host, which appends
    # the client's address; uvicorn takes the rightmost address it does not trust, so a visitor
    # cannot forge it). Set empty, none: every client is the address it connects from. Not
    # trusting loopback by default (hostile pass 15) made every visitor of a same-host proxy one
    # address, sharing one share of every bound (review 18); what a local process could forge
    # there, it can have anyway from other loopback addresses.
    forwarded = os.environ.get(FORWARDED_SETTING)
    if forwarded is None:
        forwarded = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
    forwarded = forwarded.strip()
    uvicorn.run(
        APP_FACTORY,
        proxy_headers=bool(forwarded),
        forwarded_allow_ips=forwarded or None,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        http=HeaderTimeoutProtocol,
        timeout_keep_alive=5,  # idle keep-alive connections close after 5 s
        limit_concurrency=MAX_CONNECTIONS,
        log_level=args.log_level,
        access_log=False,
    )
