#!/usr/bin/env bash
# Grows the shipped default by a pixel-context head (model.PixelContext) and measures the results on the full
# MNIST test split: docs/MODELS.md, "A pixel-context head", quotes the JSON this writes. None of these models is
# shipped (that section says why); they are written to OUT_DIR.
#   bash scripts/train_pixel_context.sh [path/to/mnist.npz] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data/mnist.npz}
OUT=${2:-pixel-context-models}
mkdir -p "$OUT" docs/measurements
RECIPE=(--train-noise 0.5 --train-shift 1 --data "$DATA" --json)

# 1. The head alone against the default's fixed encoder and decoder, with a light discriminative term.
desktop-cvae train --init-from resources/models/default.keras --pixel-context 16 --freeze encoder decoder \
  --epochs 4 --learning-rate 1e-3 --classifier-weight 2 --name "Default + pixel-context head" "${RECIPE[@]}" \
  --out "$OUT/head.keras" > /dev/null
# 2. One more epoch of the head alone, with a heavier discriminative term.
desktop-cvae train --init-from "$OUT/head.keras" --freeze encoder decoder \
  --epochs 1 --learning-rate 3e-4 --classifier-weight 6 "${RECIPE[@]}" --out "$OUT/head-cw6.keras" > /dev/null
# 3. Every part of (1) fine-tuned with the default's own discriminative weight; the prior is refitted after.
desktop-cvae train --init-from "$OUT/head.keras" \
  --epochs 2 --learning-rate 1e-4 --classifier-weight 20 "${RECIPE[@]}" --out "$OUT/all.keras" > /dev/null
# 4. The encoder frozen instead, so the latent codes and the fitted prior stay the default's (no code can lose
#    class evidence to the head): one epoch of the head alone, then the decoder and head together with the
#    default's discriminative weight, then a continuation at twice that weight.
desktop-cvae train --init-from resources/models/default.keras --pixel-context 16 --freeze encoder decoder \
  --epochs 1 --learning-rate 1e-3 --classifier-weight 2 --name "Default + pixel-context head, 1 epoch" "${RECIPE[@]}" \
  --out "$OUT/head1.keras" > /dev/null
desktop-cvae train --init-from "$OUT/head1.keras" --freeze encoder \
  --epochs 5 --learning-rate 3e-4 --classifier-weight 20 "${RECIPE[@]}" --out "$OUT/decoder-cw20.keras" > /dev/null
desktop-cvae train --init-from "$OUT/decoder-cw20.keras" --freeze encoder \
  --epochs 3 --learning-rate 1e-4 --classifier-weight 40 "${RECIPE[@]}" --out "$OUT/decoder-cw40.keras" > /dev/null

for m in head head-cw6 all head1 decoder-cw20 decoder-cw40; do
  desktop-cvae evaluate --model "$OUT/$m.keras" --data "$DATA" --noise 0.1 0.2 0.3 0.4 0.5 --json \
    > "docs/measurements/evaluate-pixel-context-$m.json"
  echo "$m: $(cat "docs/measurements/evaluate-pixel-context-$m.json")"
done
