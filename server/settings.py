"""Settings from environment variables (LATENT_EXPLORER_*), overridable in tests.

One number, one home: the request schemas' limits (batch, steps, |z|, completions) are built from
this object (`request_schemas.request_models`), so raising LATENT_EXPLORER_MAX_BATCH raises the
schema's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The folder that holds `server/` and `frontend/`: the repository in a checkout or an editable
# install, site-packages/latent_explorer in a wheel (which ships the page as package data).
PACKAGE_ROOT = Path(__file__).resolve().parents[1]
# What a browser sends as Host when the server is bound to loopback (DNS rebinding protection).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
CommaList = Annotated[tuple[str, ...], NoDecode]  # "a, b" in the environment, not JSON


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LATENT_EXPLORER_", frozen=True)

    checkpoints: Path = Path("checkpoints")  # every *.safetensors here is served
    device: str = "auto"  # auto | cpu | cuda
    cors_origins: CommaList = ()  # extra origins allowed to call the API from a browser
    # Host headers accepted; ("*",) accepts any (behind a proxy that checks them). The default
    # lets only loopback names through, so a DNS-rebinding page cannot reach a local server.
    trusted_hosts: CommaList = LOOPBACK_HOSTS
    frontend: Path | None = PACKAGE_ROOT / "frontend"  # static page served at /, None: API only
    max_body_bytes: int = Field(4 * 1024 * 1024, ge=1024)  # JSON bodies and uploads; else 413
    # Uploads claiming more pixels are refused unread: 12 Mpx is a phone photo, plenty for a digit.
    max_image_pixels: int = Field(12_000_000, ge=28 * 28)
    max_uploads: int = Field(2, ge=1)  # uploads decoded at once; more wait (bounded memory)
    max_heavy: int = Field(1, ge=1)  # grids/large batches rendered at once; the rest queue
    max_batch: int = Field(1024, ge=1)  # latents per decode / samples per generate
    max_grid: int = Field(64, ge=1)  # grid side, in digits
    max_steps: int = Field(64, ge=2)  # interpolation frames
    max_completions: int = Field(64, ge=1)  # completions per /complete request
    max_abs_z: float = Field(1000.0, gt=0)  # beyond this a latent is surely a mistake
    torch_threads: int = 0  # 0: leave torch's default

    @field_validator("cors_origins", "trusted_hosts", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return value

    @classmethod
    def from_env(cls) -> Settings:
        """The environment's settings (what `Settings()` reads; kept for callers and tests)."""
        return cls()


# Named in refusals of a cross-origin request: how its operator allows an origin.
ORIGINS_SETTING = f"{Settings.model_config['env_prefix']}CORS_ORIGINS"
