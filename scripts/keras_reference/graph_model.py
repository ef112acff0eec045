"""Reference values for a graph model (Keras's functional API) in shaped, from real Keras.

The model has two inputs, a layer shared by both, a Concatenate, an Add and two outputs, each
with its own loss and loss weight:

    a = Input((4,), name="a"); b = Input((4,), name="b")
    shared = Dense(3, activation="tanh", name="shared")
    sa, sb = shared(a), shared(b)
    cat = Concatenate(name="cat")([sa, sb])                       # (None, 6)
    hidden = Dense(5, activation="relu", name="hidden")(cat)
    proj = Dense(3, name="proj")(hidden)
    added = Add(name="added")([proj, sa])                          # (None, 3)
    score = Dense(1, name="score")(added)                          # mse, weight 1.0
    label = Dense(3, activation="softmax", name="label")(hidden)   # sparse CE, weight 0.5

Every weight is overwritten with U(-0.5, 0.5) from seed 20241130. Then:
  - predict on 6 samples;
  - compile(SGD(0.1), loss={score: mse, label: sparse_categorical_crossentropy},
    loss_weights={score: 1.0, label: 0.5}, metrics={label: [accuracy]}) and one
    train_on_batch on the same 6 samples.

Keys: `input/a`, `input/b`, `target/score`, `target/label` (int32), `predict/score`,
`predict/label`, `before/<variable path>` and `after/<variable path>` for every weight,
`logs/<name>` for every value train_on_batch returns (loss, score_loss, label_loss,
label_accuracy), and `summary` (the summary table as UTF-8 bytes, 80 columns).
Writes ../../tests/fixtures/graph_model.npz.

Run (outside the repository's tree for the virtualenv):
  python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras==3.15.1 jax jaxlib numpy
  KERAS_BACKEND=jax COLUMNS=80 /tmp/kvenv/bin/python graph_model.py
"""
import io
import os
from contextlib import redirect_stdout

os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np
import keras
from keras import layers

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "tests", "fixtures")
rng = np.random.default_rng(20241130)
out = {}

a = keras.Input((4,), name="a")
b = keras.Input((4,), name="b")
shared = layers.Dense(3, activation="tanh", name="shared")
sa, sb = shared(a), shared(b)
cat = layers.Concatenate(name="cat")([sa, sb])
hidden = layers.Dense(5, activation="relu", name="hidden")(cat)
proj = layers.Dense(3, name="proj")(hidden)
added = layers.Add(name="added")([proj, sa])
score = layers.Dense(1, name="score")(added)
label = layers.Dense(3, activation="softmax", name="label")(hidden)
model = keras.Model({"a": a, "b": b}, {"score": score, "label": label}, name="twin_heads")

for v in model.weights:
    v.assign(rng.uniform(-0.5, 0.5, v.shape).astype("float32"))
    out[f"before/{v.path}"] = np.asarray(v.numpy(), dtype="float32")

x = {
    "a": rng.uniform(-1, 1, (6, 4)).astype("float32"),
    "b": rng.uniform(-1, 1, (6, 4)).astype("float32"),
}
y = {
    "score": rng.uniform(-1, 1, (6, 1)).astype("float32"),
    "label": np.array([0, 2, 1, 1, 0, 2], dtype="int32"),
}
out["input/a"], out["input/b"] = x["a"], x["b"]
out["target/score"], out["target/label"] = y["score"], y["label"]

pred = model.predict(x, verbose=0)
out["predict/score"] = np.asarray(pred["score"], dtype="float32")
out["predict/label"] = np.asarray(pred["label"], dtype="float32")

buf = io.StringIO()
with redirect_stdout(buf):
    model.summary()
out["summary"] = np.frombuffer(buf.getvalue().encode("utf-8"), dtype=np.uint8)

model.compile(
    optimizer=keras.optimizers.SGD(0.1),
    loss={"score": "mse", "label": "sparse_categorical_crossentropy"},
    loss_weights={"score": 1.0, "label": 0.5},
    metrics={"label": ["accuracy"]},
)
logs = model.train_on_batch(x, y, return_dict=True)
for name, value in logs.items():
    out[f"logs/{name}"] = np.asarray(value, dtype="float32")
for v in model.trainable_weights:
    out[f"after/{v.path}"] = np.asarray(v.numpy(), dtype="float32")

os.makedirs(FIXTURES, exist_ok=True)
np.savez(os.path.join(FIXTURES, "graph_model.npz"), **out)
print(sorted(logs.items()))
print(buf.getvalue())
