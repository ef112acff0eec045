"""Reference values for shaped's `Normalization` after `adapt`, from real Keras.

Data (seed 20261130): `x` [50, 3], features on very different scales (N(5, 2), N(-300, 40),
U(0, 1)·1e-3); `probe` [4, 3], values to normalize. `keras.layers.Normalization()` adapted on
`x` gives `mean` and `variance` (its `adapt_mean`, `adapt_variance`: population statistics) and
`y` = the layer on `probe`; `Normalization(invert=True)` adapted on `x` gives `y_invert` on
`probe`.

Writes ../../tests/fixtures/normalization.npz.

Run (outside the repository's tree for the virtualenv):
  python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras==3.15.1 jax jaxlib numpy
  KERAS_BACKEND=jax /tmp/kvenv/bin/python normalization.py
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np
import keras

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "tests", "fixtures")

rng = np.random.default_rng(20261130)
x = np.stack([rng.normal(5, 2, 50), rng.normal(-300, 40, 50), rng.uniform(0, 1, 50) * 1e-3], axis=1).astype("float32")
probe = np.stack([rng.normal(5, 2, 4), rng.normal(-300, 40, 4), rng.uniform(0, 1, 4) * 1e-3], axis=1).astype("float32")

layer = keras.layers.Normalization()
layer.adapt(x)
inverse = keras.layers.Normalization(invert=True)
inverse.adapt(x)
out = {
    "x": x,
    "probe": probe,
    "mean": np.asarray(layer.adapt_mean, dtype="float32"),
    "variance": np.asarray(layer.adapt_variance, dtype="float32"),
    "y": np.asarray(layer(probe), dtype="float32"),
    "y_invert": np.asarray(inverse(probe), dtype="float32"),
}
np.savez_compressed(os.path.join(FIXTURES, "normalization.npz"), **out)
print("keras", keras.__version__, "backend", keras.backend.backend())
print("mean", out["mean"], "variance", out["variance"])
