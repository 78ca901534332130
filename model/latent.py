"""Latent-space geometry the explorer needs: manifold grids, interpolation paths, a 2-D plane."""

from __future__ import annotations

import torch
from torch import Tensor

from .pca import fit_pca


def grid_axis(n: int, span: float | None = None) -> Tensor:
    """n coordinates along one axis, descending so that row 0 of an image is the top.

    Without `span`: the inverse normal CDF of (i + 0.5) / n, so each cell covers equal prior mass,
    as in Kingma & Welling's manifold figure. With `span`: evenly spaced in [-span, span].
    """
    if span is None:
        p = (torch.arange(n, dtype=torch.float64) + 0.5) / n
        values = torch.distributions.Normal(0.0, 1.0).icdf(p)
    else:
        values = torch.linspace(-span, span, n, dtype=torch.float64)
    return values.flip(0).float()


def plane_grid(
    n: int, origin: Tensor, axis_x: Tensor, axis_y: Tensor, span: float | None = None
) -> Tensor:
    """(n*n, D) latents: row-major over the image, x to the right, y upward."""
    coords = grid_axis(n, span)
    ys, xs = coords[:, None].expand(n, n), coords.flip(0)[None, :].expand(n, n)
    return origin + xs.reshape(-1, 1) * axis_x + ys.reshape(-1, 1) * axis_y


def dims_plane(
    latent_dim: int, dims: tuple[int, int], base: Tensor | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """(origin, axis_x, axis_y) for the plane spanned by two latent dimensions through `base`."""
    origin = torch.zeros(latent_dim) if base is None else base.clone().float()
    origin[list(dims)] = 0.0
    eye = torch.eye(latent_dim)
    return origin, eye[dims[0]], eye[dims[1]]


def pca_plane_through(
    mean: Tensor, components: Tensor, base: Tensor | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """(origin, axis_x, axis_y) for the plane along the two principal components through `base`
    (through the mean without one). The origin is base without its own PC1/PC2 coordinates, so a
    point (u, v) of the plane projects to (u, v), as the atlas's dots do, and the other
    directions keep base's values, as a dims plane keeps the other dims."""
    c1, c2 = components[0], components[1]
    if base is None:
        return mean, c1, c2
    offset = base.to(mean) - mean
    return base.to(mean) - (offset @ c1) * c1 - (offset @ c2) * c2, c1, c2


def pca_plane(points: Tensor) -> tuple[Tensor, Tensor]:
    """(mean (D,), components (2, D)) of the plane that best fits the given latents."""
    mean, components = fit_pca(points, 2)
    return mean, components


def interpolate(start: Tensor, end: Tensor, steps: int, method: str = "linear") -> Tensor:
    """(steps, D) latents from start to end inclusive, along a line or a great circle (slerp).

    Slerp (Shoemake 1985; White 2016 for latent spaces) turns the direction along a great circle
    while the norm moves evenly from |start| to |end|, instead of cutting through the low-density
    middle near 0; it falls back to a line for parallel ends. (The textbook formula, applied to
    ends of unequal norm far apart in angle, overshoots both: ends at 175 degrees with norms 2.97
    and 3.23 reached 5.19 on the way.)
    """
    t = torch.linspace(0.0, 1.0, steps, dtype=torch.float64)[:, None]
    a, b = start.double(), end.double()
    if method == "linear":
        return ((1 - t) * a + t * b).float()
    if method != "slerp":
        raise ValueError(f"method must be linear or slerp, got {method!r}")
    na, nb = a.norm(), b.norm()
    if na < 1e-8 or nb < 1e-8:
        return ((1 - t) * a + t * b).float()
    omega = torch.arccos(torch.clamp((a / na) @ (b / nb), -1.0, 1.0))
    if omega.abs() < 1e-6:
        return ((1 - t) * a + t * b).float()
    if torch.pi - omega < 1e-3:
        return _slerp_opposite(a, b, t, omega)
    so = torch.sin(omega)
    direction = torch.sin((1 - t) * omega) / so * (a / na) + torch.sin(t * omega) / so * (b / nb)
    return (((1 - t) * na + t * nb) * direction).float()


def _slerp_opposite(a: Tensor, b: Tensor, t: Tensor, omega: Tensor) -> Tensor:
    """Slerp for (nearly) opposite ends, where sin(omega) ~ 0 makes the usual formula divide by
    zero (a path through the origin, or values of +-1e3). Every great circle through two
    antipodes is as short, so pick one: the plane of a and the latent axis least aligned with a
    (the first such axis on ties); for ends not exactly opposite, b's own part orthogonal to a."""
    a_hat = a / a.norm()
    u = b / b.norm() - (b / b.norm() @ a_hat) * a_hat
    if u.norm() < 1e-6:
        u = torch.zeros_like(a)
        u[int(torch.argmin(a_hat.abs()))] = 1.0
        u = u - (u @ a_hat) * a_hat
    u = u / u.norm()
    radius = (1 - t) * a.norm() + t * b.norm()
    return (radius * (torch.cos(t * omega) * a_hat + torch.sin(t * omega) * u)).float()


def nearest_labels(codes: Tensor, labels: Tensor, point: Tensor, k: int = 10) -> list[int]:
    """The labels of the k codes nearest `point` (Euclidean, in the whole latent space), nearest
    first: where a drawing's mean landed, in words ("among the 7s"), on any plane the map shows.
    Meaningful only where the codes are the images' own, not given their labels (a CVAE's z
    keeps the style, and its codes of every label share one region)."""
    distances = (codes.float() - point.float().reshape(1, -1)).pow(2).sum(dim=1)
    order = distances.topk(min(k, len(codes)), largest=False).indices
    return [int(v) for v in labels[order].tolist()]
