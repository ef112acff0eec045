"""W2 and W3 of the benchmark plan in PyTorch, to time shaped's W2 and W3 against them side by
side on one machine. The model is Linear(784, 256) relu → Linear(256, 128) relu → Linear(128, 10)
softmax, glorot-uniform kernels and zero biases.
W2: one training step = forward, categorical cross-entropy (mean over the batch; the softmax is
folded into `CrossEntropyLoss`), backward, Adam(1e-3, betas 0.9/0.999, eps 1e-7), and the loss
value fetched with `.item()`; batch 128 of X ~ U[0, 1) (25600×784, step i uses rows
[128i, 128i+128), in order, no shuffling); 20 warm-up steps, then the median of 5 runs of 200
steps, in ms per step.
W3: the trained model's forward including the softmax under `torch.inference_mode()`, at batch 1
and batch 256; 3 warm-up calls, then the median of 7 samples, each looping the call for at least
50 ms, in µs per call.
One thread (`torch.set_num_threads`, one inter-op thread), or the count given.
PEERS_QUICK=1 cuts warm-up, runs and steps to a few, to check that the script runs (its figures
are then not the plan's).

Run (outside the repository for the virtualenv; pin to a core as the bench is pinned):
  python3 -m venv /tmp/tvenv && /tmp/tvenv/bin/pip install torch numpy
  taskset -c 1 /tmp/tvenv/bin/python scripts/peers/w2_w3_pytorch.py [threads]
and compare with `taskset -c 1 cargo bench --bench workloads -- W2` (and `-- W3`).
"""
import os
import statistics
import sys
import time

import numpy as np
import torch

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
quick = os.environ.get("PEERS_QUICK") == "1"
warmup_steps, runs_n, steps = (2, 3, 10) if quick else (20, 5, 200)
w3_warmup, w3_samples, w3_sample_s = (1, 3, 0.005) if quick else (3, 7, 0.050)
note = " [PEERS_QUICK: reduced repetitions]" if quick else ""

torch.set_num_threads(threads)
torch.set_num_interop_threads(1)
torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Linear(784, 256), torch.nn.ReLU(),
    torch.nn.Linear(256, 128), torch.nn.ReLU(),
    torch.nn.Linear(128, 10))
for layer in model:
    if isinstance(layer, torch.nn.Linear):
        torch.nn.init.xavier_uniform_(layer.weight)
        torch.nn.init.zeros_(layer.bias)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
loss_fn = torch.nn.CrossEntropyLoss()
rng = np.random.default_rng(2)
x = torch.tensor(rng.random((25600, 784), dtype=np.float32))
y = torch.tensor(rng.integers(0, 10, 25600))


def step(i):
    rows = slice(128 * (i % 200), 128 * (i % 200) + 128)
    optimizer.zero_grad()
    loss = loss_fn(model(x[rows]), y[rows])
    loss.backward()
    optimizer.step()
    return loss.item()


for i in range(warmup_steps):
    step(i)
runs = []
for _ in range(runs_n):
    start = time.perf_counter()
    for i in range(steps):
        step(i)
    runs.append((time.perf_counter() - start) / steps * 1e3)
print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s): W2 {statistics.median(runs):.2f} ms/step "
      f"(runs {', '.join(f'{r:.2f}' for r in runs)}){note}")


def predict(xb):
    with torch.inference_mode():
        return torch.softmax(model(xb), dim=1)


def per_call_us(xb):
    for _ in range(w3_warmup):
        predict(xb)
    samples = []
    for _ in range(w3_samples):
        calls = 0
        start = time.perf_counter()
        while True:
            predict(xb)
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= w3_sample_s:
                break
        samples.append(elapsed / calls * 1e6)
    return samples


model.eval()
w3 = {batch: per_call_us(x[:batch].clone()) for batch in (1, 256)}
print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s): W3 "
      + ", ".join(f"batch {b} {statistics.median(s):.1f} µs/call (samples {', '.join(f'{v:.1f}' for v in s)})"
                  for b, s in w3.items()) + note)
