#!/usr/bin/env bash
# The default's recipe with a 16-channel pixel-context head from the first epoch, where the head was grown onto
# the trained default before (scripts/train_pixel_context.sh; docs/MODELS.md, "A pixel-context head", ends with
# this as what is left to try). 45 epochs take hours on two cores: run the script again after an interruption
# and it resumes from the last finished epoch (train --resume). Then the model is measured on the full MNIST
# test split. Not shipped; written to OUT_DIR.
#   bash scripts/train_pixel_context_scratch.sh [path/to/mnist.npz] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data/mnist.npz}
OUT=${2:-pixel-context-models}
MODEL="$OUT/pc16-scratch.keras"
mkdir -p "$OUT" docs/measurements

if [ ! -f "$MODEL" ] || [ -f "$MODEL.checkpoint" ]; then
  RESUME=()
  [ -f "$MODEL.checkpoint" ] && RESUME=(--resume)
  desktop-cvae train --arch deepconv --no-label-in-encoder --label-prior --fitted-prior --refine-layers 1 \
    --latent-dim 32 --pixel-context 16 --train-noise 0.5 --classifier-weight 20 --train-shift 1 --epochs 45 \
    --batch-size 128 --lr-schedule cosine --seed 4 --name "deepconv + pixel context from scratch" --data "$DATA" \
    --out "$MODEL" --json "${RESUME[@]}" | tail -n 1 > "$OUT/pc16-scratch.train.json"
fi
desktop-cvae evaluate --model "$MODEL" --data "$DATA" --noise 0.1 0.2 0.3 0.4 0.5 --json \
  > docs/measurements/evaluate-pixel-context-scratch.json
cat docs/measurements/evaluate-pixel-context-scratch.json
