"""W5 of the benchmark plan in PyTorch, to time shaped's W5 against it side by side on one
machine: input 28×28×1 → Conv2d(16, 3×3) relu → MaxPool 2×2 → Conv2d(32, 3×3) relu → MaxPool
2×2 → Flatten (800) → Linear(10) logits; cross-entropy from logits; Adam(1e-3, eps 1e-7); batch
64 of X ~ U[0, 1) (6400 images, in order, no shuffling); 10 warm-up steps, then the median of 5
runs of 100 steps, in ms per step. One thread (`torch.set_num_threads`), or the count given.

Run (outside the repository for the virtualenv; pin to a core as the bench is pinned):
  python3 -m venv /tmp/tvenv && /tmp/tvenv/bin/pip install torch numpy
  taskset -c 1 /tmp/tvenv/bin/python scripts/peers/w5_pytorch.py [threads]
and compare with `taskset -c 1 cargo bench --bench workloads -- W5`.
"""
import sys
import time

import numpy as np
import torch

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Conv2d(1, 16, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(16, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Flatten(), torch.nn.Linear(800, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
loss_fn = torch.nn.CrossEntropyLoss()
rng = np.random.default_rng(5)
x = torch.tensor(rng.random((6400, 1, 28, 28), dtype=np.float32))
y = torch.tensor(rng.integers(0, 10, 6400))


def step(i):
    rows = slice(64 * (i % 100), 64 * (i % 100) + 64)
    optimizer.zero_grad()
    loss = loss_fn(model(x[rows]), y[rows])
    loss.backward()
    optimizer.step()
    return loss.item()


for i in range(10):
    step(i)
runs = []
for _ in range(5):
    start = time.perf_counter()
    for i in range(100):
        step(i)
    runs.append((time.perf_counter() - start) / 100 * 1e3)
print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s): W5 {sorted(runs)[2]:.2f} ms/step "
      f"(runs {', '.join(f'{r:.2f}' for r in runs)})")
