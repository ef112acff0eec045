"""Reference values for shaped's training tests, from real Keras.

Fixture a's MLP (Input(5) → Dense(4, relu) → Dense(3, softmax)) with its weights, on its input
and fixed one-hot labels, categorical crossentropy:
  - one `train_on_batch` step with SGD(0.1), SGD(0.1, momentum 0.9, nesterov), Adam(0.01) and
    RMSprop(0.01): the loss and every updated weight;
  - five Adam(0.01) steps: the loss of each step and the weights after each step.
Writes ../../tests/fixtures/train_steps.npz.

Run (outside the repository's tree for the virtualenv):
  python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras==3.15.1 jax jaxlib numpy
  KERAS_BACKEND=jax /tmp/kvenv/bin/python train_steps.py
"""
import os
os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np
import keras

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "tests", "fixtures")
a = np.load(os.path.join(FIXTURES, "a_dense_mlp.npz"))
x = a["input"]
y = keras.utils.to_categorical([0, 2, 1, 2], 3).astype("float32")
NAMES = ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]


def model():
    m = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="relu"),
                          keras.layers.Dense(3, activation="softmax")])
    m.set_weights([a[n] for n in NAMES])
    return m


OPTIMIZERS = {
    "sgd": lambda: keras.optimizers.SGD(learning_rate=0.1),
    "sgd_nesterov": lambda: keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
    "adam": lambda: keras.optimizers.Adam(learning_rate=0.01),
    "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate=0.01),
}

out = {"x": x, "y": y}
for key, make in OPTIMIZERS.items():
    m = model()
    m.compile(optimizer=make(), loss="categorical_crossentropy")
    loss = m.train_on_batch(x, y)
    out[f"{key}/loss"] = np.array([loss], dtype="float32")
    for n, w in zip(NAMES, m.get_weights()):
        out[f"{key}/{n}"] = w

m = model()
m.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="categorical_crossentropy")
losses = []
for step in range(5):
    losses.append(m.train_on_batch(x, y))
    for n, w in zip(NAMES, m.get_weights()):
        out[f"adam5/step{step}/{n}"] = w
out["adam5/loss"] = np.array(losses, dtype="float32")

np.savez(os.path.join(FIXTURES, "train_steps.npz"), **out)
print("keras", keras.__version__, "backend", keras.backend.backend())
for k in ["sgd/loss", "adam/loss", "rmsprop/loss", "adam5/loss"]:
    print(k, out[k])
