//! Merge layers (Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum, Dot) against
//! Keras and against themselves.
//!
//! - Keras: `tests/fixtures/merge_layers.npz`, made by `scripts/keras_reference/merge_layers.py`
//!   (Keras 3.15.1, JAX): every case's output, output mask (or none) and the gradient of
//!   `Σ r ⊙ y` with respect to every input, matched to 1e-5. Each case runs as a model runs it,
//!   through a workspace ([`Node`]), so the mask comes out of `MaskRule::ProduceIf`.
//! - Finite differences on every input's gradient, for every case's layer, dims and masks, on
//!   values spaced apart so that no step crosses a tie of `Maximum` / `Minimum`.
//! - Wrong inputs (their number, runtime dims that do not fit, buffer lengths) are errors that
//!   name the values, never panics.

use std::path::Path;

use shaped_runtime::data::SplitMix64;
use shaped_runtime::io::Npz;
use shaped_runtime::layers::{Concatenate, Dot, Elementwise, ElementwiseOp, Input, Mode, Stage};
use shaped_runtime::shape::Dims;
use shaped_runtime::testing::{
    check_gradients, first_difference, forward_many, FiniteDifferences, Node, NodeProbe,
};

/// One case of the fixture: its name, the layer, and the base inputs it reads (`in/<name>`).
struct Case {
    name: &'static str,
    layer: fn() -> Box<dyn Stage>,
    inputs: &'static [&'static str],
}

fn add() -> Box<dyn Stage> {
    Box::new(Elementwise::new(ElementwiseOp::Add))
}
fn subtract() -> Box<dyn Stage> {
    Box::new(Elementwise::new(ElementwiseOp::Subtract))
}
fn multiply() -> Box<dyn Stage> {
    Box::new(Elementwise::new(ElementwiseOp::Multiply))
}
fn average() -> Box<dyn Stage> {
    Box::new(Elementwise::new(ElementwiseOp::Average))
}
fn maximum() -> Box<dyn Stage> {
    Box::new(Elementwise::new(ElementwiseOp::Maximum))
}
fn minimum() -> Box<dyn Stage> {
    Box::new(Elementwise::new(ElementwiseOp::Minimum))
}

/// The cases of `merge_layers.py`'s `CASES`, in its order (the fixture packs them in order).
const CASES: &[Case] = &[
    Case { name: "add_ab", layer: add, inputs: &["a", "b"] },
    Case { name: "subtract_ab", layer: subtract, inputs: &["a", "b"] },
    Case { name: "multiply_ab", layer: multiply, inputs: &["a", "b"] },
    Case { name: "average_ab", layer: average, inputs: &["a", "b"] },
    Case { name: "maximum_ab", layer: maximum, inputs: &["a", "b"] },
    Case { name: "minimum_ab", layer: minimum, inputs: &["a", "b"] },
    Case { name: "add_abc", layer: add, inputs: &["a", "b", "c"] },
    Case { name: "subtract_ac", layer: subtract, inputs: &["a", "c"] },
    Case { name: "multiply_abc", layer: multiply, inputs: &["a", "b", "c"] },
    Case { name: "average_abc", layer: average, inputs: &["a", "b", "c"] },
    Case { name: "maximum_cab", layer: maximum, inputs: &["c", "a", "b"] },
    Case { name: "minimum_abc", layer: minimum, inputs: &["a", "b", "c"] },
    Case { name: "maximum_abd", layer: maximum, inputs: &["a", "b", "d"] },
    Case { name: "minimum_dba", layer: minimum, inputs: &["d", "b", "a"] },
    Case { name: "multiply_abd", layer: multiply, inputs: &["a", "b", "d"] },
    Case { name: "multiply_a", layer: multiply, inputs: &["a"] },
    Case { name: "maximum_a", layer: maximum, inputs: &["a"] },
    Case { name: "maximum_ties", layer: maximum, inputs: &["p", "q", "s"] },
    Case { name: "minimum_ties", layer: minimum, inputs: &["p", "q", "s"] },
    Case { name: "add_row", layer: add, inputs: &["c", "row"] },
    Case { name: "subtract_col", layer: subtract, inputs: &["c", "col"] },
    Case { name: "multiply_vec", layer: multiply, inputs: &["vec", "c"] },
    Case { name: "average_row_col", layer: average, inputs: &["row", "col", "c"] },
    Case { name: "maximum_a_row", layer: maximum, inputs: &["a", "row"] },
    Case { name: "concatenate_ab", layer: || Box::new(Concatenate::default()), inputs: &["a", "b"] },
    Case { name: "concatenate_abc", layer: || Box::new(Concatenate::new(-1)), inputs: &["a", "b", "c"] },
    Case { name: "concatenate_cg", layer: || Box::new(Concatenate::new(2)), inputs: &["c", "g"] },
    Case { name: "concatenate_ae_time", layer: || Box::new(Concatenate::new(1)), inputs: &["a", "e"] },
    Case { name: "concatenate_ce_time", layer: || Box::new(Concatenate::new(-2)), inputs: &["c", "e"] },
    Case { name: "concatenate_dea_time", layer: || Box::new(Concatenate::new(1)), inputs: &["d", "e", "a"] },
    Case { name: "dot_ab", layer: || Box::new(Dot::new([2, 2], false)), inputs: &["a", "b"] },
    Case { name: "dot_ab_normalize", layer: || Box::new(Dot::new([-1, -1], true)), inputs: &["a", "b"] },
    Case { name: "dot_cg_time", layer: || Box::new(Dot::new([1, 1], false)), inputs: &["c", "g"] },
    Case { name: "dot_vec", layer: || Box::new(Dot::new([1, 1], false)), inputs: &["vec", "vec"] },
    Case { name: "dot_c_vec", layer: || Box::new(Dot::new([2, 1], false)), inputs: &["c", "vec"] },
    Case { name: "dot_vec_c_normalize", layer: || Box::new(Dot::new([1, 2], true)), inputs: &["vec", "c"] },
];

fn fixture() -> Npz {
    Npz::open(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/merge_layers.npz")).unwrap()
}

fn array(npz: &Npz, key: &str) -> Vec<f32> {
    npz.get(key).unwrap_or_else(|e| panic!("{e}")).data
}

fn dims(d: &[usize]) -> Dims {
    Dims::new(d).unwrap()
}

/// A base input of the fixture: its values, per-sample dims, batch and step mask.
struct Base {
    data: Vec<f32>,
    dims: Dims,
    batch: usize,
    mask: Option<Vec<f32>>,
}

fn base(npz: &Npz, name: &str) -> Base {
    let x = npz.get(&format!("in/{name}")).unwrap_or_else(|e| panic!("{e}"));
    let mask_key = format!("in/{name}_mask");
    let mask = npz.contains(&mask_key).then(|| array(npz, &mask_key));
    Base { data: x.data, dims: dims(&x.shape[1..]), batch: x.shape[0], mask }
}

/// `r[i] = ((5 i + 3) mod 17 − 8) / 8`, the probe of `merge_layers.py`.
fn probe(n: usize) -> Vec<f32> {
    (0..n).map(|i| ((5 * i + 3) % 17) as f32 / 8.0 - 1.0).collect()
}

/// Panics naming the case and what differs.
fn close(case: &str, what: &str, actual: &[f32], expected: &[f32]) {
    if let Some(diff) = first_difference(actual, expected, 1e-5) {
        panic!("{case}: {what}: {diff}");
    }
}

/// What a case produced: output dims, output, mask, every input's gradient concatenated.
struct Run {
    dims: Dims,
    output: Vec<f32>,
    mask: Option<Vec<f32>>,
    grads: Vec<f32>,
}

fn run_case<const N: usize>(case: &Case, inputs: &[Base]) -> Run {
    let mut node = Node::<N>::new(
        (case.layer)(),
        std::array::from_fn(|j| inputs[j].dims),
        std::array::from_fn(|j| inputs[j].mask.as_deref()),
        inputs[0].batch,
    );
    let xs: [&[f32]; N] = std::array::from_fn(|j| &inputs[j].data[..]);
    let output = node.forward(xs, Mode::Training).unwrap_or_else(|e| panic!("{}: {e}", case.name)).to_vec();
    let mask = node.output_mask().map(<[f32]>::to_vec);
    let grads = node.backward(&probe(output.len())).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    Run { dims: node.output_dims(), output, mask, grads: grads.concat() }
}

fn run(case: &Case, inputs: &[Base]) -> Run {
    match inputs.len() {
        1 => run_case::<1>(case, inputs),
        2 => run_case::<2>(case, inputs),
        3 => run_case::<3>(case, inputs),
        n => panic!("{}: {n} inputs", case.name),
    }
}

#[test]
fn every_merge_matches_keras() {
    let npz = fixture();
    assert_eq!(array(&npz, "case_count"), [CASES.len() as f32], "the fixture's cases and CASES differ");
    let (out_dims, outputs, has_mask, masks, grads) = (
        array(&npz, "output_dims"),
        array(&npz, "outputs"),
        array(&npz, "has_mask"),
        array(&npz, "masks"),
        array(&npz, "grads"),
    );
    let (mut at_out, mut at_mask, mut at_grad) = (0, 0, 0);
    for (i, case) in CASES.iter().enumerate() {
        let inputs: Vec<Base> = case.inputs.iter().map(|name| base(&npz, name)).collect();
        let got = run(case, &inputs);
        let expected_dims: Vec<usize> =
            out_dims[2 * i..2 * i + 2].iter().filter(|&&d| d >= 0.0).map(|&d| d as usize).collect();
        assert_eq!(got.dims.as_slice(), &expected_dims[..], "{}: output dims", case.name);
        let n = got.output.len();
        close(case.name, "output", &got.output, &outputs[at_out..at_out + n]);
        at_out += n;
        if has_mask[i] == 1.0 {
            let n = inputs[0].batch * got.dims.as_slice()[0];
            let mask =
                got.mask.unwrap_or_else(|| panic!("{}: Keras has an output mask, shaped none", case.name));
            assert_eq!(mask, masks[at_mask..at_mask + n], "{}: output mask", case.name);
            at_mask += n;
        } else {
            assert_eq!(got.mask, None, "{}: Keras has no output mask", case.name);
        }
        let n = got.grads.len();
        close(case.name, "input gradients", &got.grads, &grads[at_grad..at_grad + n]);
        at_grad += n;
    }
    assert_eq!(
        (at_out, at_mask, at_grad),
        (outputs.len(), masks.len(), grads.len()),
        "unread fixture values"
    );
}

/// `n` values in [−2, 2) spaced `4 / n` apart, in random order: no two within a finite
/// difference step of each other.
fn spaced(rng: &mut SplitMix64, n: usize) -> Vec<f32> {
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
    }
    order.iter().map(|&k| -2.0 + 4.0 * (k as f32 + 0.5) / n as f32).collect()
}

fn check_case<const N: usize>(case: &Case, inputs: &[Base], seed: u64) {
    let node = Node::<N>::new(
        (case.layer)(),
        std::array::from_fn(|j| inputs[j].dims),
        std::array::from_fn(|j| inputs[j].mask.as_deref()),
        inputs[0].batch,
    );
    let total: usize = inputs.iter().map(|b| b.data.len()).sum();
    let x = spaced(&mut SplitMix64::new(seed), total);
    let mut probe = NodeProbe::new(node, &x, seed + 1);
    check_gradients(&mut probe, &x, &FiniteDifferences { label: case.name, ..Default::default() });
}

#[test]
fn every_merge_gradient_matches_finite_differences() {
    let npz = fixture();
    for (i, case) in CASES.iter().enumerate() {
        let inputs: Vec<Base> = case.inputs.iter().map(|name| base(&npz, name)).collect();
        let seed = 100 + i as u64;
        match inputs.len() {
            1 => check_case::<1>(case, &inputs, seed),
            2 => check_case::<2>(case, &inputs, seed),
            3 => check_case::<3>(case, &inputs, seed),
            n => panic!("{}: {n} inputs", case.name),
        }
    }
}

#[test]
fn longer_sequences_and_more_inputs_match_finite_differences() {
    // Four masked sequences of 5 steps and 3 features, ragged differently, into each merge that
    // takes four; and Dot over the time axis of two of them.
    let lengths = [[5, 2, 4], [3, 5, 1], [1, 4, 5], [5, 5, 2]];
    let inputs: Vec<Base> = lengths
        .iter()
        .map(|lens| Base {
            data: vec![0.0; 3 * 5 * 3],
            dims: dims(&[5, 3]),
            batch: 3,
            mask: Some(
                lens.iter().flat_map(|&n| (0..5).map(move |t| if t < n { 1.0 } else { 0.0 })).collect(),
            ),
        })
        .collect();
    for op in ElementwiseOp::ALL.iter().filter(|op| op.max_inputs() >= 4) {
        let case = Case {
            name: op.keras_name(),
            layer: match op {
                ElementwiseOp::Add => add,
                ElementwiseOp::Multiply => multiply,
                ElementwiseOp::Average => average,
                ElementwiseOp::Maximum => maximum,
                _ => minimum,
            },
            inputs: &[],
        };
        check_case::<4>(&case, &inputs, 40);
    }
    let case = Case { name: "Concatenate(1) of four", layer: || Box::new(Concatenate::new(1)), inputs: &[] };
    check_case::<4>(&case, &inputs, 41);
    let case = Case { name: "Dot(1) normalized", layer: || Box::new(Dot::new([1, 1], true)), inputs: &[] };
    check_case::<2>(&case, &inputs[..2], 42);
}

#[test]
fn wrong_numbers_of_inputs_are_errors() {
    let d = dims(&[2, 3]);
    let sub = Elementwise::new(ElementwiseOp::Subtract);
    assert_eq!(
        sub.output_dims(&[d, d, d]).unwrap_err().to_string(),
        "layer `Subtract` takes exactly 2 inputs, but is given 3"
    );
    assert_eq!(
        sub.output_dims(&[d]).unwrap_err().to_string(),
        "layer `Subtract` takes exactly 2 inputs, but is given 1"
    );
    assert_eq!(
        Dot::new([1, 1], false).output_dims(&[d, d, d]).unwrap_err().to_string(),
        "layer `Dot` takes exactly 2 inputs, but is given 3"
    );
    for stage in [&Elementwise::new(ElementwiseOp::Maximum) as &dyn Stage, &Concatenate::default()] {
        let err = stage.output_dims(&[]).unwrap_err().to_string();
        assert!(err.ends_with("takes at least 1 input, but is given 0"), "{err}");
    }
    // Through a workspace, as a model runs it: the run fails, nothing panics.
    let x = [0.0; 12];
    let mut node = Node::<3>::new(Box::new(Elementwise::new(ElementwiseOp::Subtract)), [d; 3], [None; 3], 2);
    let err = node.forward([&x; 3], Mode::Inference).unwrap_err().to_string();
    assert_eq!(err, "layer `Subtract` takes exactly 2 inputs, but is given 3");
}

#[test]
fn runtime_dims_that_do_not_fit_are_errors_naming_them() {
    // Sequences of 4 and 3 steps: fine along the time axis, not along the features.
    let (a, b) = ([0.0; 2 * 4 * 3], [0.0; 2 * 3 * 3]);
    let mut node =
        Node::<2>::new(Box::new(Concatenate::new(-1)), [dims(&[4, 3]), dims(&[3, 3])], [None; 2], 2);
    assert_eq!(
        node.forward([&a, &b], Mode::Inference).unwrap_err().to_string(),
        "layer `Concatenate` needs equal sizes on every axis but the concatenation axis (-1), but input #1 \
         has 3 on axis 1 where input #0 has 4; concatenate along axis 1, or make the sizes agree"
    );
    let mut node =
        Node::<2>::new(Box::new(Concatenate::new(1)), [dims(&[4, 3]), dims(&[3, 3])], [None; 2], 2);
    assert_eq!(node.forward([&a, &b], Mode::Inference).unwrap().len(), 2 * 7 * 3);
    let mut node = Node::<2>::new(
        Box::new(Elementwise::new(ElementwiseOp::Add)),
        [dims(&[4, 3]), dims(&[3, 3])],
        [None; 2],
        2,
    );
    assert_eq!(
        node.forward([&a, &b], Mode::Inference).unwrap_err().to_string(),
        "layer `Add` needs sizes that are equal or 1 on each axis, but input #1 has 3 on axis 1 where the inputs before it have 4"
    );
    let mut node =
        Node::<2>::new(Box::new(Dot::new([1, 1], false)), [dims(&[4, 3]), dims(&[3, 3])], [None; 2], 2);
    assert_eq!(
        node.forward([&a, &b], Mode::Inference).unwrap_err().to_string(),
        "layer `Dot` needs equal sizes on its dot axes (1, 1), but input #0 has 4 on axis 1 and input #1 has 3 on axis 1"
    );
    // Buffers of the wrong length, given directly: errors with both lengths.
    let inputs = [Input::new(&a, dims(&[4, 3])), Input::new(&a[..20], dims(&[4, 3]))];
    let mut y = [0.0; 24];
    let err = forward_many(&mut Elementwise::new(ElementwiseOp::Add), &inputs, 2, &mut y, Mode::Inference);
    assert_eq!(
        err.unwrap_err().to_string(),
        "`Add` input #1 (2 samples of [4, 3]) and its values must have the same length, but have 24 and 20"
    );
    let mask = [1.0; 5];
    let inputs = [Input::new(&a, dims(&[4, 3])).with_mask(Some(&mask)), Input::new(&a, dims(&[4, 3]))];
    let err = forward_many(&mut Concatenate::new(-1), &inputs, 2, &mut [0.0; 48], Mode::Inference);
    assert_eq!(
        err.unwrap_err().to_string(),
        "`Concatenate` input #0 (2 samples of 4 steps) and its mask must have the same length, but have 8 and 5"
    );
}
