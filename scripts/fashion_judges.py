"""How much the judged share of a CVAE's samples depends on which judge reads them: judges of
evaluate's own recipe (model/evaluation/judge.py), trained from several seeds, each reading the
same 10,000 label-conditioned samples (evaluate's large draw) and the real test items.

    OMP_NUM_THREADS=1 python scripts/fashion_judges.py checkpoints/cvae-fashion-z2.safetensors 0 1

prints one JSON line per seed; run seeds in parallel processes and pool the lines.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch

from latent_explorer.model.checkpoint import load_checkpoint
from latent_explorer.model.data import load_dataset
from latent_explorer.model.evaluation.judge import (
    LARGE_DRAW_PER_LABEL,
    conditional_sample_accuracy,
    judge_reference_accuracy,
    judge_test_error,
    train_judge,
)


def main() -> None:
    torch.set_num_threads(1)
    path, seeds = Path(sys.argv[1]), [int(s) for s in sys.argv[2:]]
    model = load_checkpoint(path).eval()
    data = load_dataset(model.metadata.get("dataset", "fashion-mnist"))
    dev = torch.device("cpu")
    for seed in seeds:
        started = time.perf_counter()
        judge = train_judge(data, dev, seed=seed)
        args = (model.decode, model.config.latent_dim, model.config.num_labels, judge, dev)
        large = conditional_sample_accuracy(*args, seed=1, per_label=LARGE_DRAW_PER_LABEL)
        row = {
            "judge_seed": seed,
            "judge_test_error": judge_test_error(judge, data, dev),
            "samples_read_right": large["conditional_sample_accuracy"],
            "per_class": large["sample_accuracy_per_class"],
            **judge_reference_accuracy(model, judge, data, dev),
            "seconds": round(time.perf_counter() - started, 1),
        }
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
