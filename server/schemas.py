"""Response bodies: what each endpoint answers, as the OpenAPI document shows it. The request
bodies, whose limits are settings, are built in request_schemas.py."""

from typing import Literal

from pydantic import BaseModel, Field

Output = Literal["png", "probs", "logits"]
Image = str | list[list[float]]  # a PNG data URL, or 28x28 probabilities / logits


class Health(BaseModel):
    status: Literal["ok"]
    device: str
    models: int


class HeadlineMetric(BaseModel):
    name: str
    label: str
    unit: Literal["nats", "fraction", "squared error"]
    value: float | None


class ModelCapabilities(BaseModel):
    walkable: bool = Field(description="decodes a bare z (sliders, map, grid, interpolation)")
    conditional: bool = Field(description="the decoder takes a class label")
    infers_label: bool = Field(description="encode also returns q(y|x)")
    completes: list[str] = Field(description="regions /complete accepts; empty if none")
    stochastic: bool = Field(description="encode gives a distribution (logvar), not a point")
    standard_normal_prior: bool = Field(description="p(z) = N(0, I)")
    likelihood: bool = Field(
        description="the model scores an image in nats of binary pixels (an ELBO and an IW "
        "bound): /encode answers them where it takes the model; a completion model's are "
        "evaluate's, not served. Not the decoder's output distribution (see ModelInfo.likelihood)"
    )
    exact_posterior: bool = Field(description="encode gives the true p(z|x), in closed form")
    stacked: bool = Field(
        description="the decoder gives the mean of a lower model's latent (an M2: M1's z1), "
        "which that model decodes to pixels"
    )


class DecoderInfo(BaseModel):
    url: str = Field(description="the decoder as safetensors; the URL changes with its content")
    sha256: str = Field(description="hex digest of the file")
    bytes: int
    dtype: Literal["float16", "float32"] = Field(description="the weights' type in the file")


class DatasetDescription(BaseModel):
    name: str
    title: str = Field(description="as people write it, e.g. Fashion-MNIST")
    item: str = Field(description="what one image shows, the page's noun, e.g. digit")
    items: str = Field(description="its plural, e.g. digits")
    class_names: list[str] = Field(description="the data set's labels, for every model on it")
    class_phrases: list[str] | None = Field(
        description="each label as a sentence names it (an 8, trousers), the data set's own; "
        "null for class names it does not declare"
    )
    drawing: Literal["mnist-digit"] | None = Field(
        description="mnist-digit: a pen drawing fits after MNIST's preprocessing; null: drawings "
        "do not look like the data"
    )


class ModelInfo(BaseModel):
    id: str
    kind: str
    display_name: str
    dataset: str
    latent_dim: int
    num_classes: int
    class_names: list[str]
    data: DatasetDescription
    likelihood: str = Field(
        description="the decoder's output distribution per pixel (bernoulli, gaussian): what "
        "probs are the means of. An autoencoder's sigmoid output is named bernoulli too, though "
        "it defines no density; whether nats are served is capabilities.likelihood"
    )
    kl_weight: float = Field(
        1.0,
        description="β, the KL's weight in the training loss (1: the plain ELBO; the "
        "−ELBO served is always the plain one)",
    )
    metrics: dict[str, float]
    headline_metric: HeadlineMetric
    capabilities: ModelCapabilities
    decoder: DecoderInfo | None = Field(
        description="the decoder as a file to run elsewhere (the page does); null if not walkable"
    )
    description: str


class DecodeResponse(BaseModel):
    model: str
    output: Output
    images: list[Image]


class GenerateResponse(BaseModel):
    model: str
    output: Output
    z: list[list[float]]
    labels: list[int] | None
    images: list[Image]


class ElboTerms(BaseModel):
    reconstruction: float = Field(description="E_q[-log p(x|z)], nats")
    kl: float = Field(description="KL(q(z|x) || p(z)), nats")
    negative_elbo: float = Field(description="reconstruction + kl, nats")


# Test codes read around a drawing's mean: enough to say "among the 7s", few enough to stay local.
NEAREST_K = 10


class EncodeResponse(BaseModel):
    model: str
    mu: list[float]
    logvar: list[float] | None
    preprocessed: str
    reconstruction: str
    label: int | None = Field(None, description="the label used: given, or predicted by an m2")
    label_probs: list[float] | None = Field(None, description="q(y|x) of an m2 model, else null")
    nearest_labels: list[int] | None = Field(
        None,
        description=f"the labels of the {NEAREST_K} test codes nearest mu (the atlas's, in the "
        "whole latent space), nearest first; null for a conditional model, whose codes are given "
        "their labels",
    )
    elbo: ElboTerms | None = Field(
        None,
        description="models with a likelihood: the ELBO of the preprocessed image thresholded "
        "at 0.5 (a pixel is on when its gray level is >= 0.5), with q(z|x) of that binary image",
    )
    nll: float | None = Field(None, description="-log p(x) of that image, importance-weighted")
    nll_k: int | None = Field(None, description="importance samples behind nll")
    percentile: float | None = Field(
        None,
        description="% of test images (scored the same way) whose nll is at most this one; "
        "null when the checkpoint's evaluation stored no quantiles",
    )
    kl_per_dim: list[float] | None = Field(None, description="the KL of each latent dim, nats")


class InterpolateResponse(BaseModel):
    model: str
    output: Output
    z: list[list[float]]
    label: int | None = Field(
        None,
        description="the label the frames are decoded with: the one sent, or for a model that "
        "reads labels (the M2) and none sent, the one it reads on the first end given as pixels",
    )
    images: list[Image]


class PcaAxes(BaseModel):
    mean: list[float]
    components: list[list[float]]


class AtlasResponse(BaseModel):
    model: str
    dims: list[int] | Literal["pca"]
    points: list[list[float]]
    labels: list[int]
    axes: PcaAxes | None = None
    class_names: list[str]


class CompleteResponse(BaseModel):
    model: str
    output: Literal["png", "probs"]
    mask: list[list[int]]
    images: list[Image]
    preprocessed: str = Field(
        description="the 28x28 image that was completed, as read (an upload after its framing)"
    )
