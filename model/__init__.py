"""latent-explorer's models (AE, VAE, CVAE, semi-supervised M1+M2, image completion, probabilistic
PCA) and their safetensors checkpoints. Imports only torch, numpy, safetensors and tqdm.

Public API: `from latent_explorer.model import load_checkpoint`;
`m = load_checkpoint(path, device="cpu")`. Subpackages: `data` (IDX files, binarization, the MNIST
fetch), `training` (the shared loop and one trainer per family), `evaluation` (metrics, the
`evaluate` CLI).
"""

from .capabilities import Capabilities, Headline
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .completion import CompletionConfig, CompletionCVAE
from .config import AEConfig, CVAEConfig, ModelConfig, VAEConfig
from .m2 import M2, M2Config
from .ppca import PPCA, PCAConfig
from .vae import AE, CVAE, VAE, LatentModel, build_model

__all__ = [
    "AE",
    "Capabilities",
    "Headline",
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
    "PCAConfig",
    "PPCA",
    "VAE",
    "VAEConfig",
    "build_model",
    "load_checkpoint",
    "save_checkpoint",
]
