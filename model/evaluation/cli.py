"""`latent-explorer evaluate CKPT`: test-set metrics, written into the checkpoint's metadata.

- test negative ELBO (reconstruction + KL), on the test set binarized once with a fixed seed
- the importance-weighted NLL (Burda et al. 2016) with k samples, -log p(x|y) for a CVAE
- active units: latent dims whose posterior mean varies by more than 0.01 across the test set
- an AE's reconstruction BCE per image
- squared reconstruction error on gray images, beside PCA with the same latent size
- for models with a likelihood, the test set's quantiles of the per-drawing NLL (`scoring.py`:
  thresholded at 0.5, k=100, fixed seed), so the server can say where a drawing's NLL falls
- whatever a model measures of itself (`own_metrics`: PPCA's Gaussian NLL of gray images)
- for a CVAE: how often a separately trained classifier (judge.py) reads its label-conditioned
  samples as the asked-for label (100 per label, and again in a second draw of 1,000 per label),
  and that judge's own test error
- for the completion CVAE: the IW bound on binarized images and, apart, Pyro's estimator
- for an M2: the test error, per class, and the confusion matrix
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from ..checkpoint import load_checkpoint, update_metadata
from ..completion import CompletionCVAE
from ..data import ImageDataset, binarize_test_set, load_dataset, to_unit
from ..device import pick_device
from ..pca import fit_pca, pca_reconstruct, squared_error
from ..scoring import DRAWING_K, DRAWING_SEED, THRESHOLD, drawing_scores, nll_quantiles, threshold
from ..vae import LatentModel
from .completion import PYRO_PARTICLES
from .completion import benchmark as completion_benchmark
from .judge import (
    LARGE_DRAW_PER_LABEL,
    conditional_sample_accuracy,
    judge_reference_accuracy,
    judge_test_error,
    train_judge,
)
from .m2 import evaluate_m2
from .metrics import (
    active_units,
    gray_reconstruction_error,
    iw_nll,
    labels_for,
    mean_negative_elbo,
)

EVAL_SEED = 1234
COMPLETION_K = 100  # importance samples for completion: 3 masks x 10k images x k decoder passes
_started = time.perf_counter()


def say(stage: str) -> None:
    """What the evaluation does now, on stderr with the seconds so far: it printed nothing until
    its end, 6 minutes in on the 2-d VAE (k=1000) and longer on a CVAE, judges included."""
    elapsed = time.perf_counter() - _started
    print(f"evaluate [{elapsed:6.1f} s]: {stage}", file=sys.stderr, flush=True)


def evaluate(
    path: Path,
    k: int = 1000,
    limit: int | None = None,
    device: str = "auto",
    data_dir: str | None = None,
    write: bool = True,
) -> dict:
    """Compute the metrics of one checkpoint and (by default) write them into its metadata."""
    global _started
    _started = time.perf_counter()
    say(f"loading {path}")
    dev = pick_device(device)
    model = load_checkpoint(path, device=dev)
    data = load_dataset(model.metadata.get("dataset", "mnist"), data_dir)
    n = limit or len(data.test_images)
    t0 = time.perf_counter()
    caps = model.capabilities  # what the model can do decides what is measured
    updates: dict = {}
    if caps.completes:
        say(f"completion: the IW bound (k={min(k, COMPLETION_K)}) and Pyro's estimator, 3 masks")
        metrics, digits = completion_metrics(model, data, dev, n, k), 3
    elif caps.stacked:  # its bound runs through the lower model (M1): not "reads labels" alone
        say(f"M2: test error, confusion, bound and judged samples, {n} test images")
        metrics, digits = evaluate_m2(model, data, dev, n), 4
    else:
        metrics, digits = latent_model_metrics(model, data, dev, n, k), 3
        if caps.likelihood:
            say(f"scoring the test set as a drawing is scored (k={DRAWING_K})")
            updates["drawing_nll"] = drawing_nll(model, data, dev, n)
            metrics["test_threshold_nll_k100"] = sum(updates["drawing_nll"].pop("nlls")) / n
    metrics["eval_seconds"] = round(time.perf_counter() - t0, 1)
    say(f"done in {metrics['eval_seconds']} s" + (f"; written into {path}" if write else ""))
    metrics = {k: round(v, digits) if isinstance(v, float) else v for k, v in metrics.items()}
    if write:
        update_metadata(path, {"metrics": metrics, **updates})
    return metrics


def drawing_nll(model: LatentModel, data: ImageDataset, dev: torch.device, n: int) -> dict:
    """The test set scored as the server scores a drawing; its quantiles go into the metadata."""
    gray = to_unit(data.test_images[:n]).to(dev)
    y = labels_for(model, data.test_labels[:n].to(dev))
    nlls = []
    for i in range(0, n, 100):  # 100 images x k=100 samples per decoder pass
        yb = None if y is None else y[i : i + 100]
        nlls.append(drawing_scores(model, threshold(gray[i : i + 100]), yb)["nll"].cpu())
    nll = torch.cat(nlls)
    return {
        "k": DRAWING_K,
        "seed": DRAWING_SEED,
        "binarization": f"gray >= {THRESHOLD}",
        "test_images": n,
        "quantiles": nll_quantiles(nll),
        "nlls": nll.tolist(),  # for the mean in the metrics; not stored
    }


def completion_metrics(
    model: CompletionCVAE, data: ImageDataset, dev: torch.device, n: int, k: int
) -> dict:
    """cvae_nll_*: IW bound on binarized images; cvae_pyro_neg_elbo_*: Pyro's estimator."""
    torch.manual_seed(EVAL_SEED)
    x = binarize_test_set(data.test_images)[:n].to(dev)
    gray = to_unit(data.test_images[:n]).to(dev)
    k = min(k, COMPLETION_K)
    return {
        "test_images": n,
        "iw_k": k,
        "pyro_particles": PYRO_PARTICLES,
        **completion_benchmark(model, x, gray, k, PYRO_PARTICLES),
    }


def latent_model_metrics(
    model: LatentModel, data: ImageDataset, dev: torch.device, n: int, k: int
) -> dict:
    """AE, VAE, CVAE: -ELBO, the IW NLL, active units, and the squared error beside PCA."""
    torch.manual_seed(EVAL_SEED)
    x = binarize_test_set(data.test_images)[:n].to(dev)
    gray = to_unit(data.test_images[:n]).to(dev)
    y = labels_for(model, data.test_labels[:n].to(dev))
    metrics: dict = {"test_images": n}
    caps = model.capabilities
    if caps.likelihood:
        say(f"−ELBO of {n} binarized test images")
        elbo = mean_negative_elbo(model, x, data.test_labels[:n].to(dev))
        metrics |= {"test_neg_elbo": elbo["loss"], "test_rec": elbo["rec"], "test_kl": elbo["kl"]}
        batch = max(1, 20_000 // min(k, 250))
        key = "test_nll_given_label" if y is not None else "test_iw_nll"
        say(f"importance-weighted NLL, k={k} (the longest part)")
        metrics[key] = iw_nll(model, x, y, k, batch)
        metrics["iw_k"] = k
    elif not caps.stochastic:  # the AE: its BCE is the only nats it has
        metrics["test_rec_bce"] = mean_negative_elbo(model, x, data.test_labels[:n].to(dev))["rec"]
    metrics |= model.own_metrics(gray)
    metrics["active_units"] = active_units(model, x, y)
    if y is not None:
        say("training a judge of the labels, then reading the samples of each label")
        judge = train_judge(data, dev)
        metrics["judge_test_error"] = judge_test_error(judge, data, dev)
        args = (model.decode, model.config.latent_dim, model.config.num_labels, judge, dev)
        metrics |= conditional_sample_accuracy(*args)
        # A second, independent draw ten times larger: the first one's share has a standard
        # error of about a point, this one's about a third of that.
        large = conditional_sample_accuracy(*args, seed=1, per_label=LARGE_DRAW_PER_LABEL)
        metrics["conditional_sample_accuracy_large_draw"] = large["conditional_sample_accuracy"]
        metrics["sample_accuracy_per_class_large_draw"] = large["sample_accuracy_per_class"]
        metrics |= judge_reference_accuracy(model, judge, data, dev)
    say(f"squared error of gray reconstructions, beside PCA with {model.config.latent_dim} dims")
    mean, comps = fit_pca(to_unit(data.train_images).to(dev), model.config.latent_dim)
    metrics["recon_sq_error"] = gray_reconstruction_error(model, gray, y)
    metrics["pca_recon_sq_error"] = (
        squared_error(pca_reconstruct(gray, mean, comps), gray).mean().item()
    )
    return metrics


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint", type=Path)
    p.add_argument("--k", type=int, default=1000, help="importance samples per image")
    p.add_argument("--limit", type=int, default=None, help="use only the first N test images")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--data-dir", default=None)
    p.add_argument("--no-write", action="store_true", help="print only; leave the file as it is")


def run(args: argparse.Namespace) -> dict:
    metrics = evaluate(
        args.checkpoint, args.k, args.limit, args.device, args.data_dir, write=not args.no_write
    )
    shown = {k: v for k, v in metrics.items() if k != "confusion_matrix"}
    print(json.dumps({"checkpoint": str(args.checkpoint), **shown}, indent=2))
    if "confusion_matrix" in metrics:
        print(format_confusion(metrics["confusion_matrix"], metrics["test_error_per_class"]))
    return metrics


def format_confusion(confusion: list[list[int]], errors: list[float]) -> str:
    """The confusion matrix as text: a row per true label, a column per predicted one."""
    k = len(confusion)
    lines = ["confusion matrix (row: true label, column: predicted; last: error of the row)"]
    lines.append("true\\pred " + "".join(f"{c:>6}" for c in range(k)) + "   error")
    for c, row in enumerate(confusion):
        lines.append(f"{c:>9} " + "".join(f"{v:>6}" for v in row) + f"  {100 * errors[c]:5.1f}%")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="latent-explorer evaluate", description=__doc__)
    add_arguments(parser)
    run(parser.parse_args(argv))
