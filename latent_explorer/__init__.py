"""latent-explorer: trained latent spaces (AE, VAE, CVAE, M1+M2, completion) to walk in a browser.

The import root of the project: `latent_explorer.model` (torch only: models, data, training,
evaluation, checkpoints) and `latent_explorer.server` (the FastAPI app over the checkpoints).
"""
