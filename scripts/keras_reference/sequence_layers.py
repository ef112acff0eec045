"""Reference values for shaped's sequence layers and pad_sequences, from real Keras.

Three small models, every weight overwritten with U(-0.5, 0.5) from seed 20240601:
  - emb_gap: Input((6,), int32) → Embedding(10, 4, mask_zero=True) → GlobalAveragePooling1D.
    Ids have post-, pre- and middle padding (id 0) and a fully padded row, whose masked mean
    is 0/0 = NaN in Keras.
  - emb_gmp: the same ids → Embedding(10, 4, mask_zero=True) → GlobalMaxPooling1D. Keras 3's
    GlobalMaxPooling1D does not support masking: it warns, drops the mask and takes the max
    over every step, padding included (so the fully padded row is the max of row 0 of the table).
  - mask_td: Input((5, 2)) → Masking(0.0) → TimeDistributed(Dense(3, tanh)) →
    GlobalAveragePooling1D, with padded (all-zero) steps before, after and between real ones and
    a real step holding one zero feature.
Plus keras.utils.pad_sequences on a few ragged lists.

Keys: `<case>/input`, `<case>/mask` (bool [batch, time], True = real step, the mask Keras
computed), `<case>/output` (model.predict), `<case>/extra_*` (intermediate outputs), and
`<case>/<variable path>` for each weight. pad_sequences: `pad/lengths` and `pad/flat` (the
ragged int input, concatenated), one int32 key per call, `pad_f32/...` for float feature steps.
Writes ../../tests/fixtures/f_embedding_pooling.npz.

Run (outside the repository's tree for the virtualenv):
  python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras==3.15.1 jax jaxlib numpy
  KERAS_BACKEND=jax /tmp/kvenv/bin/python sequence_layers.py
"""
import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np
import keras

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "tests", "fixtures")
rng = np.random.default_rng(20240601)
out = {}


def randomize(model):
    for v in model.weights:
        v.assign(rng.uniform(-0.5, 0.5, v.shape).astype("float32"))


def save(case, model, x, mask, outputs, extras=()):
    out[f"{case}/input"] = x
    out[f"{case}/mask"] = np.asarray(mask).astype(bool)
    preds = model.predict(x, verbose=0)
    preds = preds if isinstance(preds, list) else [preds]
    for name, value in zip(outputs, preds):
        out[f"{case}/{name}"] = np.asarray(value, dtype="float32")
    for v in model.weights:
        out[f"{case}/{v.path}"] = np.asarray(v.numpy(), dtype="float32")


ids = np.array(
    [
        [3, 1, 4, 1, 5, 9],  # no padding
        [2, 6, 0, 5, 0, 0],  # a padded step in the middle, post-padded
        [0, 0, 0, 7, 7, 8],  # pre-padded, a repeated id
        [0, 0, 0, 0, 0, 0],  # fully padded: NaN mean
    ],
    dtype="int32",
)

# emb_gap: Embedding(mask_zero) → GlobalAveragePooling1D (masked mean).
inp = keras.Input((6,), dtype="int32")
emb = keras.layers.Embedding(10, 4, mask_zero=True)
e = emb(inp)
gap = keras.layers.GlobalAveragePooling1D()(e)
m = keras.Model(inp, [gap, e])
randomize(m)
save("emb_gap", m, ids, emb.compute_mask(ids), ["output", "extra_embedding_output"])

# emb_gmp: Embedding(mask_zero) → GlobalMaxPooling1D (Keras ignores the mask, with a warning).
inp = keras.Input((6,), dtype="int32")
emb = keras.layers.Embedding(10, 4, mask_zero=True, name="embedding")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    gmp = keras.layers.GlobalMaxPooling1D()(emb(inp))
gmp_warnings = [str(w.message) for w in caught]
m = keras.Model(inp, gmp)
randomize(m)
save("emb_gmp", m, ids, emb.compute_mask(ids), ["output"])

# mask_td: Masking → TimeDistributed(Dense(3, tanh)) → GlobalAveragePooling1D.
x = rng.uniform(-1.0, 1.0, (3, 5, 2)).astype("float32")
x[1, 3:] = 0.0  # post-padded
x[1, 1, 0] = 0.0  # one zero feature: still a real step
x[2, :2] = 0.0  # pre-padded
x[2, 3] = 0.0  # a padded step between real ones
inp = keras.Input((5, 2))
masking = keras.layers.Masking(0.0)
td = keras.layers.TimeDistributed(keras.layers.Dense(3, activation="tanh"))
t = td(masking(inp))
m = keras.Model(inp, [keras.layers.GlobalAveragePooling1D()(t), t])
randomize(m)
save("mask_td", m, x, masking.compute_mask(x), ["output", "extra_td_output"])

# pad_sequences, integer sequences (dtype int32, the Keras default).
seqs = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10], [], [11]]
out["pad/lengths"] = np.array([len(s) for s in seqs], dtype="int32")
out["pad/flat"] = np.array([v for s in seqs for v in s], dtype="int32")
calls = {
    "default": {},
    "maxlen4": {"maxlen": 4},
    "maxlen4_post_post": {"maxlen": 4, "padding": "post", "truncating": "post"},
    "maxlen4_post_pre": {"maxlen": 4, "padding": "post"},
    "maxlen4_pre_post": {"maxlen": 4, "truncating": "post"},
    "maxlen7_post_value9": {"maxlen": 7, "padding": "post", "value": 9},
}
for key, kwargs in calls.items():
    out[f"pad/{key}"] = keras.utils.pad_sequences(seqs, **kwargs)

# Float feature steps: dtype float32 keeps the values (the default int32 would truncate them).
fseqs = [[[0.5, 1.7], [2.2, -3.5], [4.25, 5.0]], [[-0.5, 0.75]], []]
out["pad_f32/lengths"] = np.array([len(s) for s in fseqs], dtype="int32")
out["pad_f32/flat"] = np.array([v for s in fseqs for v in s], dtype="float32").reshape(-1, 2)
out["pad_f32/maxlen2_post_pre_value-1"] = keras.utils.pad_sequences(
    fseqs, maxlen=2, dtype="float32", padding="post", value=-1.0
)
out["pad_f32/default_int32"] = keras.utils.pad_sequences(fseqs).astype("int32")

np.savez(os.path.join(FIXTURES, "f_embedding_pooling.npz"), **out)
print("keras", keras.__version__, "backend", keras.backend.backend())
for k, v in out.items():
    print(k, v.dtype, v.shape)
print("emb_gap/output\n", out["emb_gap/output"])
print("emb_gmp/output\n", out["emb_gmp/output"])
print("GlobalMaxPooling1D warnings:", gmp_warnings)
print("pad_f32/default_int32\n", out["pad_f32/default_int32"])
