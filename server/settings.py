"""Settings from environment variables (LATENT_EXPLORER_*), overridable in tests."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# The folder that holds `server/` and `frontend/`: the repository in a checkout or an editable
# install, site-packages/latent_explorer in a wheel (which ships the page as package data).
PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def _env(name: str, default: str) -> str:
    return os.environ.get(f"LATENT_EXPLORER_{name}", default)


@dataclass(frozen=True)
class Settings:
    checkpoints: Path = Path("checkpoints")  # every *.safetensors here is served
    device: str = "auto"  # auto | cpu | cuda
    cors_origins: tuple[str, ...] = ()  # extra origins allowed to call the API from a browser
    frontend: Path | None = PACKAGE_ROOT / "frontend"  # static page served at /, None: API only
    max_body_bytes: int = 4 * 1024 * 1024  # JSON bodies and uploads; larger gets a 413
    max_image_pixels: int = 4096 * 4096  # uploads claiming more pixels are refused unread
    max_batch: int = 1024  # latents per decode / samples per generate
    max_grid: int = 64  # grid side, in digits
    max_steps: int = 64  # interpolation frames
    max_abs_z: float = 1000.0  # beyond this a latent is surely a mistake (and could overflow)
    torch_threads: int = 0  # 0: leave torch's default

    @classmethod
    def from_env(cls) -> Settings:
        origins = tuple(o.strip() for o in _env("CORS_ORIGINS", "").split(",") if o.strip())
        return cls(
            checkpoints=Path(_env("CHECKPOINTS", "checkpoints")),
            device=_env("DEVICE", "auto"),
            cors_origins=origins,
            max_body_bytes=int(_env("MAX_BODY_BYTES", str(cls.max_body_bytes))),
            max_image_pixels=int(_env("MAX_IMAGE_PIXELS", str(cls.max_image_pixels))),
            max_batch=int(_env("MAX_BATCH", str(cls.max_batch))),
            max_grid=int(_env("MAX_GRID", str(cls.max_grid))),
            max_steps=int(_env("MAX_STEPS", str(cls.max_steps))),
            torch_threads=int(_env("TORCH_THREADS", "0")),
        )
