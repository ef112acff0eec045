"""W4 of the benchmark plan in PyTorch ("torch padded"), to time shaped's W4 against it side by
side on one machine: 1024 sequences of 32 features ~ N(0, 1), the length of sequence i being
10 + s_i % 141 with s_i the i-th output of SplitMix64 seeded with 1234 (checked: the first 8
lengths are 17 126 50 34 148 12 35 150, 81486 steps in all); label of sequence i = i*7 % 10;
batches of sequences [32b, 32b+32), b = 0..31, in order, each zero-padded to its own longest
sequence (padded once, before timing). Model: LSTM(32 → 64, batch_first) over the padded batch,
the hidden state at each sequence's last real step gathered from the output (index length-1),
→ Linear(64, 10); cross-entropy from logits (softmax folded in); Adam(1e-3, eps 1e-7); the loss
value fetched with `.item()` every step. One epoch = 32 steps; one warm-up epoch (printed as the
first epoch), then the median of 3 timed epochs, in s per epoch. One thread
(`torch.set_num_threads`, one inter-op thread), or the count given.
PEERS_QUICK=1 cuts an epoch to the first 4 batches, to check that the script runs (its figures
are then not the plan's).

Run (outside the repository for the virtualenv; pin to a core as the bench is pinned):
  python3 -m venv /tmp/tvenv && /tmp/tvenv/bin/pip install torch numpy
  taskset -c 1 /tmp/tvenv/bin/python scripts/peers/w4_pytorch.py [threads]
and compare with `taskset -c 1 cargo bench --bench workloads -- W4`.
"""
import os
import statistics
import sys
import time

import numpy as np
import torch

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
quick = os.environ.get("PEERS_QUICK") == "1"
n_batches = 4 if quick else 32
note = f" [PEERS_QUICK: epoch of {n_batches} of 32 batches]" if quick else ""

MASK64 = (1 << 64) - 1


def splitmix64(seed, n):
    state, out = seed, []
    for _ in range(n):
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        out.append(z ^ (z >> 31))
    return out


lengths = [10 + s % 141 for s in splitmix64(1234, 1024)]
assert lengths[:8] == [17, 126, 50, 34, 148, 12, 35, 150], lengths[:8]
assert sum(lengths) == 81486, sum(lengths)

torch.set_num_threads(threads)
torch.set_num_interop_threads(1)
torch.manual_seed(0)
lstm = torch.nn.LSTM(32, 64, batch_first=True)
head = torch.nn.Linear(64, 10)
optimizer = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=1e-3, eps=1e-7)
loss_fn = torch.nn.CrossEntropyLoss()
rng = np.random.default_rng(4)
sequences = [rng.standard_normal((n, 32), dtype=np.float32) for n in lengths]
labels = [i * 7 % 10 for i in range(1024)]
batches = []
for b in range(32):
    members = range(32 * b, 32 * b + 32)
    xb = np.zeros((32, max(lengths[i] for i in members), 32), dtype=np.float32)
    for row, i in enumerate(members):
        xb[row, :lengths[i]] = sequences[i]
    last = torch.tensor([lengths[i] - 1 for i in members]).view(32, 1, 1).expand(32, 1, 64)
    batches.append((torch.from_numpy(xb), last, torch.tensor([labels[i] for i in members])))


def step(xb, last, yb):
    optimizer.zero_grad()
    out, _ = lstm(xb)
    loss = loss_fn(head(out.gather(1, last).squeeze(1)), yb)
    loss.backward()
    optimizer.step()
    return loss.item()


def epoch():
    start = time.perf_counter()
    for b in range(n_batches):
        step(*batches[b])
    return time.perf_counter() - start


first = epoch()
runs = [epoch() for _ in range(3)]
print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s): W4 padded {statistics.median(runs):.3f} s/epoch "
      f"(runs {', '.join(f'{r:.3f}' for r in runs)}; first epoch {first:.3f} s){note}")
