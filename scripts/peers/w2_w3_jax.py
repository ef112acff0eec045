"""W2 and W3 of the benchmark plan in pure JAX (jitted, no optax, no Keras), to time shaped's W2
and W3 against them side by side on one machine. The model is Dense 784→256 relu → 128 relu →
10 softmax, glorot-uniform kernels and zero biases.
W2: one training step is a single `jax.jit` function (parameters and Adam state donated):
forward, categorical cross-entropy against one-hot labels (mean over the batch; log-softmax of
the logits), gradients, and Adam written out with Keras's formula (m = b1 m + (1-b1) g,
v = b2 v + (1-b2) g², lr_t = lr sqrt(1-b2^t) / (1-b1^t), w -= lr_t m / (sqrt(v) + eps); lr 1e-3,
b1 0.9, b2 0.999, eps 1e-7); the loss value is fetched to the host (`float`) every step. Batch
128 of X ~ U[0, 1) (25600×784, step i uses rows [128i, 128i+128), in order, no shuffling; the
batches are put on the device once, before timing); 20 warm-up steps, then the median of 5 runs
of 200 steps, in ms per step.
W3: a jitted forward including the softmax, at batch 1 and batch 256, each call ended with
`.block_until_ready()`; 3 warm-up calls, then the median of 7 samples, each looping the call for
at least 50 ms, in µs per call.
One thread (XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1", set
before jax is imported; pin to one core as well), or for a count above 1 XLA's default threading.
PEERS_QUICK=1 cuts warm-up, runs and steps to a few, to check that the script runs (its figures
are then not the plan's).

Run (outside the repository for the virtualenv; pin to a core as the bench is pinned):
  python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install jax numpy
  taskset -c 1 /tmp/kvenv/bin/python scripts/peers/w2_w3_jax.py [threads]
and compare with `taskset -c 1 cargo bench --bench workloads -- W2` (and `-- W3`).
"""
import os
import statistics
import sys
import time

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
if threads == 1:
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                               + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()

import jax  # noqa: E402  (after XLA_FLAGS)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

quick = os.environ.get("PEERS_QUICK") == "1"
warmup_steps, runs_n, steps = (2, 3, 10) if quick else (20, 5, 200)
w3_warmup, w3_samples, w3_sample_s = (1, 3, 0.005) if quick else (3, 7, 0.050)
note = " [PEERS_QUICK: reduced repetitions]" if quick else ""
threads_label = "1 thread (eigen single-threaded)" if threads == 1 else "XLA default threads"
LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-7

rng = np.random.default_rng(2)
params = []
for fan_in, fan_out in ((784, 256), (256, 128), (128, 10)):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    params.append((jnp.asarray(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)),
                   jnp.zeros((fan_out,), jnp.float32)))
x = rng.random((25600, 784), dtype=np.float32)
y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 25600)]
batches = [(jnp.asarray(x[128 * i:128 * i + 128]), jnp.asarray(y[128 * i:128 * i + 128])) for i in range(200)]


def logits_of(params, xb):
    h = xb
    for k, (w, b) in enumerate(params):
        h = h @ w + b
        if k < len(params) - 1:
            h = jax.nn.relu(h)
    return h


def loss_of(params, xb, yb):
    return -jnp.mean(jnp.sum(yb * jax.nn.log_softmax(logits_of(params, xb)), axis=1))


def train_step(params, m, v, t, xb, yb):
    loss, grads = jax.value_and_grad(loss_of)(params, xb, yb)
    t = t + 1.0
    lr_t = LR * jnp.sqrt(1.0 - B2 ** t) / (1.0 - B1 ** t)
    m = jax.tree_util.tree_map(lambda m, g: B1 * m + (1.0 - B1) * g, m, grads)
    v = jax.tree_util.tree_map(lambda v, g: B2 * v + (1.0 - B2) * g * g, v, grads)
    params = jax.tree_util.tree_map(lambda p, m, v: p - lr_t * m / (jnp.sqrt(v) + EPS), params, m, v)
    return params, m, v, t, loss


train_step = jax.jit(train_step, donate_argnums=(0, 1, 2, 3))
m = jax.tree_util.tree_map(jnp.zeros_like, params)
v = jax.tree_util.tree_map(jnp.zeros_like, params)
t = jnp.zeros((), jnp.float32)


def step(i):
    global params, m, v, t
    params, m, v, t, loss = train_step(params, m, v, t, *batches[i % 200])
    return float(loss)


for i in range(warmup_steps):
    step(i)
runs = []
for _ in range(runs_n):
    start = time.perf_counter()
    for i in range(steps):
        step(i)
    jax.block_until_ready(params)
    runs.append((time.perf_counter() - start) / steps * 1e3)
print(f"jax {jax.__version__}, {threads_label}: W2 jitted {statistics.median(runs):.2f} ms/step "
      f"(runs {', '.join(f'{r:.2f}' for r in runs)}){note}")

predict = jax.jit(lambda params, xb: jax.nn.softmax(logits_of(params, xb), axis=1))


def per_call_us(xb):
    for _ in range(w3_warmup):
        predict(params, xb).block_until_ready()
    samples = []
    for _ in range(w3_samples):
        calls = 0
        start = time.perf_counter()
        while True:
            predict(params, xb).block_until_ready()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= w3_sample_s:
                break
        samples.append(elapsed / calls * 1e6)
    return samples


w3 = {batch: per_call_us(jnp.asarray(x[:batch])) for batch in (1, 256)}
print(f"jax {jax.__version__}, {threads_label}: W3 jitted "
      + ", ".join(f"batch {b} {statistics.median(s):.1f} µs/call (samples {', '.join(f'{v:.1f}' for v in s)})"
                  for b, s in w3.items()) + note)
