"""`make run` takes a port (a contributor's pass: with 8000 taken there was no way to move it
short of reading the Makefile)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import ROOT


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_passes_its_port_to_serve() -> None:
    said = subprocess.run(
        ["make", "-n", "run", "PORT=9123"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "latent-explorer serve --checkpoints checkpoints --port 9123" in said, said
    default = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "--port 8000" in default, default
