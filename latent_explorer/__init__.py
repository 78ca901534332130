"""latent-explorer: trained latent spaces to walk in a browser (AE, VAE, CVAE, M1+M2,
probabilistic PCA, completion).

The import root of the project: `latent_explorer.model` (torch only: models, data, training,
evaluation, checkpoints) and `latent_explorer.server` (the FastAPI app over the checkpoints).
"""
