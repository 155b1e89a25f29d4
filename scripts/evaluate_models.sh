#!/usr/bin/env bash
# Measures every shipped model on the full MNIST test split with `desktop-cvae evaluate` and keeps the
# JSON in docs/measurements/ (docs/MODELS.md quotes these files).
#   bash scripts/evaluate_models.sh [path/to/mnist.npz]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data/mnist.npz}
mkdir -p docs/measurements
for m in resources/models/*.keras; do
  name=$(basename "$m" .keras)
  desktop-cvae evaluate --model "$m" --data "$DATA" --noise 0.1 0.2 0.3 0.4 0.5 --json > "docs/measurements/evaluate-$name.json"
  echo "$name: $(cat docs/measurements/evaluate-$name.json)"
done
