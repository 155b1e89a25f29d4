#!/usr/bin/env bash
# The default's recipe with the label only in the prior (--no-label-in-decoder: the decoder is p(x | z), the
# ten labels' bounds share one decoder pass) and a 16-channel pixel-context head; no label-swap term, which
# needs a decoder that sees the label. Its epochs took 62 s (median) on two cores, the default's 89 s: the
# default's discriminative terms decode under every label. Run again after an interruption and it resumes.
# Then measured on the full MNIST test split, and its fitted prior tuned to recognise
# (benchmarks/discriminative_prior.py). Not shipped (docs/MODELS.md says why); written to OUT_DIR.
#   bash scripts/train_label_in_prior.sh [path/to/mnist.npz] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data/mnist.npz}
OUT=${2:-label-in-prior-models}
MODEL="$OUT/label-in-prior.keras"
mkdir -p "$OUT" docs/measurements

if [ ! -f "$MODEL" ] || [ -f "$MODEL.checkpoint" ]; then
  RESUME=()
  [ -f "$MODEL.checkpoint" ] && RESUME=(--resume)
  desktop-cvae train --arch deepconv --no-label-in-encoder --no-label-in-decoder --label-prior --fitted-prior \
    --refine-layers 1 --latent-dim 32 --pixel-context 16 --train-noise 0.5 --classifier-weight 20 --train-shift 1 \
    --epochs 45 --batch-size 128 --lr-schedule cosine --seed 4 --name "deepconv, label only in the prior, pixel context" \
    --data "$DATA" --out "$MODEL" --json "${RESUME[@]}" | tail -n 1 > "$OUT/label-in-prior.train.json"
fi
desktop-cvae evaluate --model "$MODEL" --data "$DATA" --noise 0.1 0.2 0.3 0.4 0.5 --json \
  > docs/measurements/evaluate-label-in-prior.json
python benchmarks/discriminative_prior.py "$MODEL" --data "$DATA" --out "$OUT/label-in-prior-tuned.keras" \
  > docs/measurements/discriminative_prior-label-in-prior.json
desktop-cvae evaluate --model "$OUT/label-in-prior-tuned.keras" --data "$DATA" --noise 0.1 0.2 0.3 0.4 0.5 --json \
  > docs/measurements/evaluate-label-in-prior-tuned.json
cat docs/measurements/evaluate-label-in-prior.json docs/measurements/discriminative_prior-label-in-prior.json \
  docs/measurements/evaluate-label-in-prior-tuned.json

# Then 10 more epochs under the fitted prior with a stronger classifier term (weight 60, then 200 from that),
# at a lower rate. The 45 epochs above were trained at commit 50be78d, whose classifier term scored a quarter
# of each batch; since then it scores the whole batch (docs/MODELS.md).
FROM="$MODEL"
for WEIGHT in 60 200; do
  TUNED="$OUT/label-in-prior-cw$WEIGHT.keras"
  if [ ! -f "$TUNED" ] || [ -f "$TUNED.checkpoint" ]; then
    RESUME=()
    [ -f "$TUNED.checkpoint" ] && RESUME=(--resume)
    desktop-cvae train --init-from "$FROM" --fitted-prior --train-noise 0.5 --classifier-weight "$WEIGHT" \
      --train-shift 1 --epochs 10 --batch-size 128 --learning-rate 3e-4 --data "$DATA" --out "$TUNED" --json \
      "${RESUME[@]}" | tail -n 1 > "$OUT/label-in-prior-cw$WEIGHT.train.json"
  fi
  # accuracy on the validation hold-out, for choosing between them, as fitted and with the prior tuned
  python benchmarks/discriminative_prior.py "$TUNED" --data "$DATA" \
    > "docs/measurements/discriminative_prior-label-in-prior-cw$WEIGHT.json"
  FROM="$TUNED"
done
python benchmarks/people_inputs.py --model "$OUT/label-in-prior-cw60.keras" --json \
  > docs/measurements/people_inputs-label-in-prior-cw60.json
