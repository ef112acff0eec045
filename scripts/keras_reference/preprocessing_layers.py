"""Reference values for shaped's preprocessing layers, from real Keras: `Normalization` after
`adapt`, and `CategoryEncoding`.

Data (seed 20261130): `x` [50, 3], features on very different scales (N(5, 2), N(-300, 40),
U(0, 1)·1e-3); `probe` [4, 3], values to normalize. `keras.layers.Normalization()` adapted on
`x` gives `mean` and `variance` (its `adapt_mean`, `adapt_variance`: population statistics) and
`y` = the layer on `probe`; `Normalization(invert=True)` adapted on `x` gives `y_invert` on
`probe`.

CategoryEncoding(5) on `ids` [4, 3] (int32, values below 5, repeats included): `one_hot`
[4, 3, 5], `multi_hot` [4, 5], `count` [4, 5]; and on `id` [4, 1]: `one_hot_single` [4, 5].

Discretization (Keras's layer needs TensorFlow, which this JAX setup has not: the script runs
the layer's own code paths instead, Keras's module functions `summarize`, `merge_summaries` and
`get_bin_boundaries` for `adapt` on an array, `np.digitize` and Keras's
`numerical_utils.encode_categorical_inputs` for the call): `values` [6, 2] through `bin_boundaries=[0.0, 1.0, 2.5]` in every output mode
(`disc_int` [6, 2], `disc_one_hot` [6, 2, 4], `disc_multi_hot` [6, 4], `disc_count` [6, 4]);
`Discretization(num_bins=4)` adapted on `small` [60] (kept whole by the summary) and on `large`
[1000] (summarised to 100 weighted points): `small_boundaries`, `large_boundaries` [3], and
`large_int` = the adapted layer on `values`.

Writes ../../tests/fixtures/preprocessing_layers.npz.

Run (outside the repository's tree for the virtualenv):
  python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras==3.15.1 jax jaxlib numpy
  KERAS_BACKEND=jax /tmp/kvenv/bin/python preprocessing_layers.py
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np
import keras
from keras.src.layers.preprocessing.discretization import get_bin_boundaries, merge_summaries, summarize
from keras.src.utils import numerical_utils

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
values = np.array([[-1.0, 0.0], [0.5, 1.0], [2.4, 2.5], [3.0, 0.99], [1.0, -0.2], [9.0, 2.6]], dtype="float32")
out["values"] = values


def discretize(data, boundaries, mode):
    """`Discretization.call`: digitize, then Keras's categorical encoding."""
    indices = np.digitize(data, boundaries)
    encoded = numerical_utils.encode_categorical_inputs(
        indices, output_mode=mode, depth=len(boundaries) + 1, dtype="float32", backend_module=keras.src.backend
    )
    return np.asarray(encoded, dtype="float32")


def adapt(data, num_bins, epsilon=0.01):
    """`Discretization.adapt` on an array: one `update_state`, then `finalize_state`."""
    summary = np.array([[], []], dtype="float32")
    summary = merge_summaries(summarize(np.array(data).astype("float32"), epsilon), summary, epsilon)
    return np.asarray(get_bin_boundaries(summary, num_bins), dtype="float32")


for mode in ("int", "one_hot", "multi_hot", "count"):
    out[f"disc_{mode}"] = discretize(values, [0.0, 1.0, 2.5], mode)
small = rng.normal(1.0, 2.0, 60).astype("float32")
large = rng.exponential(3.0, 1000).astype("float32")
out["small"], out["large"] = small, large
for name, data in (("small", small), ("large", large)):
    out[f"{name}_boundaries"] = adapt(data, 4)
out["large_int"] = discretize(values, out["large_boundaries"].tolist(), "int")
np.savez_compressed(os.path.join(FIXTURES, "preprocessing_layers.npz"), **out)
print("boundaries", out["small_boundaries"], out["large_boundaries"])
print("keras", keras.__version__, "backend", keras.backend.backend())
print("mean", out["mean"], "variance", out["variance"])
