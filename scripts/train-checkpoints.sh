#!/usr/bin/env bash
# The recipe of the shipped checkpoints: every model trained in parallel (they are small, so a GPU
# runs several at once), then evaluated with k=1000. Usage: scripts/train-checkpoints.sh OUT_DIR
# [EPOCHS] [MAX_MINUTES]. Needs data/mnist (latent-explorer fetch-data).
set -euo pipefail
out=${1:?output folder}; epochs=${2:-400}; minutes=${3:-7.5}
py=${PYTHON:-python3}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}  # several trainings share the cores
mkdir -p "$out"
common=(--epochs "$epochs" --max-minutes "$minutes" --batch-size 128 --lr 1e-3 --quiet --seed 0)
declare -A runs=(
  [ae-mnist-z2]="--model ae --latent-dim 2 --hidden 400,400"
  [vae-mnist-z2]="--model vae --latent-dim 2 --hidden 400,400"
  [vae-mnist-z2-b]="--model vae --latent-dim 2 --hidden 500,300"
  [cvae-mnist-z2]="--model cvae --latent-dim 2 --hidden 400,400"
  [cvae-mnist-z2-b]="--model cvae --latent-dim 2 --hidden 500,300"
  [vae-mnist-z16]="--model vae --latent-dim 16 --hidden 400,400 --kl-warmup 10"
)
for id in "${!runs[@]}"; do
  # shellcheck disable=SC2086
  $py -m latent_explorer.cli train ${runs[$id]} "${common[@]}" --out "$out/$id.safetensors" \
    > "$out/$id.train.log" 2>&1 &
done
wait
for id in "${!runs[@]}"; do
  $py -m latent_explorer.cli evaluate "$out/$id.safetensors" --k 1000 > "$out/$id.eval.json" 2>&1 &
done
wait
grep -h -E '"(checkpoint|test_iw_nll|test_nll_given_label|test_rec_bce|test_neg_elbo)"' "$out"/*.eval.json
