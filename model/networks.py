"""MLP building blocks shared by every model kind."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "elu": nn.ELU,
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "softplus": nn.Softplus,
}


def mlp(sizes: Sequence[int], activation: str) -> nn.Sequential:
    """Linear layers through `sizes`, an activation between them and none after the last."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(_ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class LabelledMLP(nn.Module):
    """`mlp`'s layers, but every layer reads the one-hot label beside its input, so the label can
    steer each layer of a decoder rather than only the first (the label's effect is then not
    limited to what the first layer's biases can carry through the rest)."""

    def __init__(self, sizes: Sequence[int], num_labels: int, activation: str) -> None:
        super().__init__()
        pairs = zip(sizes[:-1], sizes[1:], strict=True)
        self.layers = nn.ModuleList(nn.Linear(n_in + num_labels, n_out) for n_in, n_out in pairs)
        self.activation = _ACTIVATIONS[activation]()

    def forward(self, h: Tensor, onehot: Tensor) -> Tensor:
        for i, layer in enumerate(self.layers):
            h = layer(torch.cat([h, onehot], dim=1))
            if i < len(self.layers) - 1:
                h = self.activation(h)
        return h
