"""A decoder described as plain stages, so it can leave PyTorch (a file the browser runs).

A walkable model's decoder, z (and a label) -> pixels, is a chain of stages. Each stage is an MLP:
Linear layers with one activation between them and none after the last, then an output transform.
The first stage reads z, every later stage the previous stage's output, with the label's one-hot
vector appended to a stage's input when its `label` is set. The last stage's output transform
turns logits into pixel intensities in [0, 1] ("sigmoid"), or clips values that already are
intensities to [0, 1] ("clip": a linear model such as PCA); "identity" passes a stage's output on
unchanged, and an activation name applies that activation (a decoder whose every layer reads the
label is one stage per layer, each but the last closed by its activation).

A model kind joins the export (and the page's local decoding) by implementing
`decoder_stages()`; see `LatentModel.decoder_stages`.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from .networks import LabelledMLP

ACTIVATION_NAMES: dict[type[nn.Module], str] = {
    nn.ELU: "elu",
    nn.ReLU: "relu",
    nn.Tanh: "tanh",
    nn.Softplus: "softplus",
}
# A stage's output may also be an activation: a decoder whose every layer reads the label is one
# stage per layer, and the activation between two layers then closes a stage.
OUTPUTS = ("identity", "sigmoid", "clip", *ACTIVATION_NAMES.values())


@dataclass(frozen=True)
class DecoderStage:
    """One MLP of a decoder: y = out(L_n(act(... act(L_1(x))))), weights as torch stores them."""

    name: str  # what the stage produces, e.g. "pixels" or "features"
    weights: tuple[Tensor, ...]  # one (out, in) matrix per Linear layer
    biases: tuple[Tensor, ...]  # one (out,) vector per Linear layer
    activation: str = "elu"  # between layers: elu | relu | tanh | softplus | identity
    label: bool = False  # the one-hot label is appended to this stage's input
    output: str = "identity"  # after the last layer: identity | sigmoid | clip | an activation

    def __post_init__(self) -> None:
        if len(self.weights) != len(self.biases) or not self.weights:
            raise ValueError("a stage needs one bias per weight matrix, and at least one layer")
        for prev, nxt in zip(self.weights[:-1], self.weights[1:], strict=True):
            if prev.shape[0] != nxt.shape[1]:
                shapes = f"{tuple(prev.shape)} then {tuple(nxt.shape)}"
                raise ValueError(f"layer sizes do not chain: {shapes}")
        for w, b in zip(self.weights, self.biases, strict=True):
            if w.dim() != 2 or b.shape != (w.shape[0],):
                raise ValueError(f"weight {tuple(w.shape)} and bias {tuple(b.shape)} do not fit")
        if self.activation not in (*ACTIVATION_NAMES.values(), "identity"):
            raise ValueError(f"unknown activation {self.activation!r}")
        if self.output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {self.output!r}")

    @property
    def in_features(self) -> int:
        return int(self.weights[0].shape[1])

    @property
    def out_features(self) -> int:
        return int(self.weights[-1].shape[0])


def mlp_stage(
    seq: nn.Sequential, name: str, *, label: bool = False, output: str = "identity"
) -> DecoderStage:
    """The stage of an `nn.Sequential` built by `networks.mlp`. Refuses modules a stage cannot
    say (an ELU with alpha != 1, say) rather than exporting something that decodes differently."""
    weights, biases, activations = [], [], set()
    for module in seq:
        if isinstance(module, nn.Linear):
            weights.append(module.weight.detach().float().cpu())
            biases.append(module.bias.detach().float().cpu())
        elif type(module) in ACTIVATION_NAMES and default_params(module):
            activations.add(ACTIVATION_NAMES[type(module)])
        else:
            raise TypeError(f"a decoder stage cannot express {module!r}")
    if len(activations) > 1:
        raise TypeError(f"a stage has one activation, this MLP has {sorted(activations)}")
    activation = activations.pop() if activations else "identity"
    return DecoderStage(name, tuple(weights), tuple(biases), activation, label, output)


def labelled_mlp_stages(net: LabelledMLP, name: str, *, output: str) -> list[DecoderStage]:
    """The stages of a `networks.LabelledMLP`: one per layer, each reading the label, closed by
    the network's activation (the last by `output`)."""
    if type(net.activation) not in ACTIVATION_NAMES or not default_params(net.activation):
        raise TypeError(f"a decoder stage cannot express {net.activation!r}")
    activation = ACTIVATION_NAMES[type(net.activation)]
    last = len(net.layers) - 1
    return [
        DecoderStage(
            name if i == last else f"{name} layer {i + 1}",
            (layer.weight.detach().float().cpu(),),
            (layer.bias.detach().float().cpu(),),
            "identity",
            label=True,
            output=output if i == last else activation,
        )
        for i, layer in enumerate(net.layers)
    ]


def default_params(module: nn.Module) -> bool:
    """ELU and Softplus as both NumPy copies compute them (alpha 1; beta 1, threshold 20)."""
    if isinstance(module, nn.ELU):
        return module.alpha == 1.0
    if isinstance(module, nn.Softplus):
        return module.beta == 1.0 and module.threshold == 20.0
    return True
