"""What the tests and the benchmarks share (the benchmarks never import from tests/): a real
`latent-explorer serve` on a free loopback port, and Debian's Chromium for Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Playwright's own browser download does not work here; Debian's chromium does.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("Chromium is not installed: `make test` installs Debian's chromium")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    log: Callable[[], str] = lambda: ""  # what the server has written so far


@contextmanager
def running_server(
    checkpoints: Path = Path("checkpoints"),
    device: str = "cpu",
    *,
    command: Sequence[str] = (sys.executable, "-m", "latent_explorer.cli"),
    cwd: Path | None = None,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> Iterator[Server]:
    """`latent-explorer serve` on a free loopback port; yields its URL and pid, stops it after.
    `command` is how to run the CLI (another interpreter's entry point, say)."""
    port = free_port()
    env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
    # A file, not a pipe: nobody reads the log while the server runs, and a full pipe blocks it.
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [
            *command,
            "serve",
            "--port",
            str(port),
            "--checkpoints",
            str(checkpoints),
            "--device",
            device,
            "--log-level",
            "warning",
            *extra_args,
        ],
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/health", timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    out = log.read().decode(errors="replace")
                    raise RuntimeError(f"the server did not start:\n{out}") from None
                time.sleep(0.2)

        def written() -> str:
            # pread: the server shares this file's offset, and a seek would move its writes.
            fd = log.fileno()
            return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")

        yield Server(base, proc.pid, written)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
