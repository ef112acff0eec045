"""Reference values for shaped's lookup and hashing layers, from real Keras on TensorFlow:
`StringLookup` and `IntegerLookup` (adapted or given a vocabulary, every output mode but tf_idf,
no `invert`), `Hashing`, and the two hash functions `Hashing` uses.

Each `string_lookup` / `integer_lookup` entry: `args` (the Keras kwargs), `config` (the
layer's resolved `max_tokens`, `num_oov_indices`, `mask_token`, `oov_token`, `output_mode`,
`oov_method`, `salt`), `adapt` (the data `adapt` saw, or null), `vocabulary_arg` (the
`vocabulary=` given instead, or null), `vocabulary` (`layer.get_vocabulary()`: index i is the
token that maps to i), `inputs` ((n, 1) lists, or (n, 3) for multi_hot/count), `outputs`
(`layer(inputs)`, nested lists; `dtype` says Keras's dtype). `hashing` entries likewise.
`hash_functions.fast`: per text (UTF-8 bytes), FarmHash `Fingerprint64` as a decimal string
(from `tf.fingerprint`, which writes it as 8 little-endian bytes per string) and
`tf.strings.to_hash_bucket_fast(text, n)` for several n (`buckets`, keys and values decimal
strings), checked here to be `fingerprint64 % n`. `hash_functions.strong`: per text and key,
`tf.strings.to_hash_bucket_strong(text, n, key)` for the same n, and `hash`, the full u64
rebuilt from those buckets (low 62 bits from n = 2**62, the top two chosen by the other n and
checked unique). Keys are u64 decimal strings (TF takes int64 and reinterprets them).

How each Keras behaviour was found (Keras 3.15.1 source, keras/src/layers/preprocessing/
index_lookup.py and hashing.py, then pinned by the cases below and asserted in this script):
- Vocabulary order after `adapt`: `finalize_state` drops the mask and OOV tokens from the
  counts, then `np.lexsort((tokens, counts))[::-1]`: count descending, ties by token
  descending (strings compare as UTF-8 bytes, ints numerically). `max_tokens` keeps the first
  `max_tokens - token_start` of that order. Asserted against a plain sort below.
- Indices: `oov_start` = 1 if a mask token is set and output_mode is "int", else 0 (the mask
  has no column in one_hot/multi_hot/count: a masked input maps to int64 max there, which the
  encoders drop, giving a zero row / no count); OOV indices `oov_start..token_start`, then the
  vocabulary. `get_vocabulary()` lists them in that order.
- OOV with `num_oov_indices > 1`: strings `oov_start + to_hash_bucket_fast(s, num_oov)`
  (`to_hash_bucket_strong` with key `[salt, salt]` if a salt is given); ints
  `oov_start + floormod(x, num_oov)` (default `oov_method="floormod"`), or with
  `oov_method="farmhash"` the string hash of `as_string(x)`. Asserted below.
- An explicit `vocabulary` is used in the given order (a leading run equal to the special
  tokens, mask then OOVs, is stripped first).
- `Hashing`: no salt -> `to_hash_bucket_fast`; an int salt s -> key `[s, s]`, a pair -> that
  pair, `to_hash_bucket_strong`; ints (and floats, cast to int64 first) go through
  `tf.as_string` (decimal) before hashing; `mask_value` (compared before that conversion, and
  only if num_bins > 1) maps to 0 and every other value to `1 + hash % (num_bins - 1)`.

The integers of the lookup cases are non-negative: shaped's integer inputs are `u32` ids.

Writes ../../tests/fixtures/lookup_layers.json.

Run (outside the repository's tree for the virtualenv):
  python3 -m venv /tmp/tfvenv && /tmp/tfvenv/bin/pip install tensorflow-cpu keras==3.15.1
  KERAS_BACKEND=tensorflow /tmp/tfvenv/bin/python lookup_layers.py
(made with tensorflow-cpu 2.21.0, keras 3.15.1, Python 3.11)
"""
import json
import os

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf
import keras

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "tests", "fixtures")
U64 = 2**64
BUCKETS = [5, 1000003, 2**31 - 1, 2**62, 2**63 - 1]


def fingerprint64(text):
    raw = tf.fingerprint(tf.constant([text.encode("utf-8")])).numpy()[0]
    return int.from_bytes(bytes(raw.tolist()), "little")


def fast_bucket(text, n):
    return int(tf.strings.to_hash_bucket_fast([text.encode("utf-8")], n).numpy()[0])


def strong_bucket(text, n, key):
    return int(tf.strings.to_hash_bucket_strong([text.encode("utf-8")], n, key=key).numpy()[0])


def plain(x):
    """A tensor or list as nested Python lists of ints (every output here is integral)."""
    a = np.asarray(x)
    if a.dtype.kind == "f":
        assert np.all(a == np.round(a))
    return a.astype("int64").tolist()


def token(t):
    return t.item() if isinstance(t, np.generic) else t


# Adapt data: counts 5, 3, 3, 2, 2, 2, 1, 1, 1, 1 (ties at several counts, an upper-case and a
# non-ASCII token to pin the byte order of the tie-break).
STRING_DATA = (
    ["red"] * 5 + ["green", "blue"] * 3 + ["yellow", "black", "white"] * 2 + ["pink", "Zed", "café", "apple"]
)


def shuffled(data):
    """A fixed permutation (21 elements, step 5), so that no order of first sight helps."""
    assert len(data) == 21
    return [data[(i * 5) % 21] for i in range(21)]


STRING_DATA = shuffled(STRING_DATA)
STRING_IN = ["red", "green", "blue", "yellow", "black", "white", "pink", "Zed", "café", "apple",
             "purple", "orange", "", "[UNK]", "RED", "gray", "cafe", "x"]
STRING_IN3 = [["red", "red", "green"], ["purple", "", "blue"], ["café", "apple", "café"],
              ["orange", "gray", "x"], ["", "", "yellow"], ["white", "Zed", "pink"]]

INT_DATA = [7] * 5 + [3, 12] * 3 + [40, 2, 9] * 2 + [1, 100, 0, 64]
INT_DATA = shuffled(INT_DATA)
INT_IN = [7, 3, 12, 40, 2, 9, 1, 100, 0, 64, 5, 6, 11, 17, 4, 1000, 13, 99]
INT_IN3 = [[7, 7, 3], [5, 0, 12], [100, 1, 100], [6, 17, 1000], [0, 0, 40], [9, 2, 64]]


def expected_order(data, dropped):
    counts = {}
    for t in data:
        if t not in dropped:
            counts[t] = counts.get(t, 0) + 1
    key = (lambda t: (counts[t], t.encode("utf-8"))) if isinstance(data[0], str) else (lambda t: (counts[t], t))
    return sorted(counts, key=key, reverse=True)


def lookup_entry(cls, name, args, adapt=None, inputs=None, vocabulary=None):
    kwargs = dict(args)
    if vocabulary is not None:
        kwargs["vocabulary"] = vocabulary
    layer = cls(**kwargs)
    if adapt is not None:
        layer.adapt(np.array(adapt) if cls is keras.layers.StringLookup else np.array(adapt, dtype="int64"))
    dtype = "string" if cls is keras.layers.StringLookup else "int64"
    x = tf.constant(inputs, dtype=dtype)
    out = layer(x)
    cfg = layer.get_config()
    config = {k: cfg[k] for k in ("max_tokens", "num_oov_indices", "mask_token", "oov_token", "output_mode",
                                  "oov_method", "salt") if k in cfg}
    vocab = [token(t) for t in layer.get_vocabulary()]
    entry = {"name": name, "args": args, "config": config, "adapt": adapt, "vocabulary_arg": vocabulary,
             "vocabulary": vocab, "inputs": inputs, "outputs": plain(out), "dtype": out.dtype.name}
    check(entry, cfg)
    return entry


def check(entry, cfg):
    """Asserts the index rules written in the docstring against what Keras returned."""
    mode, mask, oov = cfg["output_mode"], cfg["mask_token"], cfg["oov_token"]
    n_oov = cfg["num_oov_indices"]
    oov_start = 1 if mask is not None and mode == "int" else 0
    start = oov_start + n_oov
    vocab = entry["vocabulary"]
    learned = vocab[start:]
    if entry["adapt"] is not None:
        order = expected_order(entry["adapt"], {mask, oov})
        if cfg["max_tokens"]:
            order = order[: cfg["max_tokens"] - start]
        assert learned == order, (entry["name"], learned, order)
    is_str = isinstance(learned[0], str)

    def index(t):
        if mask is not None and t == mask:
            return 0 if mode == "int" else None
        if t in learned:
            return start + learned.index(t)
        if n_oov == 1:
            return oov_start
        if not is_str and cfg.get("oov_method", "floormod") == "floormod":
            return oov_start + t % n_oov
        text = t if is_str else str(t)
        if cfg.get("salt") is not None:
            return oov_start + strong_bucket(text, n_oov, cfg["salt"])
        return oov_start + fast_bucket(text, n_oov)

    depth = len(vocab)
    for row, got in zip(entry["inputs"], entry["outputs"]):
        ids = [index(t) for t in row]
        if mode == "int":
            want = ids
        elif mode == "one_hot":
            want = [1 if ids[0] == j else 0 for j in range(depth)]
        elif mode == "multi_hot":
            want = [1 if j in ids else 0 for j in range(depth)]
        else:
            want = [ids.count(j) for j in range(depth)]
        assert got == want, (entry["name"], row, got, want)


S = keras.layers.StringLookup
col = [[t] for t in STRING_IN]
string_lookup = [
    lookup_entry(S, "default", {}, STRING_DATA, col),
    lookup_entry(S, "num_oov_indices_2", {"num_oov_indices": 2}, STRING_DATA, col),
    lookup_entry(S, "num_oov_indices_3_mask", {"num_oov_indices": 3, "mask_token": ""}, STRING_DATA, col),
    lookup_entry(S, "num_oov_indices_2_salt_133", {"num_oov_indices": 2, "salt": 133}, STRING_DATA, col),
    lookup_entry(S, "mask_empty", {"mask_token": ""}, STRING_DATA, col),
    # The mask and OOV tokens inside the adapt data are dropped from the vocabulary.
    lookup_entry(S, "mask_empty_adapt_with_special", {"mask_token": ""},
                 STRING_DATA + ["", "", "", "", "", "", "[UNK]", "[UNK]", "[UNK]", "[UNK]", "[UNK]", "[UNK]"], col),
    lookup_entry(S, "max_tokens_4", {"max_tokens": 4}, STRING_DATA, col),
    lookup_entry(S, "max_tokens_5", {"max_tokens": 5}, STRING_DATA, col),
    lookup_entry(S, "max_tokens_5_mask", {"max_tokens": 5, "mask_token": ""}, STRING_DATA, col),
    lookup_entry(S, "one_hot", {"output_mode": "one_hot"}, STRING_DATA, col),
    lookup_entry(S, "one_hot_mask_max_tokens_5", {"output_mode": "one_hot", "mask_token": "", "max_tokens": 5},
                 STRING_DATA, col),
    lookup_entry(S, "multi_hot", {"output_mode": "multi_hot"}, STRING_DATA, STRING_IN3),
    lookup_entry(S, "multi_hot_mask", {"output_mode": "multi_hot", "mask_token": ""}, STRING_DATA, STRING_IN3),
    lookup_entry(S, "count", {"output_mode": "count"}, STRING_DATA, STRING_IN3),
    lookup_entry(S, "count_mask_oov_2", {"output_mode": "count", "mask_token": "", "num_oov_indices": 2},
                 STRING_DATA, STRING_IN3),
    lookup_entry(S, "vocabulary", {}, None, col, vocabulary=["pink", "red", "café", "blue", "Zed"]),
    lookup_entry(S, "vocabulary_with_special_tokens", {"mask_token": ""}, None, col,
                 vocabulary=["", "[UNK]", "pink", "red", "café", "blue", "Zed"]),
]

I = keras.layers.IntegerLookup
icol = [[t] for t in INT_IN]
integer_lookup = [
    lookup_entry(I, "default", {}, INT_DATA, icol),
    lookup_entry(I, "num_oov_indices_2", {"num_oov_indices": 2}, INT_DATA, icol),
    lookup_entry(I, "num_oov_indices_3_mask", {"num_oov_indices": 3, "mask_token": 0}, INT_DATA, icol),
    lookup_entry(I, "num_oov_indices_3_farmhash", {"num_oov_indices": 3, "oov_method": "farmhash"}, INT_DATA, icol),
    lookup_entry(I, "mask_0", {"mask_token": 0}, INT_DATA, icol),
    lookup_entry(I, "mask_0_adapt_with_special", {"mask_token": 0}, INT_DATA + [0] * 6, icol),
    lookup_entry(I, "max_tokens_4", {"max_tokens": 4}, INT_DATA, icol),
    lookup_entry(I, "max_tokens_5", {"max_tokens": 5}, INT_DATA, icol),
    lookup_entry(I, "one_hot", {"output_mode": "one_hot"}, INT_DATA, icol),
    lookup_entry(I, "one_hot_mask", {"output_mode": "one_hot", "mask_token": 0}, INT_DATA, icol),
    lookup_entry(I, "multi_hot", {"output_mode": "multi_hot"}, INT_DATA, INT_IN3),
    lookup_entry(I, "count", {"output_mode": "count"}, INT_DATA, INT_IN3),
    lookup_entry(I, "count_mask", {"output_mode": "count", "mask_token": 0}, INT_DATA, INT_IN3),
    lookup_entry(I, "vocabulary", {}, None, icol, vocabulary=[100, 7, 2, 64, 1]),
]

HASH_STRINGS = [["A"], ["B"], ["C"], ["D"], ["E"], [""], ["red"], ["café"], ["hello world"], ["[UNK]"]]
HASH_INTS = [[0], [1], [7], [-1], [-7], [12], [100], [2**31 - 1], [-(2**31)], [123456789]]


def hashing_entry(name, args, inputs, dtype):
    layer = keras.layers.Hashing(**args)
    out = layer(tf.constant(inputs, dtype=dtype))
    n = args["num_bins"]
    mask = args.get("mask_value")
    salt = args.get("salt")
    key = None if salt is None else ([salt, salt] if isinstance(salt, int) else list(salt))
    bins = n - 1 if mask is not None and n > 1 else n
    for row, got in zip(inputs, plain(out)):
        ids = []
        for v in row:
            text = v if isinstance(v, str) else str(v)
            h = fast_bucket(text, bins) if key is None else strong_bucket(text, bins, key)
            ids.append(0 if mask is not None and n > 1 and v == mask else h + (bins != n))
        mode = args.get("output_mode", "int")
        want = ids if mode == "int" else [1 if ids[0] == j else 0 for j in range(n)] if mode == "one_hot" else (
            [1 if j in ids else 0 for j in range(n)] if mode == "multi_hot" else [ids.count(j) for j in range(n)])
        assert got == want, (name, row, got, want)
    return {"name": name, "args": args, "key": None if key is None else [str(k % U64) for k in key],
            "inputs": inputs, "outputs": plain(out), "dtype": out.dtype.name}


hashing = [
    hashing_entry("num_bins_5", {"num_bins": 5}, HASH_STRINGS, "string"),
    hashing_entry("num_bins_3_keras_doc", {"num_bins": 3}, HASH_STRINGS, "string"),
    hashing_entry("salt_133", {"num_bins": 5, "salt": 133}, HASH_STRINGS, "string"),
    hashing_entry("salt_133_num_bins_3_keras_doc", {"num_bins": 3, "salt": 133}, HASH_STRINGS, "string"),
    hashing_entry("salt_pair_133_137", {"num_bins": 5, "salt": [133, 137]}, HASH_STRINGS, "string"),
    hashing_entry("one_hot_8", {"num_bins": 8, "output_mode": "one_hot"}, HASH_STRINGS, "string"),
    hashing_entry("multi_hot_8", {"num_bins": 8, "output_mode": "multi_hot"},
                  [["A", "B", "C"], ["", "red", "red"], ["D", "E", "café"]], "string"),
    hashing_entry("count_8", {"num_bins": 8, "output_mode": "count"},
                  [["A", "B", "C"], ["", "red", "red"], ["D", "D", "D"]], "string"),
    hashing_entry("mask_empty", {"num_bins": 5, "mask_value": ""}, HASH_STRINGS, "string"),
    hashing_entry("ints", {"num_bins": 5}, HASH_INTS, "int64"),
    hashing_entry("ints_salt_133", {"num_bins": 5, "salt": 133}, HASH_INTS, "int64"),
    hashing_entry("ints_mask_0", {"num_bins": 5, "mask_value": 0}, HASH_INTS, "int64"),
]

TEXTS = ["", "a", "hello", "abcdefg", "abcdefgh", "abcdefghi", "0123456789abcdef", "0123456789abcdefg",
         "The quick brown fox jumps over.", "The quick brown fox jumps over..", "x" * 32 + "y",
         "ab" * 32, "ab" * 32 + "c", "The quick brown fox jumps over the lazy dog. " * 2 + "0123456789",
         "z" * 127, "z" * 128, "q" * 129, "r" * 192, "s" * 255 + "t", "café", "日本語のテキスト", "-7", "123456789"]
SHORT_TEXTS = ["", "a", "abcdefgh", "0123456789abcdefg", "z" * 128, "café"]
# Keras's key for salt=133, a pair, the SipHash paper's key (k0 = bytes 0..7 little-endian),
# and a negative int64 (TF reinterprets the key's int64 as u64).
KEYS = [([133, 133], TEXTS), ([133, 137], TEXTS), ([0x0706050403020100, 0x0F0E0D0C0B0A0908], SHORT_TEXTS),
        ([-1, 1], SHORT_TEXTS)]
# The buckets written to the file (every one in BUCKETS is checked here).
KEPT_BUCKETS = [5, 1000003, 2**31 - 1]


def full_strong(text, key):
    buckets = {n: strong_bucket(text, n, key) for n in BUCKETS}
    cands = [buckets[2**62] + k * 2**62 for k in range(4)]
    cands = [c for c in cands if all(c % n == b for n, b in buckets.items())]
    assert len(cands) == 1, (text, key, cands)
    return cands[0], buckets


fast = []
for t in TEXTS:
    fp = fingerprint64(t)
    buckets = {n: fast_bucket(t, n) for n in BUCKETS}
    assert all(fp % n == b for n, b in buckets.items()), t
    fast.append({"text": t, "bytes": len(t.encode("utf-8")), "fingerprint64": str(fp),
                 "buckets": {str(n): str(buckets[n]) for n in KEPT_BUCKETS}})
strong = []
for key, texts in KEYS:
    for t in texts:
        h, buckets = full_strong(t, key)
        strong.append({"text": t, "key": [str(k % U64) for k in key], "hash": str(h),
                       "buckets": {str(n): str(buckets[n]) for n in KEPT_BUCKETS}})

doc = {"keras_version": keras.__version__, "tensorflow_version": tf.__version__,
       "string_lookup": string_lookup, "integer_lookup": integer_lookup, "hashing": hashing,
       "hash_functions": {"fast": fast, "strong": strong}}


def dump(x, indent=0):
    """JSON with one line per innermost list or short object, to diff well and stay small."""
    flat = json.dumps(x, ensure_ascii=False)
    nested = isinstance(x, dict) or (isinstance(x, list) and any(isinstance(v, (list, dict)) for v in x))
    if not nested or len(flat) + indent <= 100:
        return flat
    pad = " " * (indent + 1)
    if isinstance(x, dict):
        items = [f"{pad}{json.dumps(k)}: {dump(v, indent + 1)}" for k, v in x.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + dump(v, indent + 1) for v in x]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


path = os.path.join(FIXTURES, "lookup_layers.json")
with open(path, "w", encoding="utf-8") as f:
    f.write(dump(doc) + "\n")
back, want = json.load(open(path, encoding="utf-8")), json.loads(json.dumps(doc))
assert back == want
print("keras", keras.__version__, "tensorflow", tf.__version__, "bytes", os.path.getsize(path))
for e in string_lookup + integer_lookup:
    print(e["name"], e["vocabulary"])
