"""Training: one shared loop (`loop.py`) and one module per model family, each a CLI with
`main(argv=None)`. Training may import evaluation; evaluation never imports training."""
