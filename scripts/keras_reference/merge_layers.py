"""Reference values for shaped's merge layers, from real Keras: Add, Subtract, Multiply, Average,
Maximum, Minimum, Concatenate and Dot, with 1, 2 and 3 inputs, masked and not.

Base inputs (batch 2, 3 steps, 2 features unless said), stored once under `in/`:
  - a: Embedding(6, 2, mask_zero=True) of ids [[1, 2, 0], [3, 0, 0]]: post-padded; the padded
    steps hold the embedding of id 0 (not zeros), so a merge that wrongly reads them shows.
  - b: another Embedding(6, 2, mask_zero=True) of ids [[0, 4, 5], [0, 0, 1]]: pre-padded.
  - c: N(0, 1), no mask.
  - d: Masking(0.0) of N(0, 1) data whose step 1 of sample 0 is all zeros: a padded step in
    the middle (Masking zeroes it).
  - e: Embedding(6, 2, mask_zero=True) of ids [[2, 0], [0, 3]]: 2 steps, post- and pre-padded.
  - g: N(0, 1) [2, 3, 3], no mask. row [2, 1, 2], vec [2, 2], col [2, 3, 1]: N(0, 1), no mask.
  - p, q, s: N(0, 1) with ties: q equals p at four elements, s at three, all three equal at two.
  Masks: `in/<x>_mask`, bool [batch, steps], True = a real step (what Keras computed).
  Embedding tables: U(-1, 1), seed 20240601.

Each case calls one merge layer eagerly on some of those tensors with their masks attached
(`backend.set_keras_mask`, which is how a functional model hands masks to a merge; the script
checks that the functional model with the Embedding / Masking layers upstream gives the same
output). The cases, in the order of CASES below (mirrored in runtime/tests/merge_layers.rs), are
packed into a few arrays so the file stays small (each array of an .npz costs ~250 bytes):
  - `case_count`: int32, the number of cases;
  - `output_dims`: int32 [cases, 2]: each output's per-sample dims, -1 past its rank;
  - `outputs`: float32, every case's output, flat row-major, one case after the other;
  - `has_mask`: int32 [cases]: 1 when Keras gave the output a mask, 0 when it gave none;
  - `masks`: float32, the output masks of the cases that have one ([batch, out_steps], 1.0 for
    a real step), one after the other;
  - `grads`: float32, per case the gradients of L = Σ r ⊙ output with respect to each input,
    flat, in input order (jax.grad of a function that attaches the masks and calls the layer),
    with r[i] = ((5 i + 3) mod 17 − 8) / 8 over the output's flat index i (exact in f32, so the
    Rust test rebuilds it).

Writes ../../tests/fixtures/merge_layers.npz (compressed).

Run (outside the repository's tree for the virtualenv):
  python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras==3.15.1 jax jaxlib numpy
  KERAS_BACKEND=jax /tmp/kvenv/bin/python merge_layers.py
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import jax
import jax.numpy as jnp
import numpy as np
import keras
from keras.src import backend

L = keras.layers
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "tests", "fixtures")
rng = np.random.default_rng(20240601)
out = {}


def embedded(ids):
    """Embedding(6, 2, mask_zero=True) of ids, table U(-1, 1): the values and the mask."""
    emb = L.Embedding(6, 2, mask_zero=True)
    emb.build((None, ids.shape[1]))
    emb.embeddings.assign(rng.uniform(-1.0, 1.0, (6, 2)).astype("float32"))
    return np.asarray(emb(ids)), np.asarray(emb.compute_mask(ids)), emb


def normal(*shape):
    return rng.standard_normal(shape).astype("float32")


ids_a = np.array([[1, 2, 0], [3, 0, 0]], dtype="int32")
ids_b = np.array([[0, 4, 5], [0, 0, 1]], dtype="int32")
ids_e = np.array([[2, 0], [0, 3]], dtype="int32")
a, mask_a, emb_a = embedded(ids_a)
b, mask_b, emb_b = embedded(ids_b)
e, mask_e, emb_e = embedded(ids_e)
x_d = normal(2, 3, 2)
x_d[0, 1] = 0.0
masking_d = L.Masking(0.0)
d, mask_d = np.asarray(masking_d(x_d)), np.asarray(masking_d.compute_mask(x_d))
p = normal(2, 3, 2)
q = normal(2, 3, 2)
s = normal(2, 3, 2)
q.flat[[0, 3, 5, 8]] = p.flat[[0, 3, 5, 8]]
s.flat[[0, 5, 7]] = p.flat[[0, 5, 7]]  # three-way ties at 0 and 5
INPUTS = {
    "a": (a, mask_a),
    "b": (b, mask_b),
    "c": (normal(2, 3, 2), None),
    "d": (d, mask_d),
    "e": (e, mask_e),
    "g": (normal(2, 3, 3), None),
    "row": (normal(2, 1, 2), None),
    "vec": (normal(2, 2), None),
    "col": (normal(2, 3, 1), None),
    "p": (p, None),
    "q": (q, None),
    "s": (s, None),
}
for name, (value, mask) in INPUTS.items():
    out[f"in/{name}"] = value
    if mask is not None:
        out[f"in/{name}_mask"] = mask.astype(bool)

# name: (layer factory, inputs)
CASES = {
    # two masked inputs (post- and pre-padded)
    "add_ab": (L.Add, "a b"),
    "subtract_ab": (L.Subtract, "a b"),
    "multiply_ab": (L.Multiply, "a b"),
    "average_ab": (L.Average, "a b"),
    "maximum_ab": (L.Maximum, "a b"),
    "minimum_ab": (L.Minimum, "a b"),
    # three inputs, one without a mask (Keras: no output mask)
    "add_abc": (L.Add, "a b c"),
    "subtract_ac": (L.Subtract, "a c"),
    "multiply_abc": (L.Multiply, "a b c"),
    "average_abc": (L.Average, "a b c"),
    "maximum_cab": (L.Maximum, "c a b"),
    "minimum_abc": (L.Minimum, "a b c"),
    # three masked inputs (a padded step in the middle of d)
    "maximum_abd": (L.Maximum, "a b d"),
    "minimum_dba": (L.Minimum, "d b a"),
    "multiply_abd": (L.Multiply, "a b d"),
    # one input (Keras 3 accepts it; Multiply zeroes its padded steps)
    "multiply_a": (L.Multiply, "a"),
    "maximum_a": (L.Maximum, "a"),
    # ties: JAX splits the gradient of max(x, y) at x == y in halves, fold by fold
    "maximum_ties": (L.Maximum, "p q s"),
    "minimum_ties": (L.Minimum, "p q s"),
    # size-1 broadcasting and different ranks
    "add_row": (L.Add, "c row"),
    "subtract_col": (L.Subtract, "c col"),
    "multiply_vec": (L.Multiply, "vec c"),
    "average_row_col": (L.Average, "row col c"),
    "maximum_a_row": (L.Maximum, "a row"),
    # Concatenate: features (OR of the step masks), time (the masks concatenated)
    "concatenate_ab": (lambda: L.Concatenate(), "a b"),
    "concatenate_abc": (lambda: L.Concatenate(axis=-1), "a b c"),
    "concatenate_cg": (lambda: L.Concatenate(axis=2), "c g"),
    "concatenate_ae_time": (lambda: L.Concatenate(axis=1), "a e"),
    "concatenate_ce_time": (lambda: L.Concatenate(axis=-2), "c e"),
    "concatenate_dea_time": (lambda: L.Concatenate(axis=1), "d e a"),
    # Dot: masks ignored, no output mask
    "dot_ab": (lambda: L.Dot(axes=2), "a b"),
    "dot_ab_normalize": (lambda: L.Dot(axes=-1, normalize=True), "a b"),
    "dot_cg_time": (lambda: L.Dot(axes=1), "c g"),
    "dot_vec": (lambda: L.Dot(axes=1), "vec vec"),
    "dot_c_vec": (lambda: L.Dot(axes=(2, 1)), "c vec"),
    "dot_vec_c_normalize": (lambda: L.Dot(axes=(1, 2), normalize=True), "vec c"),
}


def probe(n):
    """r[i] = ((5 i + 3) mod 17 − 8) / 8 for i in 0..n."""
    return (((5 * np.arange(n) + 3) % 17) - 8).astype("float32") / 8.0


def with_masks(values, masks):
    tensors = [jnp.asarray(v) for v in values]
    for t, m in zip(tensors, masks):
        if m is not None:
            backend.set_keras_mask(t, jnp.asarray(m))
    return tensors


def functional(layer_factory, names):
    """The same merge in a functional model, masks made upstream as in a real model."""
    sources, feeds, args = [], [], []
    for name in names:
        if name in ("a", "b", "e"):
            ids = {"a": ids_a, "b": ids_b, "e": ids_e}[name]
            emb = {"a": emb_a, "b": emb_b, "e": emb_e}[name]
            inp = keras.Input(ids.shape[1:], dtype="int32")
            sources.append(inp)
            feeds.append(ids)
            args.append(emb(inp))
        elif name == "d":
            inp = keras.Input(x_d.shape[1:])
            sources.append(inp)
            feeds.append(x_d)
            args.append(L.Masking(0.0)(inp))
        else:
            value = INPUTS[name][0]
            inp = keras.Input(value.shape[1:])
            sources.append(inp)
            feeds.append(value)
            args.append(inp)
    model = keras.Model(sources, layer_factory()(args))
    return np.asarray(model.predict(feeds, verbose=0))


outputs, dims, has_mask, masks, grads = [], [], [], [], []
for case, (factory, names) in CASES.items():
    names = names.split()
    values = [INPUTS[n][0] for n in names]
    input_masks = [INPUTS[n][1] for n in names]
    layer = factory()
    y = layer(with_masks(values, input_masks))
    y_mask = backend.get_keras_mask(y)
    y = np.asarray(y)
    r = probe(y.size).reshape(y.shape)

    def loss(*xs):
        return jnp.sum(r * layer(with_masks(xs, input_masks)))

    g = jax.grad(loss, argnums=tuple(range(len(values))))(*[jnp.asarray(v) for v in values])
    model_y = functional(factory, names)
    assert np.allclose(model_y, y, atol=1e-6), (case, np.abs(model_y - y).max())
    outputs.append(y.ravel())
    dims.append(list(y.shape[1:]) + [-1] * (3 - y.ndim))
    has_mask.append(0 if y_mask is None else 1)
    if y_mask is not None:
        masks.append(np.asarray(y_mask).astype("float32").ravel())
    grads.extend(np.asarray(gi).ravel() for gi in g)
    shown = "none" if y_mask is None else np.asarray(y_mask).astype(int).tolist()
    print(f"{case:24} output {y.shape}  mask {shown}")

out["case_count"] = np.array(len(CASES), dtype="int32")
out["output_dims"] = np.array(dims, dtype="int32")
out["outputs"] = np.concatenate(outputs)
out["has_mask"] = np.array(has_mask, dtype="int32")
out["masks"] = np.concatenate(masks)
out["grads"] = np.concatenate(grads)
path = os.path.join(FIXTURES, "merge_layers.npz")
np.savez_compressed(path, **out)
print("keras", keras.__version__, "backend", keras.backend.backend())
print(os.path.normpath(path), os.path.getsize(path), "bytes,", len(out), "arrays")
