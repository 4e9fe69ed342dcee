#!/usr/bin/env bash
# Issue 12's training and loading targets, ours beside the peers in one run:
#   1. the tutorial's 1000 training steps (batch 100, rate 0.5, Fashion-MNIST):
#      our graph runtime, a hand-written Eigen loop (bench/mnist_train_bench),
#      NumPy, PyTorch and TensorFlow's tf.compat.v1 on the same graph
#      (bench/mnist_train_bench.py); seconds, best of 5, and ratios to ours
#   2. the whole tutorial process (read the IDX files, train, test):
#      `savedmodel train mnist-softmax` against the same as a NumPy script,
#      best of 5 wall-clock
#   3. load to first answer (load, then the first serving_default call) for
#      half_plus_two and the peer harness's MLP (build/bench-peers/mlp, made by
#      scripts/bench-peers --models mlp), in process (ours: bench/load_bench
#      first_answer/*; TensorFlow's tf.saved_model.load) and as a cold
#      process (`savedmodel run`; a Python process loading with TensorFlow)
# Python peers run in .venv-reference (TensorFlow 2.21, NumPy) when it exists,
# else in Debian's python3 with python3-numpy (installed if missing; no
# TensorFlow numbers then). PyTorch counts only when importable there.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD_DIR:-build}
DATA=/usr/share/datasets/fashion-mnist
H2=../shared/testdata/tf_serving/saved_model_half_plus_two_cpu/00000123
MLP=$BUILD/bench-peers/mlp/saved_model
PY=.venv-reference/bin/python
if [ ! -x "$PY" ]; then
  PY=/usr/bin/python3
  dpkg-query -W -f='${Status}' python3-numpy 2>/dev/null | grep -q "install ok installed" ||
    { SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo; $SUDO apt-get install -y -qq python3-numpy; }
fi
export TF_CPP_MIN_LOG_LEVEL=3

# best_ms N CMD...: the fastest of N wall-clock runs of CMD, in milliseconds.
best_ms() {
  local n=$1 best="" t0 t1 ms
  shift
  for _ in $(seq "$n"); do
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }
    t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "$best"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2fx", a / b }'; }

echo "## 1000 training steps (seconds, best of 5; ratio = peer / ours, above 1: ours faster)"
ours_out=$("$BUILD"/bench/mnist_train_bench "$DATA")
ours=$(awk '/^savedmodel_graph_s/ {print $2}' <<<"$ours_out")
eigen=$(awk '/^eigen_loop_s/ {print $2}' <<<"$ours_out")
printf "%-28s %8s\n" "savedmodel (graph)" "$ours"
printf "%-28s %8s  %s  (target: ours within 1.2x of it)\n" "hand-written Eigen loop" "$eigen" "$(ratio "$eigen" "$ours")"
"$PY" bench/mnist_train_bench.py steps "$DATA" 2>/dev/null | while read -r name secs rest; do
  printf "%-28s %8s  %s\n" "${name%_s}" "$secs" "$(ratio "$secs" "$ours")"
done

echo
echo "## Whole tutorial process: read IDX, train 1000 steps, test (ms, best of 5)"
ours_p=$(best_ms 5 "$BUILD"/savedmodel train mnist-softmax --seed 1 --learning_rate 0.5 --data "$DATA")
exp=$(mktemp -d)
n=0
export_once() { n=$((n + 1)); "$BUILD"/savedmodel train mnist-softmax --seed 1 --learning_rate 0.5 --data "$DATA" --export "$exp/$n"; }
ours_pe=$(best_ms 5 export_once)
rm -rf "$exp"
numpy_p=$(best_ms 5 "$PY" bench/mnist_train_bench.py numpy-process "$DATA")
printf "%-28s %8s\n" "savedmodel train" "$ours_p"
printf "%-28s %8s  (+ save, reload, predict)\n" "savedmodel train --export" "$ours_pe"
printf "%-28s %8s  %s\n" "NumPy script" "$numpy_p" "$(ratio "$numpy_p" "$ours_p")"

echo
echo "## Load to first answer (ms)"
dirs=("$H2")
[ -d "$MLP" ] && dirs+=("$MLP") || echo "(no $MLP: run scripts/bench-peers --models mlp once for the MLP)"
SAVEDMODEL_LOAD_BENCH_DIRS=$([ -d "$MLP" ] && echo "$MLP" || true) \
  "$BUILD"/bench/load_bench --benchmark_filter='^first_answer/' --benchmark_min_time=0.5 \
  --benchmark_format=csv 2>/dev/null | awk -F, '/^"first_answer/ {gsub(/"/, "", $1); print $1, $3}' >"${TMPDIR:-/tmp}/first_answer.$$"
tf_in=""
if "$PY" -c "import tensorflow" 2>/dev/null; then
  tf_in=$("$PY" bench/mnist_train_bench.py tf-first-answer 5 "${dirs[@]}" 2>/dev/null)
fi
printf "%-16s %14s %14s %14s %14s\n" model "ours in-proc" "TF in-proc" "ours cold" "TF cold"
for d in "${dirs[@]}"; do
  name=$([ "$d" = "$H2" ] && echo half_plus_two || echo mlp)
  label=$([ "$d" = "$H2" ] && echo first_answer/half_plus_two || echo "first_answer/$d")
  ours_in=$(awk -v l="$label" '$1 == l {printf "%.3f", $2}' "${TMPDIR:-/tmp}/first_answer.$$")
  tf_ms=$(awk -v d="$d" '$2 == d {print $3}' <<<"$tf_in")
  if [ "$name" = mlp ]; then
    cold=$(best_ms 10 "$BUILD"/savedmodel run "$d" --tag_set serve --signature_def serving_default \
      --inputs "x=$BUILD/bench-peers/mlp/x_1.npy")
  else
    cold=$(best_ms 10 "$BUILD"/savedmodel run "$d" --tag_set serve --signature_def serving_default \
      --input_exprs 'x=[[1.0]]')
  fi
  tf_cold=-
  [ -n "$tf_in" ] && tf_cold=$(best_ms 2 "$PY" bench/mnist_train_bench.py tf-first-answer 1 "$d")
  printf "%-16s %14s %14s %14s %14s\n" "$name" "${ours_in:--}" "${tf_ms:--}" "$cold" "$tf_cold"
done
rm -f "${TMPDIR:-/tmp}/first_answer.$$"
echo "(targets: in process under 1 ms for half_plus_two and 5 ms for the MLP; cold under 20 ms)"
