"""What a model can do, declared by its class and read by the server and the page.

Nothing outside a model's own file decides by its kind name: the API passes these through
(`GET /api/models`), so a new kind joins the page by declaring them. A kind's file registers its
config and model (`register_config`, `register_model`) when it is imported: import it in
`model/__init__.py`, or checkpoints of that kind will not load ("unknown kind").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Capabilities:
    walkable: bool = True  # decode(z, y) from a bare latent: sliders, map, grid, interpolation
    conditional: bool = False  # the decoder takes a class label
    infers_label: bool = False  # classify(x) gives q(y|x), so a drawing gets a predicted label
    completes: tuple[str, ...] = ()  # region names /complete accepts; empty: not a completer
    stochastic: bool = True  # encode gives a distribution (mu, logvar), not a point
    standard_normal_prior: bool = True  # p(z) = N(0, I): samples and the map's circles use it
    likelihood: bool = True  # an ELBO and an importance-weighted NLL of an image exist
    exact_posterior: bool = False  # encode gives the true p(z|x) in closed form, not a learned q
    # The decoder gives the mean of a lower model's latent (an M2: M1's features z1), which that
    # model decodes to pixels: the image is p(pixel | z1 = that mean), not a p(pixel | z, y).
    stacked: bool = False

    def to_dict(self) -> dict:
        return {**asdict(self), "completes": list(self.completes)}


@dataclass(frozen=True)
class Headline:
    """The metric a kind is judged by, shown in the model picker."""

    key: str  # the name in the checkpoint's metrics
    label: str  # how a person reads it
    unit: str  # "nats" or "fraction"
