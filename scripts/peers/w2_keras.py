"""W2 of the benchmark plan through Keras 3 `model.fit` on the JAX backend, to time shaped's W2
against it side by side on one machine: Dense(256, relu) → Dense(128, relu) → Dense(10, softmax)
(Keras defaults: glorot-uniform kernels, zero biases) on 784 inputs; categorical cross-entropy
against one-hot labels; Adam(1e-3, beta_1 0.9, beta_2 0.999, epsilon 1e-7); X ~ U[0, 1) of
25600×784. One run is one `model.fit(x, y, batch_size=128, epochs=1, shuffle=False, verbose=0)`
call = 200 steps of 128 rows in order (steps_per_execution left at its default, jit_compile at
its default); 1 warm-up fit (which also compiles), then the median of 5 timed fits, in ms per
step (fit time / 200).
One thread (XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1", set
before jax is imported; pin to one core as well), or for a count above 1 XLA's default threading.
PEERS_QUICK=1 cuts each fit to 10 steps (1280 rows) and the timed fits to 3, to check that the
script runs (its figures are then not the plan's).

Run (outside the repository for the virtualenv; pin to a core as the bench is pinned):
  python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install jax keras numpy
  taskset -c 1 /tmp/kvenv/bin/python scripts/peers/w2_keras.py [threads]
and compare with `taskset -c 1 cargo bench --bench workloads -- W2`.
"""
import os
import statistics
import sys
import time

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
os.environ["KERAS_BACKEND"] = "jax"
if threads == 1:
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                               + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()

import jax  # noqa: E402  (after XLA_FLAGS)
import keras  # noqa: E402
import numpy as np  # noqa: E402

quick = os.environ.get("PEERS_QUICK") == "1"
runs_n, steps = (3, 10) if quick else (5, 200)
note = " [PEERS_QUICK: reduced repetitions]" if quick else ""
threads_label = "1 thread (eigen single-threaded)" if threads == 1 else "XLA default threads"

keras.utils.set_random_seed(0)
model = keras.Sequential([
    keras.Input((784,)),
    keras.layers.Dense(256, activation="relu"),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
              loss="categorical_crossentropy")
rng = np.random.default_rng(2)
x = rng.random((25600, 784), dtype=np.float32)[:128 * steps]
y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 25600)][:128 * steps]


def run():
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=128, epochs=1, shuffle=False, verbose=0)
    elapsed = time.perf_counter() - start
    assert np.isfinite(history.history["loss"][-1])
    return elapsed / steps * 1e3


run()
runs = [run() for _ in range(runs_n)]
print(f"keras {keras.__version__} (jax {jax.__version__}), {threads_label}: W2 fit {statistics.median(runs):.2f} ms/step "
      f"(runs {', '.join(f'{r:.2f}' for r in runs)}){note}")
