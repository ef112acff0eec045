#!/usr/bin/env bash
# Runs every peer benchmark script in this folder (W2/W3 in PyTorch, pure JAX and Keras 3 fit;
# W4 and W5 in PyTorch) at t1 (one thread, pinned to core 1: `taskset -c 1 ... 1`) and at t2 (two
# threads on both cores: `taskset -c 0,1 ... 2`), and prints each script's summary line prefixed
# with its thread setting and name. See each script's docstring for what it measures.
#
# Usage: scripts/peers/run_all.sh
#   TORCH_PY  python with torch + numpy        (default python3)
#   JAX_PY    python with jax + keras + numpy  (default python3)
#   PEERS_QUICK=1 cuts warm-up, runs and steps to a few, only to check that the scripts run.
#   W1's peer, the gemm crate, is a Rust project of its own (w1_gemm_crate/), built here with
#   cargo into GEMM_PEER_TARGET (default ${TMPDIR:-/tmp}/shaped-w1-gemm-crate).
# Run it on an otherwise idle machine (the figures are compared with shaped's from the same run).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
TORCH_PY="${TORCH_PY:-python3}"
JAX_PY="${JAX_PY:-python3}"

GEMM_PEER_TARGET="${GEMM_PEER_TARGET:-${TMPDIR:-/tmp}/shaped-w1-gemm-crate}"
CARGO_TARGET_DIR="$GEMM_PEER_TARGET" cargo build --quiet --release --manifest-path "$here/w1_gemm_crate/Cargo.toml"

for setting in "t1 1 1" "t2 0,1 2"; do
    read -r label cpus threads <<<"$setting"
    taskset -c "$cpus" "$GEMM_PEER_TARGET/release/w1_gemm_crate" "$threads" | sed -u "s|^|$label w1_gemm_crate: |"
    for script in w2_w3_pytorch.py w4_pytorch.py w5_pytorch.py w2_w3_jax.py w2_keras.py; do
        case "$script" in
            *_pytorch.py) py="$TORCH_PY" ;;
            *) py="$JAX_PY" ;;
        esac
        taskset -c "$cpus" "$py" "$here/$script" "$threads" | sed -u "s|^|$label $script: |"
    done
done
