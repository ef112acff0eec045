"""Reference values for shaped's recurrent layers (GRU, SimpleRNN, Bidirectional), from real Keras.

Every model is Input((None, 4)) → Masking(0.0) → <recurrent layer>, on a [3, 6, 4] batch
post-padded with 0.0 (so Masking marks the padded steps), with every weight overwritten by
U(-0.5, 0.5) after the model was built. Variants of a layer (return_sequences, go_backwards,
merge modes) get the same weights as the first one, so each weight is stored once.

Writes ../../tests/fixtures/c_gru_masked.npz and ../../tests/fixtures/d_bidirectional.npz; the
keys are listed in tests/fixtures/KERAS_FIXTURES.md.

Run (outside the repository's tree for the virtualenv):
  python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras==3.15.1 jax jaxlib numpy
  KERAS_BACKEND=jax /tmp/kvenv/bin/python recurrent.py
"""
import os
os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np
import keras

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "tests", "fixtures")
SEED = 20240601
FEATURES = 4


def padded_batch(rng, lengths, steps):
    """A [batch, steps, FEATURES] N(0,1) batch post-padded with 0.0, and its bool mask."""
    x = rng.standard_normal((len(lengths), steps, FEATURES)).astype("float32")
    mask = np.zeros((len(lengths), steps), dtype=bool)
    for b, n in enumerate(lengths):
        x[b, n:] = 0.0
        mask[b, :n] = True
    return x, mask


def run(layer, x, weights=None, rng=None):
    """Masking(0.0) → layer on x; sets `weights`, or U(-0.5, 0.5) ones drawn from rng."""
    inp = keras.Input((None, FEATURES))
    model = keras.Model(inp, layer(keras.layers.Masking(0.0)(inp)))
    if weights is None:
        weights = [rng.uniform(-0.5, 0.5, w.shape).astype("float32") for w in layer.get_weights()]
    layer.set_weights(weights)
    return model.predict(x, verbose=0), weights


def paths(layer):
    """Keras's variable paths of the layer's weights, in weight order."""
    return [w.path for w in layer.weights]


# ---- c_gru_masked: GRU (reset_after True and False) and SimpleRNN ----
rng = np.random.default_rng(SEED)
x, mask = padded_batch(rng, [6, 4, 2], 6)
out = {"input": x, "mask": mask}
LAYERS = [
    ("gru", lambda **kw: keras.layers.GRU(5, name="gru", **kw)),
    ("gru_before", lambda **kw: keras.layers.GRU(5, reset_after=False, name="gru_before", **kw)),
    ("simple_rnn", lambda **kw: keras.layers.SimpleRNN(5, name="simple_rnn", **kw)),
]
VARIANTS = [
    ("last", {}),
    ("sequence", {"return_sequences": True}),
    ("backwards_last", {"go_backwards": True}),
    ("backwards_sequence", {"go_backwards": True, "return_sequences": True}),
]
for name, make in LAYERS:
    weights = None
    for variant, kwargs in VARIANTS:
        layer = make(**kwargs)
        y, first = run(layer, x, weights, rng)
        if weights is None:
            weights = first
            for path, w in zip(paths(layer), weights):
                out[path] = w
            print(name, paths(layer))
        out[f"extra_{name}/{variant}"] = y
out["output"] = out["extra_gru/last"]
np.savez(os.path.join(FIXTURES, "c_gru_masked.npz"), **out)

# ---- d_bidirectional: Bidirectional(LSTM) and Bidirectional(GRU), every merge mode ----
rng = np.random.default_rng(SEED + 1)
x, mask = padded_batch(rng, [6, 3, 5], 6)
out = {"input": x, "mask": mask}
WRAPPED = [
    ("bidirectional", lambda **kw: keras.layers.LSTM(4, name="lstm", **kw)),
    ("bidirectional_gru", lambda **kw: keras.layers.GRU(3, name="gru", **kw)),
]
MERGES = [
    ("concat_sequence", "concat", True),
    ("concat_last", "concat", False),
    ("sum_sequence", "sum", True),
    ("sum_last", "sum", False),
    ("mul_sequence", "mul", True),
    ("ave_last", "ave", False),
]
for name, make in WRAPPED:
    weights = None
    for variant, merge, sequences in MERGES:
        layer = keras.layers.Bidirectional(make(return_sequences=sequences), merge_mode=merge, name=name)
        y, first = run(layer, x, weights, rng)
        if weights is None:
            weights = first
            for path, w in zip(paths(layer), weights):
                out[path] = w
            print(name, paths(layer))
        out[f"extra_{name}/{variant}"] = y
out["output"] = out["extra_bidirectional/concat_sequence"]
np.savez(os.path.join(FIXTURES, "d_bidirectional.npz"), **out)

print("keras", keras.__version__, "backend", keras.backend.backend())
