"""Reference values for shaped's convolution layers, from real Keras: Conv1D, Conv2D (strides,
dilation, groups, padding valid / same / causal, with and without bias, with activations),
Conv2DTranspose, DepthwiseConv2D and SeparableConv2D.

Base inputs (batch 2, N(0, 1), seed 20240601), stored once under `in/`:
  - seq: [2, 9, 3], a 1-D input [steps, channels];
  - img: [2, 7, 6, 4], an image [height, width, channels] (odd height, even width);
  - small: [2, 4, 3, 4], the input of the transposed convolutions.

Each case builds one layer on its base input and overwrites every weight with U(-0.5, 0.5)
values (so no bias is zero), calls it, and takes with jax.grad the gradients of
L = Σ r ⊙ y with respect to the input and every weight (through `stateless_call`), with
r[i] = ((5 i + 3) mod 17 − 8) / 8 over the output's flat index i (exact in f32, so the Rust test
rebuilds it). The cases, in the order of CASES below (mirrored in runtime/tests/conv_layers.rs,
which builds the same layer with shaped's options), are packed into a few arrays so the file
stays small:
  - `case_count`: int32, the number of cases;
  - `output_dims`: int32 [cases, 3]: each output's per-sample dims, -1 past its rank;
  - `outputs`: float32, every case's output, flat row-major, one case after the other;
  - `weight_sizes`: int32 [cases, 3]: the number of values of each weight in Keras order
    (`kernel`, `bias`; separable: `depthwise_kernel`, `pointwise_kernel`, `bias`), 0 past the last;
  - `weights`: float32, every case's weights, flat in Keras layout and order;
  - `grad_inputs`: float32, each case's dL/dx (its base input's size);
  - `grad_weights`: float32, each case's dL/dw in the order of `weights`.
The script prints each layer's weight paths: Keras 3.15.1 names them `kernel`, `bias`,
`depthwise_kernel`, `pointwise_kernel` (DepthwiseConv2D's weight is `kernel`).

Writes ../../tests/fixtures/conv_layers.npz (compressed).

Run (outside the repository's tree for the virtualenv):
  python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras==3.15.1 jax jaxlib numpy
  KERAS_BACKEND=jax /tmp/kvenv/bin/python conv_layers.py
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import jax
import jax.numpy as jnp
import numpy as np
import keras

L = keras.layers
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "tests", "fixtures")
rng = np.random.default_rng(20240601)
out = {}

INPUTS = {
    "seq": rng.standard_normal((2, 9, 3)).astype("float32"),
    "img": rng.standard_normal((2, 7, 6, 4)).astype("float32"),
    "small": rng.standard_normal((2, 4, 3, 4)).astype("float32"),
}
for name, value in INPUTS.items():
    out[f"in/{name}"] = value

# name: (base input, layer factory)
CASES = {
    "conv1d_valid": ("seq", lambda: L.Conv1D(4, 3)),
    "conv1d_same_k4": ("seq", lambda: L.Conv1D(4, 4, padding="same")),
    "conv1d_causal": ("seq", lambda: L.Conv1D(4, 3, padding="causal")),
    "conv1d_dilated": ("seq", lambda: L.Conv1D(2, 3, dilation_rate=2, padding="causal")),
    "conv1d_strided": ("seq", lambda: L.Conv1D(3, 3, strides=2)),
    "conv1d_strided_same": ("seq", lambda: L.Conv1D(3, 2, strides=2, padding="same")),
    "conv1d_dilated_valid": ("seq", lambda: L.Conv1D(2, 3, dilation_rate=2)),
    "conv2d_valid": ("img", lambda: L.Conv2D(5, (3, 3))),
    "conv2d_same_relu": ("img", lambda: L.Conv2D(5, (3, 2), padding="same", activation="relu")),
    "conv2d_same_s2": ("img", lambda: L.Conv2D(3, 3, strides=2, padding="same")),
    "conv2d_same_s2_k4": ("img", lambda: L.Conv2D(3, 4, strides=2, padding="same")),
    "conv2d_valid_s2": ("img", lambda: L.Conv2D(3, 3, strides=2)),
    "conv2d_dilated": ("img", lambda: L.Conv2D(3, 3, dilation_rate=2, padding="same")),
    "conv2d_groups": ("img", lambda: L.Conv2D(6, 3, groups=2, padding="same")),
    "conv2d_nobias_tanh": ("img", lambda: L.Conv2D(4, (2, 3), use_bias=False, activation="tanh")),
    "conv2d_softmax": ("img", lambda: L.Conv2D(3, 1, activation="softmax")),
    "transpose_valid_s2": ("small", lambda: L.Conv2DTranspose(3, 3, strides=2)),
    "transpose_same_s2": ("small", lambda: L.Conv2DTranspose(3, 3, strides=2, padding="same")),
    "transpose_same_s2_k4": ("small", lambda: L.Conv2DTranspose(2, 4, strides=2, padding="same")),
    "transpose_same_s1": ("small", lambda: L.Conv2DTranspose(3, 3, padding="same", activation="sigmoid")),
    "transpose_valid_s2_k2": ("small", lambda: L.Conv2DTranspose(2, 2, strides=2)),
    "depthwise_same": ("img", lambda: L.DepthwiseConv2D(3, depth_multiplier=2, padding="same")),
    "depthwise_valid_s2": ("img", lambda: L.DepthwiseConv2D((3, 2), strides=2, activation="relu")),
    "separable_same": ("img", lambda: L.SeparableConv2D(5, 3, depth_multiplier=2, padding="same")),
    "separable_s2_tanh": ("img", lambda: L.SeparableConv2D(3, 3, strides=2, activation="tanh")),
}


def probe(n):
    """r[i] = ((5 i + 3) mod 17 − 8) / 8 for i in 0..n."""
    return (((5 * np.arange(n) + 3) % 17) - 8).astype("float32") / 8.0


dims, outputs, sizes, weights, grad_inputs, grad_weights = [], [], [], [], [], []
for case, (base, factory) in CASES.items():
    x = INPUTS[base]
    layer = factory()
    layer.build(x.shape)
    for v in layer.trainable_variables:
        v.assign(rng.uniform(-0.5, 0.5, v.shape).astype("float32"))
    y = np.asarray(layer(x))
    r = probe(y.size).reshape(y.shape)
    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]

    def loss(x, trainable):
        y, _ = layer.stateless_call(trainable, non_trainable, x)
        return jnp.sum(r * y)

    gx, gw = jax.grad(loss, argnums=(0, 1))(jnp.asarray(x), trainable)
    dims.append(list(y.shape[1:]) + [-1] * (4 - y.ndim))
    outputs.append(y.ravel())
    sizes.append([int(np.prod(v.shape)) for v in layer.trainable_variables] + [0] * (3 - len(trainable)))
    weights.extend(np.asarray(v.value).ravel() for v in layer.trainable_variables)
    grad_inputs.append(np.asarray(gx).ravel())
    grad_weights.extend(np.asarray(g).ravel() for g in gw)
    paths = ", ".join(f"{v.path} {tuple(v.shape)}" for v in layer.trainable_variables)
    print(f"{case:24} {x.shape} -> {y.shape}  {paths}")

out["case_count"] = np.array(len(CASES), dtype="int32")
out["output_dims"] = np.array(dims, dtype="int32")
out["outputs"] = np.concatenate(outputs)
out["weight_sizes"] = np.array(sizes, dtype="int32")
out["weights"] = np.concatenate(weights)
out["grad_inputs"] = np.concatenate(grad_inputs)
out["grad_weights"] = np.concatenate(grad_weights)
path = os.path.join(FIXTURES, "conv_layers.npz")
np.savez_compressed(path, **out)
print("keras", keras.__version__, "backend", keras.backend.backend())
print(os.path.normpath(path), os.path.getsize(path), "bytes,", len(out), "arrays")
