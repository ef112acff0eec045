"""Reference values for a small CNN's training steps, from real Keras: convolutions, batch
normalization (training and inference mode, moving statistics), pooling, flatten and dense,
trained together.

Model (channels last), its weights drawn here (seed 20261130) and set on the Keras model:
  Input(9, 9, 2)
  → Conv2D(4, 3, padding="same", activation="relu")          conv2d
  → BatchNormalization()                                     batch_normalization
  → MaxPooling2D(2)                                          max_pooling2d   [4, 4, 4]
  → Conv2D(6, 2, strides=2, activation="tanh")               conv2d_1        [2, 2, 6]
  → AveragePooling2D(2, strides=1, padding="same")           average_pooling2d
  → Flatten()                                                flatten         [24]
  → Dense(3, activation="softmax")                           dense
Data: x ~ U[0, 1) [5, 9, 9, 2], sparse labels y = [0, 2, 1, 1, 0] (sample_weight none).
Loss: sparse categorical crossentropy; optimizer Adam(learning_rate=0.01).

Arrays in ../../tests/fixtures/cnn_train_step.npz:
  - `x` [5, 9, 9, 2], `y` [5] (float32 class ids);
  - `init/<path>`: every weight before training, by Keras path (`conv2d/kernel`,
    `batch_normalization/moving_mean`, ...), BatchNormalization's gamma, beta and moving
    statistics drawn away from their defaults so that every one shows in the result;
  - `step{k}/loss` [1] and `step{k}/<path>`: the loss of train_on_batch step k (k = 0, 1) and
    every weight after it (the moving statistics included: updated in training mode);
  - `predict` [5, 3]: the predictions after the two steps (inference mode: the moving
    statistics normalise).

Run (outside the repository's tree for the virtualenv):
  python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras==3.15.1 jax jaxlib numpy
  KERAS_BACKEND=jax /tmp/kvenv/bin/python cnn_train_step.py
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np
import keras

L = keras.layers
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "tests", "fixtures")

rng = np.random.default_rng(20261130)
model = keras.Sequential([
    keras.Input((9, 9, 2)),
    L.Conv2D(4, 3, padding="same", activation="relu"),
    L.BatchNormalization(),
    L.MaxPooling2D(2),
    L.Conv2D(6, 2, strides=2, activation="tanh"),
    L.AveragePooling2D(2, strides=1, padding="same"),
    L.Flatten(),
    L.Dense(3, activation="softmax"),
])


def path(v):
    """`conv2d/kernel`: the variable's path without the model's name."""
    return "/".join(v.path.split("/")[1:])


out = {}
for v in model.weights:
    shape = tuple(v.shape)
    name = v.path.split("/")[-1]
    if name == "moving_variance":
        value = rng.uniform(0.5, 1.5, shape)
    elif name == "gamma":
        value = rng.uniform(0.8, 1.2, shape)
    else:
        value = rng.uniform(-0.5, 0.5, shape)
    v.assign(value.astype("float32"))
    out[f"init/{path(v)}"] = value.astype("float32")

x = rng.uniform(0, 1, (5, 9, 9, 2)).astype("float32")
y = np.array([0, 2, 1, 1, 0], dtype="float32")
out["x"], out["y"] = x, y
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy")
for step in range(2):
    loss = model.train_on_batch(x, y)
    out[f"step{step}/loss"] = np.array([loss], dtype="float32")
    for v in model.weights:
        out[f"step{step}/{path(v)}"] = np.asarray(v.value, dtype="float32")
out["predict"] = np.asarray(model.predict(x, verbose=0), dtype="float32")

np.savez_compressed(os.path.join(FIXTURES, "cnn_train_step.npz"), **out)
print("keras", keras.__version__, "backend", keras.backend.backend())
print("paths", [path(v) for v in model.weights])
print("losses", out["step0/loss"], out["step1/loss"])
