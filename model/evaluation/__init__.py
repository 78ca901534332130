"""Evaluation: the field's metrics in nats, the M2 and completion evaluations, and the
`latent-explorer evaluate` CLI. Never imports `training`."""
