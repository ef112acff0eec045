"""Reference values for shaped's preprocessing layers, from real Keras: `Normalization` after
`adapt`, and `CategoryEncoding`.

Data (seed 20261130): `x` [50, 3], features on very different scales (N(5, 2), N(-300, 40),
U(0, 1)·1e-3); `probe` [4, 3], values to normalize. `keras.layers.Normalization()` adapted on
`x` gives `mean` and `variance` (its `adapt_mean`, `adapt_variance`: population statistics) and
`y` = the layer on `probe`; `Normalization(invert=True)` adapted on `x` gives `y_invert` on
`probe`.

CategoryEncoding(5) on `ids` [4, 3] (int32, values below 5, repeats included): `one_hot`
[4, 3, 5], `multi_hot` [4, 5], `count` [4, 5]; and on `id` [4, 1]: `one_hot_single` [4, 5].

Writes ../../tests/fixtures/preprocessing_layers.npz.

Run (outside the repository's tree for the virtualenv):
  python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras==3.15.1 jax jaxlib numpy
  KERAS_BACKEND=jax /tmp/kvenv/bin/python preprocessing_layers.py
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
ids = np.array([[0, 3, 3], [4, 1, 0], [2, 2, 2], [1, 4, 0]], dtype="int32")
single = np.array([[3], [0], [4], [1]], dtype="int32")
out["ids"] = ids.astype("float32")
out["id"] = single.astype("float32")
for mode in ("one_hot", "multi_hot", "count"):
    out[mode] = np.asarray(keras.layers.CategoryEncoding(5, output_mode=mode)(ids), dtype="float32")
out["one_hot_single"] = np.asarray(keras.layers.CategoryEncoding(5, output_mode="one_hot")(single), dtype="float32")
np.savez_compressed(os.path.join(FIXTURES, "preprocessing_layers.npz"), **out)
print("keras", keras.__version__, "backend", keras.backend.backend())
print("mean", out["mean"], "variance", out["variance"])
