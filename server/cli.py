"""`latent-explorer serve`: uvicorn over the app, loopback by default."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os

from .protocol import HeaderTimeoutProtocol

APP_FACTORY = "latent_explorer.server.app:create_app"  # each worker builds its own app
MAX_CONNECTIONS = 1000  # beyond this uvicorn answers 503 instead of queueing without bound


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"latent-explorer: open http://{host}:{args.port}/  (API docs: /docs)", flush=True)
    uvicorn.run(
        APP_FACTORY,
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
