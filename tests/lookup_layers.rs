//! `StringLookup`, `IntegerLookup` and `Hashing` against Keras 3.15.1 on TensorFlow 2.21
//! (`scripts/keras_reference/lookup_layers.py` → `tests/fixtures/lookup_layers.json`): after
//! `adapt` on the same data (or given the same vocabulary), the same vocabulary in the same
//! order and the same outputs, exactly — indices, OOV buckets, mask handling, one-hot,
//! multi-hot and count encodings, and every hashing case on non-negative inputs.
//!
//! Where shaped departs, the test says so: Keras's `max_tokens` keeps the most frequent tokens
//! and drops the rest silently; shaped's `adapt` refuses data with more distinct tokens than
//! fit, naming both counts. The Keras cases without `max_tokens` run with the width Keras gave
//! (shaped needs it at compile time). StringLookup's `salt` and IntegerLookup's
//! `oov_method = "farmhash"` are not offered, so their cases are skipped.

use serde_json::Value;
use shaped::layers::{
    Adapt, EncodingMode, Forward, Hashing, HashingMask, Input, IntegerLookup, LookupOptions, Mode, Salt,
    Stage, StringLookup,
};
use shaped::shape::Dims;
use shaped::tensor::TextBuffer;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lookup_layers.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("the fixture")).expect("JSON")
}

fn mode(args: &Value) -> Option<EncodingMode> {
    match args["output_mode"].as_str() {
        Some("one_hot") => Some(EncodingMode::OneHot),
        Some("multi_hot") => Some(EncodingMode::MultiHot),
        Some("count") => Some(EncodingMode::Count),
        _ => None,
    }
}

/// The case's expected outputs, flat, and the width of one sample's output.
fn expected(case: &Value) -> (Vec<f32>, usize) {
    let rows = case["outputs"].as_array().unwrap();
    let width = rows[0].as_array().map_or(1, Vec::len);
    let flat =
        rows.iter().flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32)).collect();
    (flat, width)
}

/// The options of a case: Keras's arguments, with `max_tokens` the width Keras ended with
/// when the case gives none.
fn options<T>(case: &Value, token: impl Fn(&Value) -> Option<T>) -> LookupOptions<T> {
    let args = &case["args"];
    let output_mode = mode(args);
    let (_, width) = expected(case);
    let keras_size = case["vocabulary"].as_array().unwrap().len();
    let max_tokens = match args["max_tokens"].as_u64() {
        Some(n) => Some(n as usize),
        None if case["vocabulary_arg"].is_array() => None,
        None => Some(if output_mode.is_some() { width } else { keras_size }),
    };
    LookupOptions {
        max_tokens,
        num_oov_indices: args["num_oov_indices"].as_u64().unwrap_or(1) as usize,
        mask_token: token(&case["config"]["mask_token"]),
        oov_token: token(&case["config"]["oov_token"]),
        vocabulary: case["vocabulary_arg"].as_array().map(|v| v.iter().filter_map(&token).collect()),
        output_mode,
    }
}

/// The tokens Keras's `get_vocabulary()` lists after the special ones.
fn learned<T>(case: &Value, token: impl Fn(&Value) -> Option<T>, specials: usize) -> Vec<T> {
    case["vocabulary"].as_array().unwrap()[specials..].iter().filter_map(token).collect()
}

fn strings(values: &Value) -> Vec<String> {
    values
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()))
        .collect()
}

fn ints(values: &Value) -> Vec<u32> {
    values
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32))
        .collect()
}

fn text_token(v: &Value) -> Option<String> {
    v.as_str().map(String::from)
}

fn int_token(v: &Value) -> Option<u32> {
    v.as_u64().map(|n| n as u32)
}

/// Runs `stage` on `input` (`batch` samples) and returns its output.
fn run(stage: &mut dyn Stage, input: Input<'_>, batch: usize) -> Vec<f32> {
    let dims = stage.output_dims(&[input.dims]).unwrap();
    let mut y = vec![f32::NAN; batch * dims.numel()];
    stage.forward(Forward { inputs: &[input], batch, mode: Mode::Inference }, &mut y).unwrap();
    y
}

/// Whether Keras kept fewer tokens than the data holds (its `max_tokens` truncation).
fn truncated(case: &Value, specials: usize, distinct: usize) -> bool {
    case["adapt"].is_array() && case["vocabulary"].as_array().unwrap().len() - specials < distinct
}

#[test]
fn string_lookup_matches_keras() {
    let fixture = fixture();
    let mut checked = 0;
    for case in fixture["string_lookup"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        if !case["config"]["salt"].is_null() {
            continue;
        }
        let options = options(case, text_token);
        let specials = usize::from(options.mask_token.is_some() && options.output_mode.is_none())
            + options.num_oov_indices;
        let mut layer = StringLookup::new(options);
        if let Some(data) = case["adapt"].as_array() {
            let data: Vec<String> = data.iter().map(|v| v.as_str().unwrap().to_string()).collect();
            let mut buffer = TextBuffer::default();
            data.iter().for_each(|s| buffer.push(Some(s)));
            let mut distinct: Vec<&String> = data.iter().filter(|s| !s.is_empty() && *s != "[UNK]").collect();
            distinct.sort();
            distinct.dedup();
            Adapt::begin(&mut layer);
            layer.update(Input::text(buffer.column(), Dims::new(&[1]).unwrap()), data.len()).unwrap();
            if truncated(case, specials, distinct.len()) {
                let e = layer.finish().unwrap_err().to_string();
                assert!(e.contains(&format!("{} distinct tokens", distinct.len())), "{name}: {e}");
                checked += 1;
                continue;
            }
            layer.finish().unwrap();
        }
        assert_eq!(layer.vocabulary(), learned(case, text_token, specials), "{name}: the vocabulary");
        let inputs = strings(&case["inputs"]);
        let per_sample = case["inputs"][0].as_array().unwrap().len();
        let batch = inputs.len() / per_sample;
        let mut buffer = TextBuffer::default();
        inputs.iter().for_each(|s| buffer.push(Some(s)));
        let y = run(&mut layer, Input::text(buffer.column(), Dims::new(&[per_sample]).unwrap()), batch);
        assert_eq!(y, expected(case).0, "{name}: the outputs");
        checked += 1;
    }
    assert_eq!(checked, 16);
}

#[test]
fn integer_lookup_matches_keras() {
    let fixture = fixture();
    let mut checked = 0;
    for case in fixture["integer_lookup"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        if case["config"]["oov_method"] == "farmhash" {
            continue;
        }
        let options = options(case, int_token);
        let specials = usize::from(options.mask_token.is_some() && options.output_mode.is_none())
            + options.num_oov_indices;
        let mask = options.mask_token;
        let mut layer = IntegerLookup::new(options);
        if let Some(data) = case["adapt"].as_array() {
            let data: Vec<u32> = data.iter().map(|v| v.as_u64().unwrap() as u32).collect();
            let mut distinct: Vec<u32> = data.iter().copied().filter(|&t| Some(t) != mask).collect();
            distinct.sort();
            distinct.dedup();
            Adapt::begin(&mut layer);
            layer.update(Input::ids(&data, Dims::new(&[1]).unwrap()), data.len()).unwrap();
            if truncated(case, specials, distinct.len()) {
                let e = layer.finish().unwrap_err().to_string();
                assert!(e.contains(&format!("{} distinct tokens", distinct.len())), "{name}: {e}");
                checked += 1;
                continue;
            }
            layer.finish().unwrap();
        }
        assert_eq!(layer.vocabulary(), learned(case, int_token, specials), "{name}: the vocabulary");
        let inputs = ints(&case["inputs"]);
        let per_sample = case["inputs"][0].as_array().unwrap().len();
        let y = run(
            &mut layer,
            Input::ids(&inputs, Dims::new(&[per_sample]).unwrap()),
            inputs.len() / per_sample,
        );
        assert_eq!(y, expected(case).0, "{name}: the outputs");
        checked += 1;
    }
    assert_eq!(checked, 13);
}

#[test]
fn hashing_matches_keras() {
    let fixture = fixture();
    let mut checked = 0;
    for case in fixture["hashing"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let args = &case["args"];
        let salt = match &args["salt"] {
            Value::Array(pair) => Some(Salt::Pair(pair[0].as_i64().unwrap(), pair[1].as_i64().unwrap())),
            v => v.as_i64().map(Salt::Int),
        };
        let mask = match &args["mask_value"] {
            Value::String(s) => Some(HashingMask::Text(s.clone())),
            v => v.as_u64().map(|n| HashingMask::Integer(n as u32)),
        };
        let mut layer = Hashing::new(args["num_bins"].as_u64().unwrap() as usize, mask, salt, mode(args));
        let rows = case["inputs"].as_array().unwrap();
        let per_sample = rows[0].as_array().unwrap().len();
        let dims = Dims::new(&[per_sample]).unwrap();
        let (expected, width) = expected(case);
        if rows[0][0].is_string() {
            let mut buffer = TextBuffer::default();
            strings(&case["inputs"]).iter().for_each(|s| buffer.push(Some(s)));
            assert_eq!(run(&mut layer, Input::text(buffer.column(), dims), rows.len()), expected, "{name}");
        } else {
            // shaped's integers are u32 ids: the non-negative samples.
            let keep: Vec<usize> = (0..rows.len()).filter(|&i| rows[i][0].as_i64().unwrap() >= 0).collect();
            let ids: Vec<u32> = keep.iter().map(|&i| rows[i][0].as_u64().unwrap() as u32).collect();
            let want: Vec<f32> =
                keep.iter().flat_map(|&i| expected[i * width..(i + 1) * width].to_vec()).collect();
            assert_eq!(run(&mut layer, Input::ids(&ids, dims), ids.len()), want, "{name}");
        }
        checked += 1;
    }
    assert_eq!(checked, 12);
}
