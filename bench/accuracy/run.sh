#!/usr/bin/env bash
# bench/accuracy: vigil beside scikit-learn's RandomForest and XGBoost on exactly vigil's
# time-ordered hold-out (README "Accuracy"): one table of macro-F1, benign FPR, recall per
# class and training time.
#
#   bash bench/accuracy/run.sh [--model DIR|VERSION] [--train-vigil] [-- BASELINE OPTIONS]
#
#   --model        the vigil model scored (default: the one vigil serves, models/CURRENT)
#   --train-vigil  also train a fresh vigil model on the same split (~1 min on 2 cores), so
#                  its training time is measured now, beside the baselines, on this machine
#   after --       options of baselines.py (defaults shown): --trees 200 --rounds 100 --depth 6
#                  --seed 1 --jobs 2 --class-weight balanced (as vigil weights its loss; or none)
#
# Training times are wall seconds of the fit alone; on a shared machine they move with the
# load, so the load average is printed beside them.
#
# Needs dist/ (npm install) and Debian's python3-sklearn, python3-xgboost, python3-pandas for
# /usr/bin/python3 (deploy/python-deps.sh). Work files go to .vigil/bench-accuracy/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
BENCH=bench/accuracy
WORK=.vigil/bench-accuracy
DATA=../shared/data/cicids2017/train.csv
PYTHON=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ left in the tree

model=""
train_vigil=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) model="${2:?--model needs a model directory or version}"; shift 2 ;;
    --train-vigil) train_vigil=1; shift ;;
    --) shift; break ;;
    *) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done

if ! "$PYTHON" -c 'import sklearn, xgboost, pandas' 2>/dev/null; then
  echo "bench/accuracy: $PYTHON lacks scikit-learn, xgboost or pandas; run deploy/python-deps.sh" >&2
  exit 1
fi

mkdir -p "$WORK"
T0=$SECONDS
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
node bin/vigil.js split --data "$DATA" --holdout 0.2 --out-dir "$WORK/split"

# table.py finds the manifest: the model directory given, else the report's version under models/.
model_home=models
[[ -n "$model" && -f "$model/manifest.json" ]] && model_home="$model"
vigil_args=(--vigil "$WORK/vigil.json" "$model_home")
model_flag=()
[[ -n "$model" ]] && model_flag=(--model "$model")
node bin/vigil.js evaluate --data "$WORK/split/holdout.csv" "${model_flag[@]}" --json >"$WORK/vigil.json"

if [[ $train_vigil -eq 1 ]]; then
  version="bench-$(date -u +%Y%m%dT%H%M%SZ)"
  node bin/vigil.js train --data "$WORK/split/train.csv" --version "$version" --models-dir "$WORK/models" 2>"$WORK/train-$version.log"
  node bin/vigil.js evaluate --data "$WORK/split/holdout.csv" --model "$WORK/models/$version" --json >"$WORK/vigil-$version.json"
  vigil_args+=(--vigil "$WORK/vigil-$version.json" "$WORK/models/$version")
fi

"$PYTHON" "$BENCH/baselines.py" --train "$WORK/split/train.csv" --holdout "$WORK/split/holdout.csv" --out-dir "$WORK" "$@"
echo
"$PYTHON" "$BENCH/table.py" --holdout "$WORK/split/holdout.csv" "${vigil_args[@]}" \
  --baseline "$WORK/RandomForest.json" --baseline "$WORK/XGBoost.json"
echo
echo "bench/accuracy: $((SECONDS - T0)) s in all; load average $load_at_start at start, $(cut -d' ' -f1-3 /proc/loadavg) at end ($(nproc) cores)"
echo "train s: wall seconds of the fit alone (data loading excluded); vigil's from its manifest, measured when it was trained"
