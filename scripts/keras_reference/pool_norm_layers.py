"""Reference values for shaped's pooling, spatial-resizing and normalization layers, from real
Keras: MaxPooling1D/2D, AveragePooling1D/2D, GlobalAveragePooling2D, GlobalMaxPooling2D,
UpSampling2D, ZeroPadding2D, Cropping2D, BatchNormalization and LayerNormalization.

Every case is one layer called eagerly on one input `x` (N(0, 1) unless said, seed 20240601);
its arrays are stored under `<case>/`:
  - `<case>/x`: the input, float32 [batch, ..] (channels last);
  - `<case>/y`: the layer's output (`training=True` for BatchNormalization unless the case
    says inference);
  - `<case>/dx`: the gradient of L = Σ r ⊙ y with respect to x (jax.grad through
    `layer.stateless_call`, so for BatchNormalization in training mode the gradient goes through
    the batch statistics), with r[i] = ((5 i + 3) mod 17 − 8) / 8 over y's flat index i (exact
    in f32, so the Rust test rebuilds it); for `bn_masked`, r is zeroed at padded positions
    (see below);
  - normalizations: `<case>/gamma`, `<case>/beta` (the weights used, random U(0.5, 1.5) and
    U(−0.5, 0.5), absent when `scale` / `center` is False), `<case>/dgamma`, `<case>/dbeta`
    (the gradients of L), and for BatchNormalization `<case>/moving_mean`,
    `<case>/moving_variance` (before the call, non-default: U(−0.5, 0.5), U(0.5, 1.5)) and
    `<case>/moving_mean_1`, `<case>/moving_variance_1` (after the training call on x),
    `<case>/moving_mean_2`, `<case>/moving_variance_2` (after a second training call on
    `<case>/x2`, a different batch).

Cases (the layer arguments are in CASES below; the Rust test mirrors them):
  - pooling: valid and same, strides different from the pool size, odd sizes so that `same`
    averages count partial windows (Keras divides by the number of real elements), overlapping
    windows; `max2d_ties` / `gmax2d_ties`: small integer inputs full of ties, to pin down
    where JAX sends the gradient of a tied max (reduce_window max: one element per window;
    jnp.max over the image: split equally between the ties; the script prints both);
  - `bn_train`, `bn_train_2d`: BatchNormalization training mode on [4, 3, 5] and [6, 4];
    `bn_infer`: inference with the non-default moving statistics; `bn_no_center`,
    `bn_no_scale`, `bn_plain` (center and/or scale False, training); `bn_momentum`:
    momentum 0.9 and epsilon 0.01;
  - `bn_masked`: BatchNormalization training mode on a [3, 5, 4] sequence with the mask
    `<case>/mask` (lengths 5, 3, 1; float32 [3, 5], 1.0 = a real step) passed as `mask=`:
    Keras's weighted moments count real steps only. Keras still normalizes the padded steps
    (with the real steps' statistics), so its output there is not zero and their gradient is
    γ·r/√(σ²+ε); shaped writes 0 there and gives them zero gradient. r is therefore zeroed at
    padded steps, which makes Keras's dx, dgamma and dbeta what shaped computes; the test
    compares y at real steps only;
  - `ln`, `ln_no_center`, `ln_plain`, `ln_eps`: LayerNormalization over the last axis.

Writes ../../tests/fixtures/pool_norm_layers.npz (compressed).

Run (outside the repository's tree for the virtualenv):
  python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras==3.15.1 jax jaxlib numpy
  KERAS_BACKEND=jax /tmp/kvenv/bin/python pool_norm_layers.py
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


def normal(*shape):
    return rng.standard_normal(shape).astype("float32")


def ties(*shape):
    """Small integers: many ties inside every window."""
    return rng.integers(0, 3, shape).astype("float32")


def probe(n):
    """r[i] = ((5 i + 3) mod 17 − 8) / 8 for i in 0..n."""
    return (((5 * np.arange(n) + 3) % 17) - 8).astype("float32") / 8.0


# name: (layer factory, input)
POOL_CASES = {
    "max1d_valid": (lambda: L.MaxPooling1D(3, strides=2, padding="valid"), normal(2, 9, 3)),
    "max1d_same": (lambda: L.MaxPooling1D(3, strides=2, padding="same"), normal(2, 8, 3)),
    "avg1d_valid": (lambda: L.AveragePooling1D(3, strides=2, padding="valid"), normal(2, 9, 3)),
    "avg1d_same": (lambda: L.AveragePooling1D(4, strides=3, padding="same"), normal(2, 9, 3)),
    "max2d_valid": (lambda: L.MaxPooling2D((3, 2), strides=(2, 1), padding="valid"), normal(2, 7, 6, 3)),
    "max2d_same": (lambda: L.MaxPooling2D(3, strides=2, padding="same"), normal(2, 7, 6, 3)),
    "max2d_default": (lambda: L.MaxPooling2D(), normal(2, 6, 5, 2)),
    "avg2d_valid": (lambda: L.AveragePooling2D((3, 2), strides=(2, 1), padding="valid"), normal(2, 7, 6, 3)),
    "avg2d_same": (lambda: L.AveragePooling2D(3, strides=2, padding="same"), normal(2, 7, 6, 3)),
    "avg2d_same_k4": (lambda: L.AveragePooling2D((4, 3), strides=(3, 2), padding="same"), normal(2, 7, 5, 2)),
    "max2d_ties": (lambda: L.MaxPooling2D(2, strides=1, padding="valid"), ties(1, 4, 4, 2)),
    "gavg2d": (lambda: L.GlobalAveragePooling2D(), normal(2, 5, 4, 3)),
    "gmax2d": (lambda: L.GlobalMaxPooling2D(), normal(2, 5, 4, 3)),
    "gmax2d_ties": (lambda: L.GlobalMaxPooling2D(), ties(2, 3, 3, 2)),
    "upsampling": (lambda: L.UpSampling2D((2, 3)), normal(2, 3, 2, 2)),
    "zeropad": (lambda: L.ZeroPadding2D(((1, 2), (0, 3))), normal(2, 3, 2, 2)),
    "crop": (lambda: L.Cropping2D(((1, 0), (2, 1))), normal(2, 5, 6, 2)),
}

for case, (factory, x) in POOL_CASES.items():
    layer = factory()
    y = np.asarray(layer(x))
    r = probe(y.size).reshape(y.shape)
    dx = jax.grad(lambda v: jnp.sum(r * layer(v)))(jnp.asarray(x))
    out[f"{case}/x"], out[f"{case}/y"], out[f"{case}/dx"] = x, y, np.asarray(dx)
    print(f"{case:16} {x.shape} -> {y.shape}")
    if case.endswith("ties"):
        print(f"  ties: x\n{x[..., 0]}\n  dx\n{np.asarray(dx)[..., 0]}\n  r {r.ravel()[:8]}")

NORM_CASES = {
    # name: (layer factory, x shape, mask lengths or None, training)
    "bn_train": (lambda: L.BatchNormalization(), (4, 3, 5), None, True),
    "bn_train_2d": (lambda: L.BatchNormalization(), (6, 4), None, True),
    "bn_infer": (lambda: L.BatchNormalization(), (4, 3, 5), None, False),
    "bn_no_center": (lambda: L.BatchNormalization(center=False), (4, 3, 5), None, True),
    "bn_no_scale": (lambda: L.BatchNormalization(scale=False), (4, 3, 5), None, True),
    "bn_plain": (lambda: L.BatchNormalization(center=False, scale=False), (4, 3, 5), None, True),
    "bn_momentum": (lambda: L.BatchNormalization(momentum=0.9, epsilon=0.01), (5, 2, 3), None, True),
    "bn_masked": (lambda: L.BatchNormalization(), (3, 5, 4), [5, 3, 1], True),
    "ln": (lambda: L.LayerNormalization(), (2, 3, 5), None, True),
    "ln_no_center": (lambda: L.LayerNormalization(center=False), (2, 3, 5), None, True),
    "ln_plain": (lambda: L.LayerNormalization(center=False, scale=False), (4, 6), None, True),
    "ln_eps": (lambda: L.LayerNormalization(epsilon=0.1), (2, 2, 3), None, True),
}

for case, (factory, shape, lengths, training) in NORM_CASES.items():
    layer = factory()
    layer.build(shape)
    features = shape[-1]
    x = (normal(*shape) * 2.0 + 0.5).astype("float32")
    x2 = (normal(*shape) * 0.5 - 1.0).astype("float32")
    mask = None
    if lengths is not None:
        mask = (np.arange(shape[1])[None, :] < np.array(lengths)[:, None]).astype("float32")
        x[mask == 0] = 1e3  # garbage that must not reach the statistics
        out[f"{case}/mask"] = mask
    for w in layer.weights:
        name = w.path.split("/")[-1]
        low, high = {"gamma": (0.5, 1.5), "beta": (-0.5, 0.5), "moving_mean": (-0.5, 0.5),
                     "moving_variance": (0.5, 1.5)}[name]
        w.assign(rng.uniform(low, high, features).astype("float32"))
        out[f"{case}/{name}"] = np.asarray(w)
    kw = {"training": training} if case.startswith("bn") else {}
    if mask is not None:
        kw["mask"] = jnp.asarray(mask)
    trainable = [jnp.asarray(v) for v in layer.trainable_variables]
    non_trainable = [jnp.asarray(v) for v in layer.non_trainable_variables]
    y, _ = layer.stateless_call(trainable, non_trainable, jnp.asarray(x), **kw)
    y = np.asarray(y)
    r = probe(y.size).reshape(y.shape)
    if mask is not None:
        r = r * mask[..., None]

    def loss(x, trainable):
        y, _ = layer.stateless_call(trainable, non_trainable, x, **kw)
        return jnp.sum(r * y)

    dx, dw = jax.grad(loss, argnums=(0, 1))(jnp.asarray(x), trainable)
    out[f"{case}/x"], out[f"{case}/y"], out[f"{case}/dx"] = x, y, np.asarray(dx)
    for v, g in zip(layer.trainable_variables, dw):
        out[f"{case}/d{v.path.split('/')[-1]}"] = np.asarray(g)
    # The same call through the layer itself agrees, and updates the moving statistics.
    y_eager = np.asarray(layer(x, **kw))
    assert np.allclose(y_eager, y, atol=1e-6), case
    if case.startswith("bn") and training:
        out[f"{case}/moving_mean_1"] = np.asarray(layer.moving_mean)
        out[f"{case}/moving_variance_1"] = np.asarray(layer.moving_variance)
        if mask is not None:
            x2[mask == 0] = -1e3
        layer(x2, **kw)
        out[f"{case}/x2"] = x2
        out[f"{case}/moving_mean_2"] = np.asarray(layer.moving_mean)
        out[f"{case}/moving_variance_2"] = np.asarray(layer.moving_variance)
    print(f"{case:16} {shape} weights {[w.path.split('/')[-1] for w in layer.weights]}")

# What the moving variance is: the biased batch variance (checked here, printed for the record).
bn = L.BatchNormalization(momentum=0.5)
xb = np.array([[1.0], [2.0], [4.0]], dtype="float32")
bn(xb, training=True)
print("moving_variance after one call on [1, 2, 4], momentum 0.5:", np.asarray(bn.moving_variance),
      "(biased var 1.5556 -> 1.2778; unbiased 2.3333 -> 1.6667)")

path = os.path.join(FIXTURES, "pool_norm_layers.npz")
np.savez_compressed(path, **out)
print("keras", keras.__version__, "backend", keras.backend.backend())
print(os.path.normpath(path), os.path.getsize(path), "bytes,", len(out), "arrays")
