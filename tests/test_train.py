"""A short training run on a small synthetic set lowers the loss and leaves loadable checkpoints."""

from pathlib import Path

import pytest

from latent_explorer.cli import build_parser
from latent_explorer.model import load_checkpoint
from latent_explorer.model.evaluation.cli import evaluate
from latent_explorer.model.training.vae import train


def _args(tmp_path: Path, data_dir: Path, *extra: str):
    return build_parser().parse_args(
        [
            "train",
            "--data-dir",
            str(data_dir),
            "--hidden",
            "64",
            "--batch-size",
            "64",
            "--quiet",
            "--out",
            str(tmp_path / "m.safetensors"),
            "--device",
            "cpu",
            *extra,
        ]
    )


@pytest.mark.parametrize("kind", ["ae", "vae", "cvae"])
def test_two_epochs_lower_the_loss(tmp_path: Path, tiny_data_dir: Path, kind: str) -> None:
    path = train(_args(tmp_path, tiny_data_dir, "--model", kind, "--epochs", "2", "--lr", "3e-3"))
    model = load_checkpoint(path)
    history = model.metadata["history"]
    assert [h["epoch"] for h in history] == [1, 2]
    assert history[1]["test_loss"] < history[0]["test_loss"]
    assert model.atlas["mu"].shape == (128, 2)
    assert model.metadata["train_args"]["model"] == kind


def test_resume_continues_where_it_stopped(tmp_path: Path, tiny_data_dir: Path) -> None:
    train(_args(tmp_path, tiny_data_dir, "--epochs", "1"))
    path = train(_args(tmp_path, tiny_data_dir, "--epochs", "3", "--resume"))
    history = load_checkpoint(path).metadata["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3]


def test_resume_without_its_state_refuses_and_keeps_the_file(
    tmp_path: Path, tiny_data_dir: Path
) -> None:
    """A checkpoint without its optimizer state (every shipped one) is not silently retrained
    from scratch over itself."""
    from latent_explorer.model.training.loop import train_state_path

    path = train(_args(tmp_path, tiny_data_dir, "--epochs", "1"))
    train_state_path(path).unlink()
    before = path.read_bytes()
    with pytest.raises(SystemExit, match="cannot be resumed"):
        train(_args(tmp_path, tiny_data_dir, "--epochs", "2", "--resume"))
    assert path.read_bytes() == before


def test_an_existing_checkpoint_is_not_replaced_unless_asked(
    tmp_path: Path, tiny_data_dir: Path
) -> None:
    """A new contributor's pass: without --out a trainer writes to checkpoints/<id>, where the
    shipped models are; the README's own PCA command replaced the shipped one and its metrics."""
    from latent_explorer.model.training.pca import train_pca

    path = train(_args(tmp_path, tiny_data_dir, "--epochs", "1"))
    before = path.read_bytes()
    with pytest.raises(SystemExit, match="exists .*--overwrite to replace it, or --resume"):
        train(_args(tmp_path, tiny_data_dir, "--epochs", "1", "--seed", "1"))
    assert path.read_bytes() == before
    train(_args(tmp_path, tiny_data_dir, "--epochs", "1", "--seed", "1", "--overwrite"))
    replaced = path.read_bytes()
    assert replaced != before
    with pytest.raises(SystemExit, match="exists"):
        train_pca(_args(tmp_path, tiny_data_dir, "--model", "pca"))
    assert path.read_bytes() == replaced


def test_a_training_state_given_as_a_model_is_named_so(tmp_path: Path, tiny_data_dir: Path) -> None:
    """A new contributor's pass: `evaluate x.train-state.safetensors` said "format version None"."""
    from latent_explorer.model import load_checkpoint
    from latent_explorer.model.checkpoint import CheckpointError
    from latent_explorer.model.training.loop import train_state_path

    path = train(_args(tmp_path, tiny_data_dir, "--epochs", "1"))
    with pytest.raises(
        CheckpointError, match="a training state .* give its checkpoint, m.safetensors"
    ):
        load_checkpoint(train_state_path(path))


def test_resume_says_it_keeps_the_files_model(
    tmp_path: Path, tiny_data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    train(_args(tmp_path, tiny_data_dir, "--epochs", "1", "--beta", "2"))
    capsys.readouterr()
    path = train(_args(tmp_path, tiny_data_dir, "--epochs", "2", "--resume"))
    out = capsys.readouterr().out
    assert "resuming keeps" in out and "beta=2.0" in out
    assert load_checkpoint(path).config.beta == 2.0
    assert "train loss" in out  # the weighted loss, as the file was trained, is not called -ELBO


def test_same_seed_same_weights(tmp_path: Path, tiny_data_dir: Path) -> None:
    import torch

    a = load_checkpoint(train(_args(tmp_path / "a", tiny_data_dir, "--epochs", "1")))
    b = load_checkpoint(train(_args(tmp_path / "b", tiny_data_dir, "--epochs", "1")))
    for key, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[key])


def test_training_flushes_subnormals_only_while_it_runs(
    tmp_path: Path, tiny_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The epochs run with subnormals flushed (for speed on CPUs) and the switch is off after:
    it is global to the thread, and other code on it (hypothesis, in the tests) needs them."""
    import torch

    from latent_explorer.model.training import loop

    calls: list[bool] = []
    flushed_during: list[float] = []
    real_set = torch.set_flush_denormal

    def recording_set(on: bool) -> bool:
        calls.append(on)
        return real_set(on)

    real_fit = loop.fit

    def fit_that_looks(run, train_epoch, end_epoch, **kw):  # noqa: ANN001, ANN003, ANN202
        def looking_epoch(epoch: int) -> None:
            flushed_during.append((torch.tensor([1e-40]) * 1.0).item())
            train_epoch(epoch)

        return real_fit(run, looking_epoch, end_epoch, **kw)

    monkeypatch.setattr(torch, "set_flush_denormal", recording_set)
    monkeypatch.setattr("latent_explorer.model.training.vae.fit", fit_that_looks)
    train(_args(tmp_path, tiny_data_dir, "--epochs", "2"))
    assert calls == [True, False]
    assert flushed_during == [0.0, 0.0]  # 1e-40 is subnormal in float32: flushed inside the loop
    assert (torch.tensor([1e-40]) * 1.0).item() != 0.0  # and kept after it


def test_evaluate_writes_metrics(tmp_path: Path, tiny_data_dir: Path, capsys) -> None:  # noqa: ANN001
    path = train(_args(tmp_path, tiny_data_dir, "--model", "cvae", "--epochs", "1"))
    capsys.readouterr()
    metrics = evaluate(path, k=20, device="cpu", data_dir=str(tiny_data_dir))
    # It says what it is doing (it printed nothing until its end, minutes in).
    said = capsys.readouterr().err
    for stage in ("−ELBO of", "importance-weighted NLL, k=20", "training a judge", "done in"):
        assert stage in said, said
    assert metrics["test_nll_given_label"] <= metrics["test_neg_elbo"] + 1.0
    assert 0 <= metrics["active_units"] <= 2
    assert metrics["pca_recon_sq_error"] > 0
    assert load_checkpoint(path).metadata["metrics"] == metrics


def test_train_m2_and_completion_end_to_end(tmp_path: Path, tiny_data_dir: Path) -> None:
    from latent_explorer.model.training.completion import train_completion
    from latent_explorer.model.training.m2 import train_m2

    m1 = train(_args(tmp_path / "m1", tiny_data_dir, "--latent-dim", "4", "--epochs", "1"))
    m2_args = build_parser().parse_args(
        [
            "train-m2",
            "--m1",
            str(m1),
            "--data-dir",
            str(tiny_data_dir),
            "--labels-per-class",
            "2",
            "--epochs",
            "2",
            "--hidden",
            "16",
            "--out",
            str(tmp_path / "m2.safetensors"),
            "--quiet",
            "--device",
            "cpu",
        ]
    )
    m2 = load_checkpoint(train_m2(m2_args))
    assert m2.kind == "m2" and len(m2.metadata["labelled_indices"]) == 20
    assert [h["epoch"] for h in m2.metadata["history"]] == [1, 2]
    assert 0 <= m2.metadata["metrics"]["test_error"] <= 1
    c_args = build_parser().parse_args(
        [
            "train-completion",
            "--data-dir",
            str(tiny_data_dir),
            "--epochs",
            "1",
            "--hidden",
            "32",
            "--latent-dim",
            "4",
            "--out",
            str(tmp_path / "c.safetensors"),
            "--device",
            "cpu",
        ]
    )
    completion = load_checkpoint(train_completion(c_args))
    metrics = evaluate(tmp_path / "c.safetensors", k=5, device="cpu", data_dir=str(tiny_data_dir))
    assert completion.kind == "completion"
    assert metrics["cvae_nll_1q"] > metrics["cvae_nll_3q"] > 0  # more visible, less to guess


def test_iw_samples_trains_on_the_k_sample_bound(
    tmp_path: Path, tiny_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--iw-samples 4` routes every step through the k-sample bound with k=4 (not the ELBO),
    lowers it, and the checkpoint records the flag."""
    import latent_explorer.model.training.vae as trainer

    calls: list[int] = []
    bound = trainer.importance_weighted_loss

    def counting(model, x, y, k):
        calls.append(k)
        return bound(model, x, y, k)

    def no_elbo(*args, **kwargs):  # the test report computes its ELBO elsewhere (metrics)
        raise AssertionError("the ELBO was used as the training loss")

    monkeypatch.setattr(trainer, "importance_weighted_loss", counting)
    monkeypatch.setattr(trainer, "negative_elbo", no_elbo)
    flags = ("--model", "cvae", "--iw-samples", "4", "--epochs", "2", "--lr", "3e-3")
    model = load_checkpoint(train(_args(tmp_path, tiny_data_dir, *flags)))
    steps = 2 * -(-512 // 64)  # the tiny set has 512 training images, batch 64
    assert calls == [4] * steps
    history = model.metadata["history"]
    assert history[1]["train_loss"] < history[0]["train_loss"]
    assert model.metadata["train_args"]["iw_samples"] == 4


@pytest.mark.parametrize(
    "flags", [("--model", "ae"), ("--model", "cvae", "--beta", "2"), ("--kl-warmup", "3")]
)
def test_iw_samples_refuses_what_has_no_meaning(
    tmp_path: Path, tiny_data_dir: Path, flags: tuple[str, ...]
) -> None:
    with pytest.raises(SystemExit, match="--iw-samples"):
        train(_args(tmp_path, tiny_data_dir, "--iw-samples", "3", *flags))
    assert not (tmp_path / "m.safetensors").exists()


def test_iw_samples_is_not_silently_ignored(tmp_path: Path, tiny_data_dir: Path) -> None:
    """PCA has no bound to train on; a resumed run keeps the objective it started with."""
    from latent_explorer.cli import main

    with pytest.raises(SystemExit, match="--iw-samples"):
        main(["train", "--model", "pca", "--iw-samples", "3", "--data-dir", str(tiny_data_dir)])
    train(_args(tmp_path, tiny_data_dir, "--iw-samples", "2", "--epochs", "1"))
    with pytest.raises(SystemExit, match="--iw-samples 2"):
        train(_args(tmp_path, tiny_data_dir, "--epochs", "2", "--resume"))
    path = train(_args(tmp_path, tiny_data_dir, "--iw-samples", "2", "--epochs", "2", "--resume"))
    assert [h["epoch"] for h in load_checkpoint(path).metadata["history"]] == [1, 2]


def test_resume_after_a_stop_between_the_two_saves_goes_on_from_the_checkpoint(
    tmp_path: Path, tiny_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The checkpoint is saved before its train state: a run stopped between the two left the
    state an epoch behind, and --resume trained that epoch again on weights that had it, every
    later epoch numbered one off."""
    from latent_explorer.model.training.loop import train_state_path

    path = train(_args(tmp_path, tiny_data_dir, "--epochs", "1"))
    state = train_state_path(path)
    epoch_one = state.read_bytes()
    train(_args(tmp_path, tiny_data_dir, "--epochs", "2", "--resume"))
    state.write_bytes(epoch_one)  # as if the run stopped after epoch 2's checkpoint
    capsys.readouterr()
    train(_args(tmp_path, tiny_data_dir, "--epochs", "3", "--resume"))
    said = capsys.readouterr().out
    assert "train state from epoch 1" in said and "after epoch 2" in said, said
    assert "epoch 2/3" not in said and "epoch 3/3" in said, said
    assert [h["epoch"] for h in load_checkpoint(path).metadata["history"]] == [1, 2, 3]


def test_resume_refuses_a_train_state_from_another_run(tmp_path: Path, tiny_data_dir: Path) -> None:
    from latent_explorer.model.training.loop import train_state_path

    path = train(_args(tmp_path, tiny_data_dir, "--epochs", "1"))
    state = train_state_path(path)
    epoch_one = state.read_bytes()
    train(_args(tmp_path, tiny_data_dir, "--epochs", "3", "--resume"))
    state.write_bytes(epoch_one)  # two epochs behind: no stop between saves does that
    with pytest.raises(
        SystemExit, match="from epoch 3 but .* from epoch 1: they are not one run's"
    ):
        train(_args(tmp_path, tiny_data_dir, "--epochs", "4", "--resume"))
