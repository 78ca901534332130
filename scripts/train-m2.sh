#!/usr/bin/env bash
# The M1 of the M1+M2 models (a z=50 VAE) and a sweep of M2 variants on its features, run in
# parallel on a GPU (100 labels in three settings, 600 and 1000 labels), each evaluated: the
# "per input" rows of the README's M2 table. The shipped m2-mnist-100 is not one of these runs:
# its own command is in the README.
# Usage: scripts/train-m2.sh OUT_DIR [M1_MINUTES] [M2_MINUTES]. Needs data/mnist.
set -euo pipefail
out=${1:?output folder}; m1_minutes=${2:-4.5}; m2_minutes=${3:-3}
py=${PYTHON:-python3}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
mkdir -p "$out"
m1="$out/vae-mnist-z50.safetensors"
$py -m latent_explorer.cli train --model vae --latent-dim 50 --hidden 400,400 --kl-warmup 10 \
  --epochs 300 --max-minutes "$m1_minutes" --quiet --seed 0 --out "$m1" > "$out/m1.train.log" 2>&1
declare -A runs=(
  [m2-mnist-100]="--labels-per-class 10 --latent-dim 2 --alpha 10"
  [m2-mnist-100-z8]="--labels-per-class 10 --latent-dim 8 --alpha 10"
  [m2-mnist-100-a50]="--labels-per-class 10 --latent-dim 2 --alpha 50"
  [m2-mnist-600]="--labels-per-class 60 --latent-dim 2 --alpha 10"
  [m2-mnist-1000]="--labels-per-class 100 --latent-dim 2 --alpha 10"
)
for id in "${!runs[@]}"; do
  # shellcheck disable=SC2086
  $py -m latent_explorer.cli train-m2 --m1 "$m1" ${runs[$id]} --epochs 200 \
    --max-minutes "$m2_minutes" --quiet --seed 0 --out "$out/$id.safetensors" > "$out/$id.train.log" 2>&1 &
done
wait
for id in "${!runs[@]}"; do
  $py -m latent_explorer.cli evaluate "$out/$id.safetensors" > "$out/$id.eval.json" 2>&1 &
done
wait
grep -h -E '"(checkpoint|test_error|test_neg_elbo|conditional_sample_accuracy)"' "$out"/m2-*.eval.json
