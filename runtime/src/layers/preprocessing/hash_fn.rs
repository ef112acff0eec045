//! The hash functions of Keras's `Hashing` layer (and of `StringLookup`'s OOV buckets when
//! `num_oov_indices > 1`), which are TensorFlow's string hash ops:
//!
//! - no salt: `tf.strings.to_hash_bucket_fast(s, n)` = `Fingerprint64(s) % n`, where TF's
//!   `Fingerprint64` is FarmHash's `Fingerprint64` (`farmhashna::Hash64`);
//! - a salt: `tf.strings.to_hash_bucket_strong(s, n, key)` = `SipHash-2-4(key, s) % n`, with
//!   `key[0]`, `key[1]` as SipHash's `k0`, `k1` (the key's first and second 8 little-endian
//!   bytes).
//!
//! Both hash a string's UTF-8 bytes; Keras turns ints into their decimal text (`tf.as_string`)
//! first. Checked bit for bit against TensorFlow 2.21 in `tests/fixtures/lookup_layers.json`
//! (made by `scripts/keras_reference/lookup_layers.py`).

use siphasher::sip::SipHasher24;

/// Keras's `Hashing` without salt: TensorFlow's `to_hash_bucket_fast`, FarmHash's Fingerprint64.
/// The bucket is `fingerprint64(bytes) % num_buckets`.
pub(crate) fn fingerprint64(bytes: &[u8]) -> u64 {
    farmhash2::fingerprint64(bytes)
}

/// Keras's `Hashing` with a salt: TensorFlow's `to_hash_bucket_strong`, SipHash-2-4 keyed by
/// `key` (`key[0]` is SipHash's `k0`). The bucket is `siphash(key, bytes) % num_buckets`.
pub(crate) fn siphash(key: [u64; 2], bytes: &[u8]) -> u64 {
    SipHasher24::new_with_keys(key[0], key[1]).hash(bytes)
}

/// A Keras `salt` argument (`Hashing`, and `StringLookup`/`IntegerLookup` with
/// `num_oov_indices > 1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Salt {
    /// `salt=s`: Keras makes the key `[s, s]`.
    Int(i64),
    /// `salt=[a, b]`: the key `[a, b]`.
    Pair(i64, i64),
}

/// The key Keras makes from a salt: an int `s` gives `[s, s]`, a pair `[a, b]` gives `[a, b]`.
/// TensorFlow takes the key as int64s and reads their bits as u64 (so `-1` is `u64::MAX`).
pub(crate) fn salt_key(salt: Salt) -> [u64; 2] {
    let (a, b) = match salt {
        Salt::Int(s) => (s, s),
        Salt::Pair(a, b) => (a, b),
    };
    [a as u64, b as u64]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn fixture() -> Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/lookup_layers.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn u64_of(v: &Value) -> u64 {
        v.as_str().unwrap().parse().unwrap()
    }

    /// The fixture's `buckets` (`{"n": "hash % n"}`) agree with `hash`.
    fn check_buckets(entry: &Value, hash: u64) {
        for (n, bucket) in entry["buckets"].as_object().unwrap() {
            let n: u64 = n.parse().unwrap();
            assert_eq!(hash % n, u64_of(bucket), "{entry} mod {n}");
        }
    }

    #[test]
    fn fingerprint64_matches_tensorflow() {
        let fixture = fixture();
        let fast = fixture["hash_functions"]["fast"].as_array().unwrap();
        assert!(fast.len() >= 12);
        for entry in fast {
            let text = entry["text"].as_str().unwrap();
            let hash = fingerprint64(text.as_bytes());
            assert_eq!(hash, u64_of(&entry["fingerprint64"]), "{} bytes: {text:?}", text.len());
            check_buckets(entry, hash);
        }
    }

    #[test]
    fn siphash_matches_tensorflow() {
        let fixture = fixture();
        let strong = fixture["hash_functions"]["strong"].as_array().unwrap();
        assert!(strong.len() >= 12);
        for entry in strong {
            let text = entry["text"].as_str().unwrap();
            let key: Vec<u64> = entry["key"].as_array().unwrap().iter().map(u64_of).collect();
            let hash = siphash([key[0], key[1]], text.as_bytes());
            assert_eq!(hash, u64_of(&entry["hash"]), "{} bytes: {text:?}, key {key:?}", text.len());
            check_buckets(entry, hash);
        }
    }

    #[test]
    fn salt_key_is_keras_key() {
        assert_eq!(salt_key(Salt::Int(133)), [133, 133]);
        assert_eq!(salt_key(Salt::Pair(133, 137)), [133, 137]);
        assert_eq!(salt_key(Salt::Pair(-1, 1)), [u64::MAX, 1]);
        for entry in fixture()["hashing"].as_array().unwrap() {
            let salt = &entry["args"]["salt"];
            let key = match salt {
                Value::Null => continue,
                Value::Number(s) => salt_key(Salt::Int(s.as_i64().unwrap())),
                Value::Array(p) => salt_key(Salt::Pair(p[0].as_i64().unwrap(), p[1].as_i64().unwrap())),
                _ => panic!("salt {salt}"),
            };
            let want: Vec<u64> = entry["key"].as_array().unwrap().iter().map(u64_of).collect();
            assert_eq!(key.to_vec(), want, "{}", entry["name"]);
        }
    }

    /// Keras's `Hashing` in `output_mode="int"`, rebuilt from the two hashes: ints hashed as
    /// their decimal text, `mask_value` to bin 0 and the rest to `1 + hash % (num_bins - 1)`.
    #[test]
    fn hashing_layer_bins() {
        let mut checked = 0;
        for entry in fixture()["hashing"].as_array().unwrap() {
            let args = &entry["args"];
            if args["output_mode"].as_str().unwrap_or("int") != "int" {
                continue;
            }
            let num_bins = args["num_bins"].as_u64().unwrap();
            let key = entry["key"].as_array().map(|k| [u64_of(&k[0]), u64_of(&k[1])]);
            let mask = args.get("mask_value").filter(|m| !m.is_null() && num_bins > 1);
            let bins = if mask.is_some() { num_bins - 1 } else { num_bins };
            let inputs = entry["inputs"].as_array().unwrap();
            let outputs = entry["outputs"].as_array().unwrap();
            for (input, output) in inputs.iter().zip(outputs) {
                let value = &input[0];
                let text = match value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.as_i64().unwrap().to_string(),
                    _ => panic!("input {value}"),
                };
                let hash = match key {
                    Some(key) => siphash(key, text.as_bytes()),
                    None => fingerprint64(text.as_bytes()),
                };
                let bin = match mask {
                    Some(m) if m == value => 0,
                    Some(_) => 1 + hash % bins,
                    None => hash % bins,
                };
                assert_eq!(bin, output[0].as_u64().unwrap(), "{} on {value}", entry["name"]);
                checked += 1;
            }
        }
        assert!(checked >= 50, "{checked}");
    }
}
