"""A non-editable install works: build the wheel, install it into a fresh virtualenv (no -e),
serve the shipped checkpoints from outside the repository, and fetch the page and the API.

The new virtualenv borrows the dependencies (torch & co.) of the running one through a .pth file
instead of installing them again: that keeps the test to seconds, and the package under test is
still only the wheel's copy (the borrowed folder's own .pth files, the editable hook among them,
are not processed outside a site directory).
"""

from __future__ import annotations

import json
import shutil
import site
import subprocess
import sys
import sysconfig
import urllib.request
import venv
from pathlib import Path

import pytest

from latent_explorer.harness import running_server
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The venv's bin/ folder, with the wheel installed."""
    tmp = tmp_path_factory.mktemp("wheel")
    # Build from a copy of what the wheel is made of, so no build/ folder lands in the checkout.
    src = tmp / "src"
    for name in ("latent_explorer", "model", "server", "frontend"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
        + ["-w", str(tmp / "dist"), str(src)],
        check=True,
        cwd=tmp,
    )
    wheels = list((tmp / "dist").glob("latent_explorer-*.whl"))
    assert len(wheels) == 1, wheels
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    ours = sysconfig.get_paths()["purelib"]
    Path(purelib, "borrowed-deps.pth").write_text("\n".join([ours, *site.getsitepackages()]))
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps"]
        + [str(wheels[0])],
        check=True,
        cwd=tmp,
    )
    return env_dir / "bin"


def run_py(bin_dir: Path, code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(bin_dir / "python"), "-c", code], capture_output=True, text=True, cwd=cwd
    )


def test_wheel_has_one_import_root(installed: Path, tmp_path: Path) -> None:
    done = run_py(
        installed,
        "import latent_explorer.model as m, latent_explorer.server as s;"
        "from latent_explorer.model import load_checkpoint; print(m.__file__)",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "site-packages" in done.stdout and str(ROOT) not in done.stdout
    for generic in ("model", "server", "latent_explorer_cli"):
        gone = run_py(installed, f"import {generic}", tmp_path)
        assert gone.returncode != 0 and "ModuleNotFoundError" in gone.stderr, generic


def test_installed_cli_serves_page_and_api(installed: Path, tmp_path: Path) -> None:
    cli = [str(installed / "latent-explorer")]
    with running_server(ROOT / "checkpoints", command=cli, cwd=tmp_path) as server:
        page = urllib.request.urlopen(f"{server.url}/", timeout=10)
        html = page.read().decode()
        assert page.status == 200 and "latent" in html and "main.js" in html
        script = urllib.request.urlopen(f"{server.url}/assets/js/main.js", timeout=10)
        assert script.status == 200 and b"import" in script.read()
        models = json.load(urllib.request.urlopen(f"{server.url}/api/models", timeout=10))
        assert {m["id"] for m in models} >= {"vae-mnist-z2", "cvae-mnist-z2"}
