"""latent-explorer's models: AE, VAE and CVAE on MNIST, and their safetensors checkpoints.

Public API: `from model import load_checkpoint`; `m = load_checkpoint(path, device="cpu")`.
"""

from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .completion import CompletionConfig, CompletionCVAE
from .config import AEConfig, CVAEConfig, ModelConfig, VAEConfig
from .m2 import M2, M2Config
from .vae import AE, CVAE, VAE, LatentModel, build_model

__all__ = [
    "AE",
    "AEConfig",
    "CVAE",
    "CVAEConfig",
    "CheckpointError",
    "CompletionCVAE",
    "CompletionConfig",
    "LatentModel",
    "M2",
    "M2Config",
    "ModelConfig",
    "VAE",
    "VAEConfig",
    "build_model",
    "load_checkpoint",
    "save_checkpoint",
]
