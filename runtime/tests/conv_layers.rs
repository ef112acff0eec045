//! Convolution layers (Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D)
//! against Keras and against themselves.
//!
//! - Keras: `tests/fixtures/conv_layers.npz`, made by `scripts/keras_reference/conv_layers.py`
//!   (Keras 3.15.1, JAX): every case's output and the gradients of `Σ r ⊙ y` with respect to the
//!   input and every weight, matched to 1e-5, with the weights loaded through
//!   `visit_params_mut` in Keras order.
//! - Finite differences on the input and every weight, for every layer type and several
//!   windows, with and without a mask.
//! - Padded versus alone: a batch of three images of different sizes, padded with garbage to the
//!   largest and masked, gives at each sample's real positions what the image gives alone,
//!   zeros elsewhere, the mask of its own output rectangle, input gradients equal to the alone
//!   ones (zero at padding) and weight gradients equal to the sum of the alone ones.
//! - Wrong inputs are errors, never panics.

use std::path::Path;

use shaped_runtime::data::SplitMix64;
use shaped_runtime::io::Npz;
use shaped_runtime::layers::{
    Activation, Conv, ConvOptions, ConvTranspose, DepthwiseConv, Input, Mode, SeparableConv, Stage,
};
use shaped_runtime::rules::{Padding, Window};
use shaped_runtime::shape::Dims;
use shaped_runtime::testing::{
    backward_one, check_gradients, first_difference, forward_one, Chain, FiniteDifferences, Probe,
};

fn dims(d: &[usize]) -> Dims {
    Dims::new(d).unwrap()
}

fn window(
    axes: usize,
    size: [usize; 2],
    strides: [usize; 2],
    dilation: [usize; 2],
    padding: Padding,
) -> Window {
    Window { axes, size, strides, dilation, padding }
}

fn w1(k: usize, s: usize, d: usize, padding: Padding) -> Window {
    window(1, [k, 1], [s, 1], [d, 1], padding)
}

fn w2(k: [usize; 2], s: usize, d: usize, padding: Padding) -> Window {
    window(2, k, [s, s], [d, d], padding)
}

fn rng() -> SplitMix64 {
    SplitMix64::new(7)
}

fn conv(
    c: usize,
    window: Window,
    filters: usize,
    groups: usize,
    activation: Activation,
    use_bias: bool,
) -> Box<dyn Stage> {
    Box::new(Conv::new(c, ConvOptions { window, filters, groups, activation, use_bias }, &mut rng()))
}

fn transpose(c: usize, window: Window, filters: usize, activation: Activation) -> Box<dyn Stage> {
    let options = ConvOptions { window, filters, groups: 1, activation, use_bias: true };
    Box::new(ConvTranspose::new(c, options, &mut rng()))
}

fn depthwise(c: usize, window: Window, m: usize, activation: Activation) -> Box<dyn Stage> {
    Box::new(DepthwiseConv::new(c, window, m, activation, true, &mut rng()))
}

fn separable(c: usize, window: Window, m: usize, filters: usize, activation: Activation) -> Box<dyn Stage> {
    Box::new(SeparableConv::new(c, window, m, filters, activation, true, &mut rng()))
}

use Activation::{Linear, Relu, Sigmoid, Softmax, Tanh};
use Padding::{Causal, Same, Valid};

/// One case of the fixture: its name, base input and layer.
struct Case {
    name: &'static str,
    base: &'static str,
    layer: fn() -> Box<dyn Stage>,
}

/// The cases of `conv_layers.py`'s `CASES`, in its order (the fixture packs them in order).
const CASES: &[Case] = &[
    Case { name: "conv1d_valid", base: "seq", layer: || conv(3, w1(3, 1, 1, Valid), 4, 1, Linear, true) },
    Case { name: "conv1d_same_k4", base: "seq", layer: || conv(3, w1(4, 1, 1, Same), 4, 1, Linear, true) },
    Case { name: "conv1d_causal", base: "seq", layer: || conv(3, w1(3, 1, 1, Causal), 4, 1, Linear, true) },
    Case { name: "conv1d_dilated", base: "seq", layer: || conv(3, w1(3, 1, 2, Causal), 2, 1, Linear, true) },
    Case { name: "conv1d_strided", base: "seq", layer: || conv(3, w1(3, 2, 1, Valid), 3, 1, Linear, true) },
    Case {
        name: "conv1d_strided_same",
        base: "seq",
        layer: || conv(3, w1(2, 2, 1, Same), 3, 1, Linear, true),
    },
    Case {
        name: "conv1d_dilated_valid",
        base: "seq",
        layer: || conv(3, w1(3, 1, 2, Valid), 2, 1, Linear, true),
    },
    Case {
        name: "conv2d_valid",
        base: "img",
        layer: || conv(4, w2([3, 3], 1, 1, Valid), 5, 1, Linear, true),
    },
    Case {
        name: "conv2d_same_relu",
        base: "img",
        layer: || conv(4, w2([3, 2], 1, 1, Same), 5, 1, Relu, true),
    },
    Case {
        name: "conv2d_same_s2",
        base: "img",
        layer: || conv(4, w2([3, 3], 2, 1, Same), 3, 1, Linear, true),
    },
    Case {
        name: "conv2d_same_s2_k4",
        base: "img",
        layer: || conv(4, w2([4, 4], 2, 1, Same), 3, 1, Linear, true),
    },
    Case {
        name: "conv2d_valid_s2",
        base: "img",
        layer: || conv(4, w2([3, 3], 2, 1, Valid), 3, 1, Linear, true),
    },
    Case {
        name: "conv2d_dilated",
        base: "img",
        layer: || conv(4, w2([3, 3], 1, 2, Same), 3, 1, Linear, true),
    },
    Case {
        name: "conv2d_groups",
        base: "img",
        layer: || conv(4, w2([3, 3], 1, 1, Same), 6, 2, Linear, true),
    },
    Case {
        name: "conv2d_nobias_tanh",
        base: "img",
        layer: || conv(4, w2([2, 3], 1, 1, Valid), 4, 1, Tanh, false),
    },
    Case {
        name: "conv2d_softmax",
        base: "img",
        layer: || conv(4, w2([1, 1], 1, 1, Valid), 3, 1, Softmax, true),
    },
    Case {
        name: "transpose_valid_s2",
        base: "small",
        layer: || transpose(4, w2([3, 3], 2, 1, Valid), 3, Linear),
    },
    Case {
        name: "transpose_same_s2",
        base: "small",
        layer: || transpose(4, w2([3, 3], 2, 1, Same), 3, Linear),
    },
    Case {
        name: "transpose_same_s2_k4",
        base: "small",
        layer: || transpose(4, w2([4, 4], 2, 1, Same), 2, Linear),
    },
    Case {
        name: "transpose_same_s1",
        base: "small",
        layer: || transpose(4, w2([3, 3], 1, 1, Same), 3, Sigmoid),
    },
    Case {
        name: "transpose_valid_s2_k2",
        base: "small",
        layer: || transpose(4, w2([2, 2], 2, 1, Valid), 2, Linear),
    },
    Case { name: "depthwise_same", base: "img", layer: || depthwise(4, w2([3, 3], 1, 1, Same), 2, Linear) },
    Case {
        name: "depthwise_valid_s2",
        base: "img",
        layer: || depthwise(4, w2([3, 2], 2, 1, Valid), 1, Relu),
    },
    Case {
        name: "separable_same",
        base: "img",
        layer: || separable(4, w2([3, 3], 1, 1, Same), 2, 5, Linear),
    },
    Case {
        name: "separable_s2_tanh",
        base: "img",
        layer: || separable(4, w2([3, 3], 2, 1, Valid), 1, 3, Tanh),
    },
];

fn fixture() -> Npz {
    Npz::open(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/conv_layers.npz")).unwrap()
}

/// `r[i] = ((5 i + 3) mod 17 − 8) / 8`, the probe of `conv_layers.py`.
fn probe(n: usize) -> Vec<f32> {
    (0..n).map(|i| ((5 * i + 3) % 17) as f32 / 8.0 - 1.0).collect()
}

/// Panics naming the case and what differs.
fn close(case: &str, what: &str, actual: &[f32], expected: &[f32], tol: f32) {
    if let Some(diff) = first_difference(actual, expected, tol) {
        panic!("{case}: {what}: {diff}");
    }
}

/// Takes the next `n` values of `data` at `*at`.
fn take<'a>(data: &'a [f32], at: &mut usize, n: usize) -> &'a [f32] {
    let s = &data[*at..*at + n];
    *at += n;
    s
}

#[test]
fn matches_keras() {
    let npz = fixture();
    let get = |k: &str| npz.get(k).unwrap_or_else(|e| panic!("{e}"));
    let count = get("case_count").data[0] as usize;
    assert_eq!(count, CASES.len(), "the fixture's cases and CASES");
    let (out_dims, outputs, sizes) = (get("output_dims"), get("outputs").data, get("weight_sizes").data);
    let (weights, grad_x, grad_w) = (get("weights").data, get("grad_inputs").data, get("grad_weights").data);
    let (mut at_y, mut at_w, mut at_gx, mut at_gw) = (0, 0, 0, 0);
    for (i, case) in CASES.iter().enumerate() {
        let x = get(&format!("in/{}", case.base));
        let (batch, in_dims) = (x.shape[0], dims(&x.shape[1..]));
        let expected_dims: Vec<usize> =
            out_dims.data[i * 3..i * 3 + 3].iter().filter(|&&d| d >= 0.0).map(|&d| d as usize).collect();
        let mut chain = Chain::new(vec![("layer", (case.layer)())]);
        let mut k = 0;
        chain.visit_params_mut(&mut |p| {
            let n = sizes[i * 3 + k] as usize;
            assert_eq!(p.data.len(), n, "{}: weight {} ({:?})", case.name, p.name, p.shape);
            p.data.copy_from_slice(take(&weights, &mut at_w, n));
            k += 1;
        });
        assert!(k == 3 || sizes[i * 3 + k] == 0.0, "{}: Keras has more weights", case.name);
        let y = chain.forward(&x.data, in_dims, batch, None, Mode::Training).unwrap().to_vec();
        assert_eq!(chain.dims(0).as_slice(), &expected_dims[..], "{}: output dims", case.name);
        close(case.name, "output", &y, take(&outputs, &mut at_y, y.len()), 1e-5);
        let dx = chain.backward(&probe(y.len())).unwrap();
        close(case.name, "dL/dx", &dx, take(&grad_x, &mut at_gx, dx.len()), 1e-5);
        let mut grads = Vec::new();
        chain.visit_params(&mut |p| grads.push((p.name.to_string(), p.grad.to_vec())));
        for (name, g) in grads {
            close(case.name, &format!("dL/d{name}"), &g, take(&grad_w, &mut at_gw, g.len()), 1e-5);
        }
    }
    assert_eq!((at_y, at_w, at_gx, at_gw), (outputs.len(), weights.len(), grad_x.len(), grad_w.len()));
}

/// Random values in (−1, 1).
fn random(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    (0..n).map(|_| 2.0 * rng.next_f32() - 1.0).collect()
}

/// Every weight (biases included) set to random values, the same for every layer built alike.
fn randomize(stage: &mut dyn Stage, seed: u64) {
    let mut s = seed;
    stage.visit_params_mut(&mut |p| {
        p.data.copy_from_slice(&random(p.data.len(), s));
        s += 1;
    });
}

fn gradient_check(
    label: &str,
    mut stage: Box<dyn Stage>,
    in_dims: &[usize],
    batch: usize,
    mask: Option<&[f32]>,
) {
    randomize(&mut *stage, 11);
    let d = dims(in_dims);
    let x = random(batch * d.numel(), 3);
    let mut probe = Probe::new(Chain::new(vec![("layer", stage)]), &x, d, batch, mask, 5);
    check_gradients(&mut probe, &x, &FiniteDifferences { label, ..FiniteDifferences::default() });
}

#[test]
fn gradients_match_finite_differences() {
    gradient_check("conv1d causal dilated", conv(2, w1(3, 1, 2, Causal), 3, 1, Tanh, true), &[7, 2], 2, None);
    gradient_check("conv1d same s2", conv(3, w1(4, 2, 1, Same), 2, 1, Linear, true), &[8, 3], 2, None);
    gradient_check("conv2d valid", conv(2, w2([3, 3], 1, 1, Valid), 3, 1, Linear, true), &[5, 4, 2], 2, None);
    gradient_check("conv2d same s2", conv(3, w2([3, 2], 2, 1, Same), 2, 1, Tanh, true), &[5, 6, 3], 2, None);
    gradient_check(
        "conv2d groups",
        conv(4, w2([2, 2], 1, 1, Same), 4, 2, Linear, false),
        &[4, 3, 4],
        1,
        None,
    );
    gradient_check(
        "conv2d dilated",
        conv(2, w2([2, 2], 1, 2, Valid), 2, 1, Sigmoid, true),
        &[5, 5, 2],
        1,
        None,
    );
    gradient_check(
        "transpose valid s2",
        transpose(3, w2([3, 3], 2, 1, Valid), 2, Linear),
        &[3, 2, 3],
        2,
        None,
    );
    gradient_check(
        "transpose same s2 k4",
        transpose(2, w2([4, 4], 2, 1, Same), 2, Tanh),
        &[3, 3, 2],
        1,
        None,
    );
    gradient_check("depthwise", depthwise(3, w2([3, 3], 1, 1, Same), 2, Linear), &[4, 5, 3], 2, None);
    gradient_check("separable", separable(3, w2([3, 3], 2, 1, Same), 2, 3, Tanh), &[5, 4, 3], 2, None);
    // Masked: two images of 4×3 and 2×2 padded to 4×3.
    let mut mask = vec![1.0; 12];
    mask.extend([1., 1., 0., 1., 1., 0., 0., 0., 0., 0., 0., 0.]);
    gradient_check(
        "conv2d masked",
        conv(2, w2([2, 2], 1, 1, Same), 2, 1, Linear, true),
        &[4, 3, 2],
        2,
        Some(&mask),
    );
    gradient_check(
        "transpose masked",
        transpose(2, w2([3, 3], 2, 1, Same), 2, Linear),
        &[4, 3, 2],
        2,
        Some(&mask),
    );
    gradient_check(
        "separable masked",
        separable(2, w2([3, 3], 1, 1, Same), 1, 2, Linear),
        &[4, 3, 2],
        2,
        Some(&mask),
    );
}

/// What one run gave: output, its dims and mask, the input gradient, every weight gradient.
struct Run {
    y: Vec<f32>,
    dims: Dims,
    mask: Option<Vec<f32>>,
    dx: Vec<f32>,
    grads: Vec<Vec<f32>>,
}

fn run(
    stage: Box<dyn Stage>,
    x: &[f32],
    d: Dims,
    batch: usize,
    mask: Option<&[f32]>,
    r: impl Fn(Dims, usize) -> Vec<f32>,
) -> Run {
    let mut chain = Chain::new(vec![("layer", stage)]);
    let y = chain.forward(x, d, batch, mask, Mode::Training).unwrap().to_vec();
    let (dims, out_mask) = (chain.dims(0), chain.mask(0).map(<[f32]>::to_vec));
    let dx = chain.backward(&r(dims, y.len())).unwrap();
    let mut grads = Vec::new();
    chain.visit_params(&mut |p| grads.push(p.grad.to_vec()));
    Run { y, dims, mask: out_mask, dx, grads }
}

/// The spatial grid of per-sample dims `[.., C]` as `[rows, cols]` (1-D: `[steps, 1]`).
fn grid(d: Dims) -> [usize; 2] {
    match d.as_slice() {
        [n, _] => [*n, 1],
        [h, w, _] => [*h, *w],
        other => panic!("{other:?}"),
    }
}

/// A batch of images of `sizes` (1-D when `one_d`), padded with garbage to the largest, against
/// each image alone.
fn padded_vs_alone(
    label: &str,
    make: &dyn Fn() -> Box<dyn Stage>,
    sizes: &[[usize; 2]],
    c: usize,
    one_d: bool,
) {
    let batch = sizes.len();
    let h = sizes.iter().map(|s| s[0]).max().unwrap();
    let w = sizes.iter().map(|s| s[1]).max().unwrap();
    let spatial = |s: [usize; 2]| if one_d { vec![s[0], c] } else { vec![s[0], s[1], c] };
    let padded = dims(&spatial([h, w]));
    let (mut x, mut mask) = (Vec::new(), Vec::new());
    let mut alone_x = Vec::new();
    for (b, &[sh, sw]) in sizes.iter().enumerate() {
        let own = random(sh * sw * c, 100 + b as u64);
        for i in 0..h {
            for j in 0..w {
                let real = i < sh && j < sw;
                mask.push(if real { 1.0 } else { 0.0 });
                for k in 0..c {
                    x.push(if real {
                        own[(i * sw + j) * c + k]
                    } else {
                        1e3 * if (i + j + k) % 2 == 0 { 1.0 } else { -1.0 }
                    });
                }
            }
        }
        alone_x.push(own);
    }
    let mut layer = make();
    randomize(&mut *layer, 21);
    let r_padded = |d: Dims, n: usize| random(n, 77 + d.numel() as u64);
    let padded_run = run(layer, &x, padded, batch, Some(&mask), r_padded);
    let out_grid = grid(padded_run.dims);
    let f = padded_run.dims.last();
    let r_full = r_padded(padded_run.dims, padded_run.y.len());
    let out_mask = padded_run.mask.as_ref().unwrap_or_else(|| panic!("{label}: no output mask"));
    let per_out = out_grid[0] * out_grid[1];
    let mut grad_sum: Vec<Vec<f32>> = padded_run.grads.iter().map(|g| vec![0.0; g.len()]).collect();
    for (b, &size) in sizes.iter().enumerate() {
        let mut layer = make();
        randomize(&mut *layer, 21);
        let own_dims = dims(&spatial(size));
        // The alone run's probe: the padded run's at the same output positions.
        let r_alone = |d: Dims, _n: usize| {
            let g = grid(d);
            let mut r = Vec::new();
            for i in 0..g[0] {
                for j in 0..g[1] {
                    let at = (b * per_out + i * out_grid[1] + j) * f;
                    r.extend_from_slice(&r_full[at..at + f]);
                }
            }
            r
        };
        // A sample the window does not fit (`valid`) has no output alone: an empty rectangle,
        // zero gradients.
        let (alone, g) = match layer.output_dims(&[own_dims]) {
            Ok(_) => {
                let alone = run(layer, &alone_x[b], own_dims, 1, None, r_alone);
                let g = grid(alone.dims);
                (alone, g)
            }
            Err(_) => {
                let grads = grad_sum.iter().map(|s| vec![0.0; s.len()]).collect();
                let empty =
                    Run { y: Vec::new(), dims: own_dims, mask: None, dx: vec![0.0; alone_x[b].len()], grads };
                (empty, [0, 0])
            }
        };
        for i in 0..out_grid[0] {
            for j in 0..out_grid[1] {
                let real = i < g[0] && j < g[1];
                let at = (b * per_out + i * out_grid[1] + j) * f;
                let got = &padded_run.y[at..at + f];
                assert_eq!(
                    out_mask[b * per_out + i * out_grid[1] + j],
                    if real { 1.0 } else { 0.0 },
                    "{label}: mask of sample {b} at ({i}, {j})"
                );
                if real {
                    let want = &alone.y[(i * g[1] + j) * f..(i * g[1] + j + 1) * f];
                    close(label, &format!("sample {b} output at ({i}, {j})"), got, want, 1e-6);
                } else {
                    assert!(
                        got.iter().all(|&v| v == 0.0),
                        "{label}: sample {b} padded output at ({i}, {j}): {got:?}"
                    );
                }
            }
        }
        let per_in = h * w * c;
        for i in 0..h {
            for j in 0..w {
                let at = b * per_in + (i * w + j) * c;
                let got = &padded_run.dx[at..at + c];
                if i < size[0] && j < size[1] {
                    let want = &alone.dx[(i * size[1] + j) * c..(i * size[1] + j + 1) * c];
                    close(label, &format!("sample {b} dx at ({i}, {j})"), got, want, 1e-5);
                } else {
                    assert!(
                        got.iter().all(|&v| v == 0.0),
                        "{label}: sample {b} padded dx at ({i}, {j}): {got:?}"
                    );
                }
            }
        }
        for (sum, g) in grad_sum.iter_mut().zip(&alone.grads) {
            sum.iter_mut().zip(g).for_each(|(s, v)| *s += v);
        }
    }
    for (k, (got, want)) in padded_run.grads.iter().zip(&grad_sum).enumerate() {
        close(label, &format!("weight gradient {k}"), got, want, 1e-5);
    }
}

/// Builds a layer (the same weights every call).
type Make = dyn Fn() -> Box<dyn Stage>;

#[test]
fn padded_batches_match_each_image_alone() {
    let images: &[[usize; 2]] = &[[7, 6], [5, 3], [6, 7]];
    let seqs: &[[usize; 2]] = &[[9, 1], [4, 1], [6, 1]];
    let cases: Vec<(&str, Box<Make>, bool)> = vec![
        ("conv1d valid", Box::new(|| conv(3, w1(3, 1, 1, Valid), 4, 1, Linear, true)), true),
        ("conv1d causal dilated", Box::new(|| conv(3, w1(3, 1, 2, Causal), 4, 1, Tanh, true)), true),
        ("conv1d same s2", Box::new(|| conv(3, w1(3, 2, 1, Same), 2, 1, Linear, true)), true),
        ("conv2d valid", Box::new(|| conv(3, w2([3, 3], 1, 1, Valid), 4, 1, Relu, true)), false),
        ("conv2d same s2", Box::new(|| conv(3, w2([3, 3], 2, 1, Same), 4, 1, Linear, true)), false),
        ("conv2d same s2 k4", Box::new(|| conv(3, w2([4, 4], 2, 1, Same), 2, 1, Linear, true)), false),
        ("conv2d valid s2 groups", Box::new(|| conv(3, w2([3, 2], 2, 1, Valid), 6, 3, Linear, true)), false),
        ("depthwise same", Box::new(|| depthwise(3, w2([3, 3], 1, 1, Same), 2, Linear)), false),
        ("separable same s2", Box::new(|| separable(3, w2([3, 3], 2, 1, Same), 2, 4, Tanh)), false),
        ("transpose valid s2", Box::new(|| transpose(3, w2([3, 3], 2, 1, Valid), 2, Linear)), false),
        ("transpose same s2 k4", Box::new(|| transpose(3, w2([4, 4], 2, 1, Same), 2, Linear)), false),
    ];
    for (label, make, one_d) in &cases {
        padded_vs_alone(label, &**make, if *one_d { seqs } else { images }, 3, *one_d);
    }
    // A valid window larger than one sample: that sample's output is empty (all masked).
    padded_vs_alone(
        "conv2d valid too small",
        &|| conv(3, w2([3, 3], 1, 1, Valid), 2, 1, Linear, true),
        &[[6, 6], [2, 5], [4, 4]],
        3,
        false,
    );
}

#[test]
fn wrong_inputs_are_errors() {
    let mut layer = conv(3, w2([3, 3], 1, 1, Valid), 4, 1, Linear, true);
    // Rank, channels, a window larger than the image.
    assert!(layer.output_dims(&[dims(&[8, 3])]).is_err());
    assert!(layer.output_dims(&[dims(&[8, 8, 2])]).is_err());
    assert!(layer.output_dims(&[dims(&[2, 8, 3])]).is_err());
    assert!(layer.output_dims(&[dims(&[8, 8, 3]), dims(&[8, 8, 3])]).is_err());
    let d = dims(&[5, 5, 3]);
    let (x, mut y) = (vec![0.0; 2 * 75], vec![0.0; 2 * 9 * 4]);
    assert!(forward_one(&mut *layer, &x[..149], d, 2, None, &mut y, Mode::Training).is_err());
    assert!(forward_one(&mut *layer, &x, d, 2, None, &mut y[..10], Mode::Training).is_err());
    assert!(forward_one(&mut *layer, &x, d, 2, Some(&[1.0; 7]), &mut y, Mode::Training).is_err());
    forward_one(&mut *layer, &x, d, 2, None, &mut y, Mode::Training).unwrap();
    let mut dx = vec![0.0; 3];
    assert!(backward_one(&mut *layer, &x, d, 2, None, &y, &y, Some(&mut dx)).is_err());
    assert!(backward_one(&mut *layer, &x, d, 2, None, &y, &y[..5], None).is_err());
    // Groups that do not divide, strides with dilation, a zero window, transpose with groups.
    let bad = conv(3, w2([3, 3], 1, 1, Valid), 4, 2, Linear, true);
    assert!(bad.output_dims(&[d]).is_err());
    let bad = conv(3, window(2, [3, 3], [2, 2], [2, 2], Valid), 4, 1, Linear, true);
    assert!(bad.output_dims(&[d]).is_err());
    let bad = conv(3, w2([0, 3], 1, 1, Valid), 4, 1, Linear, true);
    assert!(bad.output_dims(&[d]).is_err());
    let options = ConvOptions {
        window: w2([3, 3], 1, 1, Valid),
        filters: 4,
        groups: 2,
        activation: Linear,
        use_bias: true,
    };
    assert!(ConvTranspose::new(4, options, &mut rng()).output_dims(&[dims(&[5, 5, 4])]).is_err());
    for mut stage in [
        transpose(3, w2([3, 3], 2, 1, Same), 2, Linear),
        depthwise(3, w2([3, 3], 1, 1, Same), 2, Linear),
        separable(3, w2([3, 3], 1, 1, Same), 2, 2, Linear),
    ] {
        assert!(stage.output_dims(&[dims(&[5, 5, 4])]).is_err(), "{}", stage.kind());
        let out = stage.output_dims(&[d]).unwrap();
        let mut y = vec![0.0; out.numel()];
        assert!(
            forward_one(&mut *stage, &x[..74], d, 1, None, &mut y, Mode::Inference).is_err(),
            "{}",
            stage.kind()
        );
        let inputs = [Input::new(&x[..75], d), Input::new(&x[..75], d)];
        assert!(stage
            .forward(
                shaped_runtime::layers::Forward { inputs: &inputs, batch: 1, mode: Mode::Inference },
                &mut y
            )
            .is_err());
    }
}

#[test]
fn kinds_shapes_and_init() {
    let c2 = Conv::new(
        4,
        ConvOptions {
            window: w2([3, 3], 1, 1, Valid),
            filters: 8,
            groups: 2,
            activation: Relu,
            use_bias: true,
        },
        &mut rng(),
    );
    assert_eq!(c2.kind(), "Conv2D");
    let mut shapes = Vec::new();
    c2.visit_params(&mut |p| shapes.push((p.name.to_string(), p.shape.to_vec())));
    assert_eq!(shapes, [("kernel".to_string(), vec![3, 3, 2, 8]), ("bias".to_string(), vec![8])]);
    // Keras's fans: (2·9, 8·9).
    let limit = (6.0f32 / (18.0 + 72.0)).sqrt();
    assert!(
        c2.kernel().iter().all(|w| w.abs() <= limit) && c2.kernel().iter().any(|w| w.abs() > 0.9 * limit)
    );
    assert!(c2.bias().iter().all(|&b| b == 0.0));
    assert_eq!(conv(2, w1(3, 1, 1, Causal), 4, 1, Linear, false).kind(), "Conv1D");
    let t = transpose(3, w2([3, 3], 2, 1, Same), 5, Linear);
    let mut shapes = Vec::new();
    t.visit_params(&mut |p| shapes.push(p.shape.to_vec()));
    assert_eq!((t.kind(), shapes), ("Conv2DTranspose".to_string(), vec![vec![3, 3, 5, 3], vec![5]]));
    let s = separable(3, w2([3, 3], 1, 1, Same), 2, 4, Linear);
    let mut names = Vec::new();
    s.visit_params(&mut |p| names.push((p.name.to_string(), p.shape.to_vec())));
    assert_eq!(s.kind(), "SeparableConv2D");
    assert_eq!(
        names,
        [
            ("depthwise_kernel".to_string(), vec![3, 3, 3, 2]),
            ("pointwise_kernel".to_string(), vec![1, 1, 6, 4]),
            ("bias".to_string(), vec![4]),
        ]
    );
    let dw = depthwise(3, w2([3, 3], 1, 1, Same), 2, Linear);
    assert_eq!((dw.kind(), dw.param_count()), ("DepthwiseConv2D".to_string(), 9 * 6 + 6));
}
