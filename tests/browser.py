"""Shared pieces of the browser tests: a real server on a free port and the system Chromium."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

from latent_explorer import harness
from latent_explorer.harness import CHROMIUM_ARGS, Server, chromium_path, free_port

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


def running_server(device: str = "cpu") -> AbstractContextManager[Server]:
    """The shipped checkpoints served on a free port, whatever the current directory."""
    return harness.running_server(ROOT / "checkpoints", device)


__all__ = ["CHROMIUM_ARGS", "SCREENSHOTS", "Server", "chromium_path", "free_port", "running_server"]
