"""latent-explorer's HTTP service: a thin FastAPI layer over `model`."""

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
