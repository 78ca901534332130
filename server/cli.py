"""`latent-explorer serve`: uvicorn over the app, loopback by default."""

from __future__ import annotations

import argparse
import logging
import os


def run(args: argparse.Namespace) -> None:
    import uvicorn

    from .app import create_app
    from .settings import Settings

    if args.checkpoints is not None:
        os.environ["LATENT_EXPLORER_CHECKPOINTS"] = str(args.checkpoints.resolve())
    if args.device is not None:
        os.environ["LATENT_EXPLORER_DEVICE"] = args.device
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    app = create_app(Settings.from_env())
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"latent-explorer: open http://{host}:{args.port}/  (API docs: /docs)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
