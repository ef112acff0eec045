//! Pooling, spatial resizing and normalization (`WindowPool`, `GlobalPool2d`, `UpSampling2d`,
//! `ZeroPadding2d`, `Cropping2d`, `BatchNorm`, `LayerNorm`) against Keras and against
//! themselves.
//!
//! - Keras: `tests/fixtures/pool_norm_layers.npz`, made by
//!   `scripts/keras_reference/pool_norm_layers.py` (Keras 3.15.1, JAX): each case's output and
//!   the gradients of `Σ r ⊙ y` with respect to the input and to gamma / beta, matched to 1e-5;
//!   BatchNorm's moving statistics after one and after two training calls.
//! - Finite differences on every layer's input (and weight) gradients, BatchNorm in training
//!   mode included, on values spaced apart so that no step crosses a tie of a max.
//! - Padded versus alone: three images (or sequences) of different sizes padded to the largest
//!   with garbage (1e3) give, at their real positions, what each gives alone; zeros at padded
//!   output positions; the output mask is each sample's output rectangle; padded inputs get
//!   zero gradient. For BatchNorm, whose statistics span the batch, the padded batch equals the
//!   same real positions packed into one unpadded batch.
//! - Wrong inputs are errors, never panics.

use std::path::Path;

use shaped_rules::{Padding, Window};
use shaped_runtime::data::SplitMix64;
use shaped_runtime::io::Npz;
use shaped_runtime::layers::{
    BatchNorm, BatchNormOptions, Cropping2d, GlobalPool2d, LayerNorm, Mode, Stage, UpSampling2d, WindowPool,
    ZeroPadding2d,
};
use shaped_runtime::shape::Dims;
use shaped_runtime::testing::{check_gradients, first_difference, Chain, FiniteDifferences, Probe};

/// A named way to build a layer, and whether it takes images (else sequences).
type Maker<'a> = (&'a str, Box<dyn Fn() -> Box<dyn Stage>>, bool);

/// The same with a plain function.
type FnMaker<'a> = (&'a str, fn() -> Box<dyn Stage>, bool);

/// A named layer, its input dims, batch and mask.
type NormCase<'a> = (&'a str, Box<dyn Stage>, Dims, usize, Option<&'a [f32]>);

fn fixture() -> Npz {
    Npz::open(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/pool_norm_layers.npz")).unwrap()
}

fn dims(d: &[usize]) -> Dims {
    Dims::new(d).unwrap()
}

/// `r[i] = ((5 i + 3) mod 17 − 8) / 8`, the probe of `pool_norm_layers.py`.
fn probe(n: usize) -> Vec<f32> {
    (0..n).map(|i| ((5 * i + 3) % 17) as f32 / 8.0 - 1.0).collect()
}

fn close(case: &str, what: &str, actual: &[f32], expected: &[f32]) {
    assert_eq!(actual.len(), expected.len(), "{case}: {what}: lengths");
    if let Some(diff) = first_difference(actual, expected, 1e-5) {
        panic!("{case}: {what}: {diff}");
    }
}

fn window(axes: usize, size: [usize; 2], strides: [usize; 2], padding: Padding) -> Window {
    Window { axes, size, strides, dilation: [1, 1], padding }
}

/// The pooling and resizing cases of `pool_norm_layers.py`'s `POOL_CASES`.
fn pool_case(name: &str) -> Box<dyn Stage> {
    use Padding::{Same, Valid};
    match name {
        "max1d_valid" => Box::new(WindowPool::max(window(1, [3, 0], [2, 0], Valid))),
        "max1d_same" => Box::new(WindowPool::max(window(1, [3, 0], [2, 0], Same))),
        "avg1d_valid" => Box::new(WindowPool::avg(window(1, [3, 0], [2, 0], Valid))),
        "avg1d_same" => Box::new(WindowPool::avg(window(1, [4, 0], [3, 0], Same))),
        "max2d_valid" => Box::new(WindowPool::max(window(2, [3, 2], [2, 1], Valid))),
        "max2d_same" => Box::new(WindowPool::max(window(2, [3, 3], [2, 2], Same))),
        "max2d_default" => Box::new(WindowPool::max(window(2, [2, 2], [2, 2], Valid))),
        "avg2d_valid" => Box::new(WindowPool::avg(window(2, [3, 2], [2, 1], Valid))),
        "avg2d_same" => Box::new(WindowPool::avg(window(2, [3, 3], [2, 2], Same))),
        "avg2d_same_k4" => Box::new(WindowPool::avg(window(2, [4, 3], [3, 2], Same))),
        "max2d_ties" => Box::new(WindowPool::max(window(2, [2, 2], [1, 1], Valid))),
        "gavg2d" => Box::new(GlobalPool2d::avg()),
        "gmax2d" | "gmax2d_ties" => Box::new(GlobalPool2d::max()),
        "upsampling" => Box::new(UpSampling2d::new([2, 3])),
        "zeropad" => Box::new(ZeroPadding2d::new([[1, 2], [0, 3]])),
        "crop" => Box::new(Cropping2d::new([[1, 0], [2, 1]])),
        _ => panic!("unknown case {name}"),
    }
}

const POOL_CASES: &[&str] = &[
    "max1d_valid",
    "max1d_same",
    "avg1d_valid",
    "avg1d_same",
    "max2d_valid",
    "max2d_same",
    "max2d_default",
    "avg2d_valid",
    "avg2d_same",
    "avg2d_same_k4",
    "max2d_ties",
    "gavg2d",
    "gmax2d",
    "gmax2d_ties",
    "upsampling",
    "zeropad",
    "crop",
];

#[test]
fn pools_and_resizers_match_keras() {
    let npz = fixture();
    for &case in POOL_CASES {
        let x = npz.get(&format!("{case}/x")).unwrap();
        let y = npz.get(&format!("{case}/y")).unwrap();
        let dx = npz.get(&format!("{case}/dx")).unwrap();
        let mut chain = Chain::new(vec![("layer", pool_case(case))]);
        let out = chain.forward(&x.data, dims(&x.shape[1..]), x.shape[0], None, Mode::Training).unwrap();
        close(case, "output", out, &y.data);
        assert_eq!(chain.dims(0).as_slice(), &y.shape[1..], "{case}: output dims");
        assert_eq!(chain.mask(0), None, "{case}: no mask in, no mask out");
        let got = chain.backward(&probe(y.data.len())).unwrap();
        close(case, "input gradient", &got, &dx.data);
    }
}

/// A normalization case of `NORM_CASES`: the layer, and whether it runs in training mode.
fn norm_case(name: &str, features: usize) -> (Box<dyn Stage>, Mode) {
    let bn = |options: BatchNormOptions| -> Box<dyn Stage> { Box::new(BatchNorm::new(features, options)) };
    let d = BatchNormOptions::default();
    match name {
        "bn_train" | "bn_train_2d" | "bn_masked" => (bn(d), Mode::Training),
        "bn_infer" => (bn(d), Mode::Inference),
        "bn_no_center" => (bn(BatchNormOptions { center: false, ..d }), Mode::Training),
        "bn_no_scale" => (bn(BatchNormOptions { scale: false, ..d }), Mode::Training),
        "bn_plain" => (bn(BatchNormOptions { center: false, scale: false, ..d }), Mode::Training),
        "bn_momentum" => (bn(BatchNormOptions { momentum: 0.9, epsilon: 0.01, ..d }), Mode::Training),
        "ln" => (Box::new(LayerNorm::new(features, 1e-3, true, true)), Mode::Training),
        "ln_no_center" => (Box::new(LayerNorm::new(features, 1e-3, false, true)), Mode::Training),
        "ln_plain" => (Box::new(LayerNorm::new(features, 1e-3, false, false)), Mode::Training),
        "ln_eps" => (Box::new(LayerNorm::new(features, 0.1, true, true)), Mode::Training),
        _ => panic!("unknown case {name}"),
    }
}

const NORM_CASES: &[&str] = &[
    "bn_train",
    "bn_train_2d",
    "bn_infer",
    "bn_no_center",
    "bn_no_scale",
    "bn_plain",
    "bn_momentum",
    "bn_masked",
    "ln",
    "ln_no_center",
    "ln_plain",
    "ln_eps",
];

/// The weight `name` of the chain's only layer.
fn weight(chain: &Chain, name: &str) -> Option<(Vec<f32>, Vec<f32>)> {
    let mut found = None;
    chain.visit_params(&mut |p| {
        if p.name == format!("layer/{name}") {
            found = Some((p.data.to_vec(), p.grad.to_vec()));
        }
    });
    found
}

#[test]
fn normalizations_match_keras() {
    let npz = fixture();
    for &case in NORM_CASES {
        let get = |key: &str| npz.get(&format!("{case}/{key}")).unwrap_or_else(|e| panic!("{case}: {e}"));
        let has = |key: &str| npz.contains(&format!("{case}/{key}"));
        let (x, y) = (get("x"), get("y"));
        let features = *x.shape.last().unwrap();
        let (layer, mode) = norm_case(case, features);
        let mut chain = Chain::new(vec![("layer", layer)]);
        // The fixture's weights; every weight Keras has, and no other.
        let mut names = Vec::new();
        chain.visit_params_mut(&mut |p| {
            let name = p.name.trim_start_matches("layer/").to_string();
            p.data.copy_from_slice(&npz.get(&format!("{case}/{name}")).unwrap().data);
            names.push(name);
        });
        for name in ["gamma", "beta", "moving_mean", "moving_variance"] {
            assert_eq!(names.contains(&name.to_string()), has(name), "{case}: weight {name}");
        }
        let mask = has("mask").then(|| get("mask").data);
        let d = dims(&x.shape[1..]);
        let out = chain.forward(&x.data, d, x.shape[0], mask.as_deref(), mode).unwrap().to_vec();
        let mut r = probe(y.data.len());
        if let Some(mask) = &mask {
            // Keras normalizes padded steps too; shaped writes 0 there: compare real steps only.
            for (i, v) in r.iter_mut().enumerate() {
                if mask[i / features] == 0.0 {
                    *v = 0.0;
                }
            }
            let real = |v: &[f32]| -> Vec<f32> {
                v.iter().enumerate().filter(|(i, _)| mask[i / features] != 0.0).map(|(_, &v)| v).collect()
            };
            close(case, "output at real steps", &real(&out), &real(&y.data));
            assert!(out.iter().enumerate().all(|(i, &v)| mask[i / features] != 0.0 || v == 0.0), "{case}");
            assert_eq!(chain.mask(0), Some(&mask[..]), "{case}: the mask is kept");
        } else {
            close(case, "output", &out, &y.data);
        }
        let dx = chain.backward(&r).unwrap();
        close(case, "input gradient", &dx, &get("dx").data);
        for name in ["gamma", "beta"] {
            if let Some((_, grad)) = weight(&chain, name) {
                close(case, &format!("d{name}"), &grad, &get(&format!("d{name}")).data);
            }
        }
        if case.starts_with("bn") && mode == Mode::Training {
            for step in ["1", "2"] {
                if step == "2" {
                    let x2 = get("x2");
                    chain.forward(&x2.data, d, x2.shape[0], mask.as_deref(), mode).unwrap();
                }
                for name in ["moving_mean", "moving_variance"] {
                    let (value, grad) = weight(&chain, name).unwrap();
                    close(
                        case,
                        &format!("{name} after call {step}"),
                        &value,
                        &get(&format!("{name}_{step}")).data,
                    );
                    assert!(grad.iter().all(|&g| g == 0.0), "{case}: {name} has no gradient");
                }
            }
        } else if case.starts_with("bn") {
            let (value, _) = weight(&chain, "moving_mean").unwrap();
            assert_eq!(value, get("moving_mean").data, "{case}: inference leaves the statistics");
        }
    }
}

/// `n` values spaced `step` apart around 0, in random order: no two within a finite-difference
/// step of each other, so no max changes hands.
fn spaced(seed: u64, n: usize, step: f32) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
    }
    order.iter().map(|&k| (k as f32 - n as f32 / 2.0) * step).collect()
}

/// Checks the gradients of `layer` on `batch` samples of `d` (with `mask`) by finite differences.
fn fd(label: &str, layer: Box<dyn Stage>, d: Dims, batch: usize, mask: Option<&[f32]>, seed: u64, step: f32) {
    let x = spaced(seed, batch * d.numel(), step);
    let chain = Chain::new(vec![("layer", layer)]);
    let mut probe = Probe::new(chain, &x, d, batch, mask, seed + 1);
    check_gradients(&mut probe, &x, &FiniteDifferences { label, ..Default::default() });
}

/// The mask of `sizes` (`[h, w]` per sample) over a padded `[ph, pw]` grid.
fn rect_mask(sizes: &[[usize; 2]], [ph, pw]: [usize; 2]) -> Vec<f32> {
    sizes
        .iter()
        .flat_map(|&[h, w]| (0..ph * pw).map(move |p| if p / pw < h && p % pw < w { 1.0 } else { 0.0 }))
        .collect()
}

#[test]
fn gradients_match_finite_differences() {
    use Padding::{Same, Valid};
    let img = dims(&[5, 6, 2]);
    let seq = dims(&[7, 3]);
    let img_mask = rect_mask(&[[5, 6], [3, 4]], [5, 6]);
    let seq_mask = rect_mask(&[[7, 1], [4, 1]], [7, 1]);
    let pools: Vec<FnMaker> = vec![
        ("max2d valid", || Box::new(WindowPool::max(window(2, [3, 2], [2, 1], Valid))), true),
        ("max2d same", || Box::new(WindowPool::max(window(2, [3, 3], [2, 2], Same))), true),
        ("avg2d valid", || Box::new(WindowPool::avg(window(2, [2, 3], [1, 2], Valid))), true),
        ("avg2d same", || Box::new(WindowPool::avg(window(2, [3, 2], [2, 3], Same))), true),
        ("max1d same", || Box::new(WindowPool::max(window(1, [3, 0], [2, 0], Same))), false),
        ("avg1d valid", || Box::new(WindowPool::avg(window(1, [2, 0], [1, 0], Valid))), false),
        ("avg1d same", || Box::new(WindowPool::avg(window(1, [4, 0], [3, 0], Same))), false),
        ("gavg2d", || Box::new(GlobalPool2d::avg()), true),
        ("gmax2d", || Box::new(GlobalPool2d::max()), true),
        ("upsampling", || Box::new(UpSampling2d::new([2, 3])), true),
        ("zeropad", || Box::new(ZeroPadding2d::new([[1, 0], [2, 1]])), true),
        ("crop", || Box::new(Cropping2d::new([[1, 1], [0, 2]])), true),
    ];
    for (i, (label, make, image)) in pools.into_iter().enumerate() {
        let (d, mask) = if image { (img, &img_mask) } else { (seq, &seq_mask) };
        fd(label, make(), d, 2, None, 10 + i as u64, 0.1);
        fd(&format!("{label}, masked"), make(), d, 2, Some(mask), 30 + i as u64, 0.1);
    }
    // Normalizations: random weights so that gamma and beta matter.
    let weights = |stage: &mut dyn Stage, seed: u64| {
        let mut rng = SplitMix64::new(seed);
        stage.visit_params_mut(&mut |p| p.data.iter_mut().for_each(|v| *v = 0.5 + rng.next_f32()));
    };
    let d = BatchNormOptions::default();
    let norms: Vec<NormCase> = vec![
        ("bn training", Box::new(BatchNorm::new(2, d)), img, 2, None),
        ("bn training masked", Box::new(BatchNorm::new(2, d)), img, 2, Some(&img_mask[..])),
        (
            "bn seq masked",
            Box::new(BatchNorm::new(3, BatchNormOptions { scale: false, ..d })),
            seq,
            2,
            Some(&seq_mask[..]),
        ),
        (
            "bn plain",
            Box::new(BatchNorm::new(3, BatchNormOptions { scale: false, center: false, ..d })),
            seq,
            2,
            None,
        ),
        ("ln", Box::new(LayerNorm::new(3, 1e-3, true, true)), seq, 2, None),
        ("ln no center", Box::new(LayerNorm::new(2, 1e-3, false, true)), img, 1, None),
    ];
    for (i, (label, mut layer, d, batch, mask)) in norms.into_iter().enumerate() {
        weights(&mut *layer, 50 + i as u64);
        fd(label, layer, d, batch, mask, 60 + i as u64, 0.25);
    }
    // Inference mode: the moving statistics are constants.
    let mut bn = BatchNorm::new(3, d);
    weights(&mut bn, 70);
    let x = spaced(71, 2 * 21, 0.1);
    let mut chain = Chain::new(vec![("layer", Box::new(bn) as Box<dyn Stage>)]);
    let y = chain.forward(&x, seq, 2, None, Mode::Inference).unwrap().to_vec();
    let dx = chain.backward(&vec![1.0; y.len()]).unwrap();
    let (gamma, _) = weight(&chain, "gamma").unwrap();
    let (var, _) = weight(&chain, "moving_variance").unwrap();
    let expected: Vec<f32> = (0..x.len()).map(|i| gamma[i % 3] / (var[i % 3] + 1e-3).sqrt()).collect();
    close("bn inference", "input gradient", &dx, &expected);
}

/// What one stage gives for a padded batch, and for each sample alone.
struct Run {
    out: Vec<f32>,
    out_dims: Dims,
    mask: Option<Vec<f32>>,
    dx: Vec<f32>,
}

fn run(
    layer: Box<dyn Stage>,
    x: &[f32],
    d: Dims,
    batch: usize,
    mask: Option<&[f32]>,
    dy: impl Fn(usize) -> Vec<f32>,
) -> Result<Run, String> {
    let mut chain = Chain::new(vec![("layer", layer)]);
    let out = chain.forward(x, d, batch, mask, Mode::Training).map_err(|e| e.to_string())?.to_vec();
    let mask = chain.mask(0).map(<[f32]>::to_vec);
    let out_dims = chain.dims(0);
    let dx = chain.backward(&dy(out.len())).map_err(|e| e.to_string())?;
    Ok(Run { out, out_dims, mask, dx })
}

/// Three images (or sequences) of `sizes` padded to the largest with 1e3 give, through
/// `make()`, at real positions what each gives alone (see the module docs).
fn padded_versus_alone(label: &str, make: &dyn Fn() -> Box<dyn Stage>, sizes: &[[usize; 2]], image: bool) {
    let c = 2;
    let ph = sizes.iter().map(|s| s[0]).max().unwrap();
    let pw = sizes.iter().map(|s| s[1]).max().unwrap();
    let batch = sizes.len();
    let padded_dims = if image { dims(&[ph, pw, c]) } else { dims(&[ph, c]) };
    let mask = rect_mask(sizes, [ph, pw]);
    let values = spaced(7, batch * ph * pw * c, 0.1);
    let x: Vec<f32> =
        values.iter().enumerate().map(|(i, &v)| if mask[i / c] != 0.0 { v } else { 1e3 }).collect();
    let dy_at = |i: usize| ((7 * i + 2) % 11) as f32 / 5.0 - 1.0;
    let padded = run(make(), &x, padded_dims, batch, Some(&mask), |n| (0..n).map(dy_at).collect()).unwrap();
    let global = padded.out_dims.rank() == 1;
    let (oh, ow) = match padded.out_dims.as_slice() {
        [_] => (1, 1),
        [t, _] => (*t, 1),
        [h, w, _] => (*h, *w),
        other => panic!("{label}: output dims {other:?}"),
    };
    let per_out = oh * ow * c;
    assert_eq!(padded.mask.is_none(), global, "{label}: a global pool drops the mask, the others make one");
    for (b, &[h, w]) in sizes.iter().enumerate() {
        let alone_dims = if image { dims(&[h, w, c]) } else { dims(&[h, c]) };
        let alone_x: Vec<f32> = (0..h * w * c)
            .map(|k| {
                let (p, ch) = (k / c, k % c);
                x[((b * ph + p / w) * pw + p % w) * c + ch]
            })
            .collect();
        // First for the output dims (an error when a valid window does not fit).
        let alone = run(make(), &alone_x, alone_dims, 1, None, |n| vec![0.0; n]);
        let (ah, aw, alone_out, alone_dx) = match alone {
            Ok(a) => {
                let (ah, aw) = match a.out_dims.as_slice() {
                    [_] => (1, 1),
                    [t, _] => (*t, 1),
                    [h, w, _] => (*h, *w),
                    other => panic!("{label}: {other:?}"),
                };
                // Again with the padded run's dy at the same output positions.
                let dy: Vec<f32> = (0..ah * aw * c)
                    .map(|k| {
                        let (p, ch) = (k / c, k % c);
                        dy_at(((b * oh + p / aw) * ow + p % aw) * c + ch)
                    })
                    .collect();
                let again = run(make(), &alone_x, alone_dims, 1, None, |_| dy.clone()).unwrap();
                (ah, aw, again.out, again.dx)
            }
            // Too small for a valid window: an empty output, all zeros.
            Err(_) => (0, 0, Vec::new(), vec![0.0; h * w * c]),
        };
        for oy in 0..oh {
            for ox in 0..ow {
                for ch in 0..c {
                    let got = padded.out[b * per_out + (oy * ow + ox) * c + ch];
                    let inside = oy < ah && ox < aw;
                    let want = if inside { alone_out[(oy * aw + ox) * c + ch] } else { 0.0 };
                    assert!(
                        (got - want).abs() <= 1e-6 * want.abs().max(1.0),
                        "{label}: sample {b} output ({oy}, {ox}, {ch}): padded {got}, alone {want}"
                    );
                }
                if let Some(m) = &padded.mask {
                    let want = if oy < ah && ox < aw { 1.0 } else { 0.0 };
                    assert_eq!(m[b * oh * ow + oy * ow + ox], want, "{label}: sample {b} mask ({oy}, {ox})");
                }
            }
        }
        for p in 0..ph * pw {
            for ch in 0..c {
                let got = padded.dx[((b * ph * pw) + p) * c + ch];
                let (iy, ix) = (p / pw, p % pw);
                let want = if iy < h && ix < w { alone_dx[(iy * w + ix) * c + ch] } else { 0.0 };
                assert!(
                    (got - want).abs() <= 1e-6 * want.abs().max(1.0),
                    "{label}: sample {b} input gradient ({iy}, {ix}, {ch}): padded {got}, alone {want}"
                );
            }
        }
    }
}

#[test]
fn padded_images_equal_each_image_alone() {
    use Padding::{Same, Valid};
    let images = [[5, 7], [7, 4], [3, 3]];
    let sequences = [[6, 1], [9, 1], [2, 1]];
    let cases: Vec<Maker> = vec![
        ("max2d valid 2x2", Box::new(|| Box::new(WindowPool::max(window(2, [2, 2], [2, 2], Valid)))), true),
        (
            "max2d valid 4x3 (the 3x3 image too small)",
            Box::new(|| Box::new(WindowPool::max(window(2, [4, 3], [2, 1], Valid)))),
            true,
        ),
        ("max2d same", Box::new(|| Box::new(WindowPool::max(window(2, [3, 3], [2, 2], Same)))), true),
        ("avg2d same", Box::new(|| Box::new(WindowPool::avg(window(2, [3, 2], [2, 3], Same)))), true),
        ("avg2d valid", Box::new(|| Box::new(WindowPool::avg(window(2, [2, 3], [1, 2], Valid)))), true),
        ("max1d same", Box::new(|| Box::new(WindowPool::max(window(1, [3, 0], [2, 0], Same)))), false),
        (
            "max1d valid (the 2-step sequence too small)",
            Box::new(|| Box::new(WindowPool::max(window(1, [3, 0], [1, 0], Valid)))),
            false,
        ),
        ("avg1d same", Box::new(|| Box::new(WindowPool::avg(window(1, [4, 0], [3, 0], Same)))), false),
        ("gavg2d", Box::new(|| Box::new(GlobalPool2d::avg())), true),
        ("gmax2d", Box::new(|| Box::new(GlobalPool2d::max())), true),
        ("upsampling", Box::new(|| Box::new(UpSampling2d::new([2, 3]))), true),
        ("zeropad", Box::new(|| Box::new(ZeroPadding2d::new([[1, 2], [0, 3]]))), true),
        ("crop", Box::new(|| Box::new(Cropping2d::new([[1, 0], [2, 1]]))), true),
        ("crop (the 3x3 image too small)", Box::new(|| Box::new(Cropping2d::new([[2, 1], [0, 1]]))), true),
    ];
    for (label, make, image) in &cases {
        padded_versus_alone(label, make, if *image { &images } else { &sequences }, *image);
    }
}

#[test]
fn padded_batch_norm_equals_its_real_positions_packed() {
    // Three images of 2 channels padded to 7×7 with 1e3: the batch statistics are those of the
    // real pixels only, so the padded batch gives, at real pixels, what one unpadded batch of
    // just those pixels gives ([2] per sample), and the same moving statistics.
    let sizes = [[5, 7], [7, 4], [3, 3]];
    let (ph, pw, c) = (7, 7, 2);
    let mask = rect_mask(&sizes, [ph, pw]);
    let values = spaced(3, sizes.len() * ph * pw * c, 0.05);
    let x: Vec<f32> =
        values.iter().enumerate().map(|(i, &v)| if mask[i / c] != 0.0 { v } else { 1e3 }).collect();
    let real: Vec<usize> = (0..mask.len()).filter(|&p| mask[p] != 0.0).collect();
    let packed: Vec<f32> = real.iter().flat_map(|&p| x[p * c..(p + 1) * c].to_vec()).collect();
    let make = || {
        let mut bn = BatchNorm::new(c, BatchNormOptions { momentum: 0.8, ..Default::default() });
        bn.visit_params_mut(&mut |p| match p.name {
            "gamma" => p.data.copy_from_slice(&[1.5, 0.5]),
            "beta" => p.data.copy_from_slice(&[-0.25, 0.75]),
            _ => {}
        });
        Box::new(bn) as Box<dyn Stage>
    };
    let dy_at = |i: usize| ((7 * i + 2) % 11) as f32 / 5.0 - 1.0;
    let mut padded = Chain::new(vec![("layer", make())]);
    let out =
        padded.forward(&x, dims(&[ph, pw, c]), sizes.len(), Some(&mask), Mode::Training).unwrap().to_vec();
    assert_eq!(padded.mask(0), Some(&mask[..]), "the mask is kept");
    let dy: Vec<f32> = (0..out.len()).map(dy_at).collect();
    let dx = padded.backward(&dy).unwrap();
    let mut alone = Chain::new(vec![("layer", make())]);
    let packed_out = alone.forward(&packed, dims(&[c]), real.len(), None, Mode::Training).unwrap().to_vec();
    let packed_dy: Vec<f32> = real.iter().flat_map(|&p| dy[p * c..(p + 1) * c].to_vec()).collect();
    let packed_dx = alone.backward(&packed_dy).unwrap();
    let at_real =
        |v: &[f32]| -> Vec<f32> { real.iter().flat_map(|&p| v[p * c..(p + 1) * c].to_vec()).collect() };
    let close6 = |what: &str, a: &[f32], b: &[f32]| {
        if let Some(diff) = first_difference(a, b, 1e-6) {
            panic!("{what}: {diff}");
        }
    };
    close6("output at real pixels", &at_real(&out), &packed_out);
    close6("input gradient at real pixels", &at_real(&dx), &packed_dx);
    for p in (0..mask.len()).filter(|&p| mask[p] == 0.0) {
        assert_eq!(&out[p * c..(p + 1) * c], &[0.0, 0.0], "padded pixel {p}: output");
        assert_eq!(&dx[p * c..(p + 1) * c], &[0.0, 0.0], "padded pixel {p}: gradient");
    }
    for name in ["gamma", "beta", "moving_mean", "moving_variance"] {
        let (a, ga) = weight(&padded, name).unwrap();
        let (b, gb) = weight(&alone, name).unwrap();
        close6(name, &a, &b);
        close6(&format!("d{name}"), &ga, &gb);
    }
}

#[test]
fn wrong_inputs_are_errors_never_panics() {
    use Padding::Valid;
    let layers: Vec<Box<dyn Stage>> = vec![
        Box::new(WindowPool::max(window(2, [2, 2], [2, 2], Valid))),
        Box::new(WindowPool::avg(window(1, [2, 0], [2, 0], Valid))),
        Box::new(GlobalPool2d::avg()),
        Box::new(GlobalPool2d::max()),
        Box::new(UpSampling2d::new([2, 2])),
        Box::new(ZeroPadding2d::new([[1, 1], [1, 1]])),
        Box::new(Cropping2d::new([[1, 1], [1, 1]])),
        Box::new(BatchNorm::new(3, BatchNormOptions::default())),
        Box::new(LayerNorm::new(3, 1e-3, true, true)),
    ];
    for layer in layers {
        let kind = layer.kind();
        let (good, bad) = match kind.as_str() {
            "AveragePooling1D" => (dims(&[4, 3]), dims(&[4, 4, 3])),
            "BatchNormalization" | "LayerNormalization" => (dims(&[4, 4, 3]), dims(&[4, 4, 2])),
            _ => (dims(&[4, 4, 3]), dims(&[4, 3])),
        };
        let mut chain = Chain::new(vec![("layer", layer)]);
        let x = [0.5; 2 * 4 * 4 * 3];
        let err = chain.forward(&x[..2 * bad.numel()], bad, 2, None, Mode::Training);
        assert!(err.is_err(), "{kind}: input {bad:?}");
        let n = 2 * good.numel();
        assert!(chain.forward(&x[..n], good, 2, None, Mode::Training).is_ok(), "{kind}");
        // A mask of the wrong length, an input of the wrong length.
        let short = vec![1.0; 2 * good.mask_positions() - 1];
        assert!(
            chain.forward(&x[..n], good, 2, Some(&short), Mode::Training).is_err(),
            "{kind}: a short mask"
        );
        assert!(chain.forward(&x[..n - 1], good, 2, None, Mode::Training).is_err(), "{kind}: a short input");
    }
    // Windows too large, and settings out of range.
    let pool = WindowPool::max(window(2, [5, 2], [1, 1], Valid));
    let err = pool.output_dims(&[dims(&[4, 4, 3])]).unwrap_err().to_string();
    assert!(err.contains("MaxPooling2D"), "{err}");
    assert!(WindowPool::avg(window(2, [2, 2], [0, 1], Valid)).output_dims(&[dims(&[4, 4, 3])]).is_err());
    assert!(Cropping2d::new([[2, 2], [0, 0]]).output_dims(&[dims(&[4, 4, 3])]).is_err());
    assert!(BatchNorm::new(3, BatchNormOptions::default()).output_dims(&[dims(&[4, 4, 2])]).is_err());
    assert!(LayerNorm::new(3, -1.0, true, true).output_dims(&[dims(&[3])]).is_err());
    for stage in [&GlobalPool2d::avg() as &dyn Stage, &UpSampling2d::new([2, 2])] {
        assert!(stage.output_dims(&[dims(&[4, 3])]).is_err(), "{}", stage.kind());
    }
}

/// The benchmark CNN's pools: MaxPool2d 2×2 forward and backward on [64, 26, 26, 16] and
/// [64, 11, 11, 32]; prints the time (run with `--release -- --ignored`).
#[test]
#[ignore = "a timing, for release builds"]
fn max_pool_timing() {
    use shaped_runtime::layers::{Backward, Forward, Input};
    let mut total = std::time::Duration::ZERO;
    for (h, c) in [(26, 16), (11, 32)] {
        let (batch, d) = (64, dims(&[h, h, c]));
        let mut pool = WindowPool::max(window(2, [2, 2], [2, 2], Padding::Valid));
        let out = pool.output_dims(&[d]).unwrap();
        let x = spaced(1, batch * d.numel(), 0.01);
        let (mut y, dy, mut dx) =
            (vec![0.0; batch * out.numel()], vec![1.0; batch * out.numel()], vec![0.0; x.len()]);
        let inputs = [Input::new(&x, d)];
        let runs = 200;
        let start = std::time::Instant::now();
        for _ in 0..runs {
            pool.forward(Forward { inputs: &inputs, batch, mode: Mode::Training }, &mut y).unwrap();
            let args =
                Backward { inputs: &inputs, batch, output: &y, grad_output: &dy, dy_is_preactivation: false };
            pool.backward(args, &mut [Some(&mut dx[..])]).unwrap();
        }
        let each = start.elapsed() / runs;
        println!("MaxPool2d 2×2 on [64, {h}, {h}, {c}]: forward + backward {each:?}");
        total += each;
    }
    println!("together: {total:?}");
}
