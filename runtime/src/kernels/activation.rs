//! Fast `tanh` and logistic `sigmoid` for f32, the gate activations of the recurrent cells, one
//! value at a time or over a slice with the widest vector unit the CPU has.
//!
//! Both are branch-free rational functions (no `exp`), so a loop over a slice of them
//! vectorises; [`crate::layers::Activation`]'s `tanh` and `sigmoid` (Dense, Activation) use the
//! library `tanh` and `exp` instead. Formulas and error bounds are on each function.

/// `tanh(x)`, within 5e-7 of the exact value: the rational approximation of Eigen's
/// `generic_fast_tanh_float`, an odd degree-13 polynomial over an even degree-6 one on `x`
/// clamped to `±7.905` (where tanh rounds to ±1 in f32). About 25 flops, no branch and no
/// `exp`, so loops over it vectorise; relative error near 0 is ~1e-7; NaN stays NaN.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    // Written so that they lower to minps / maxps and let NaN through.
    let x = if CLAMP < x { CLAMP } else { x };
    let x = if x < -CLAMP { -CLAMP } else { x };
    let x2 = x * x;
    let p = -2.760_768_5e-16 * x2 + 2.000_188e-13;
    let p = p * x2 - 8.604_672e-11;
    let p = p * x2 + 5.122_297e-8;
    let p = p * x2 + 1.485_722_4e-5;
    let p = p * x2 + 6.372_619_3e-4;
    let p = p * x2 + 4.893_524_6e-3;
    let q = 1.198_258_4e-6 * x2 + 1.185_347_1e-4;
    let q = q * x2 + 2.268_434_6e-3;
    let q = q * x2 + 4.893_525e-3;
    x * p / q
}

/// The logistic sigmoid `1 / (1 + e^−x) = ½ + ½ tanh(x / 2)`, within 3e-7 (absolute) of the
/// exact value (see [`tanh`]).
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    0.5 + 0.5 * tanh(0.5 * x)
}

/// `values ← tanh(values)` ([`tanh`]), with the widest vector unit the CPU has (the crate
/// targets baseline SSE2); every copy gives the same bits.
pub fn tanh_in_place(values: &mut [f32]) {
    map_in_place(values, Gate::Tanh);
}

/// `values ← sigmoid(values)` ([`sigmoid`]), as [`tanh_in_place`].
pub fn sigmoid_in_place(values: &mut [f32]) {
    map_in_place(values, Gate::Sigmoid);
}

/// Which function [`map_in_place`] applies.
#[derive(Clone, Copy)]
enum Gate {
    Tanh,
    Sigmoid,
}

/// Applies `gate` to every value, through a `#[target_feature]` copy when the CPU has one.
fn map_in_place(values: &mut [f32], gate: Gate) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked on the line above.
            return unsafe { map_avx512(values, gate) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked on the line above.
            return unsafe { map_avx2(values, gate) };
        }
    }
    map_body(values, gate)
}

#[inline(always)]
fn map_body(values: &mut [f32], gate: Gate) {
    match gate {
        Gate::Tanh => values.iter_mut().for_each(|v| *v = tanh(*v)),
        Gate::Sigmoid => values.iter_mut().for_each(|v| *v = sigmoid(*v)),
    }
}

/// Safety: requires AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn map_avx512(values: &mut [f32], gate: Gate) {
    map_body(values, gate)
}

/// Safety: requires AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn map_avx2(values: &mut [f32], gate: Gate) {
    map_body(values, gate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_get_the_scalar_functions_bits() {
        let xs: Vec<f32> = (0..203).map(|i| (i as f32 - 101.0) * 0.07).collect();
        let (mut t, mut s) = (xs.clone(), xs.clone());
        tanh_in_place(&mut t);
        sigmoid_in_place(&mut s);
        for (i, &x) in xs.iter().enumerate() {
            assert_eq!((t[i].to_bits(), s[i].to_bits()), (tanh(x).to_bits(), sigmoid(x).to_bits()), "at {x}");
        }
    }

    #[test]
    fn fast_sigmoid_and_tanh_match_the_library_functions() {
        let mut worst = [0.0f64; 3];
        for i in -400_000..=400_000 {
            let x = i as f32 * 5e-5;
            let s = 1.0 / (1.0 + (-(x as f64)).exp());
            let t = (x as f64).tanh();
            worst[0] = worst[0].max((sigmoid(x) as f64 - s).abs());
            worst[1] = worst[1].max((tanh(x) as f64 - t).abs());
            worst[2] = worst[2].max((tanh(x) as f64 - t).abs() / t.abs().max(1e-30));
        }
        assert!(
            worst[0] < 3e-7 && worst[1] < 5e-7,
            "absolute errors: sigmoid {}, tanh {}",
            worst[0],
            worst[1]
        );
        assert!(worst[2] < 5e-7, "relative error of tanh {}", worst[2]);
        assert_eq!([sigmoid(200.0), sigmoid(-200.0), tanh(50.0), tanh(-50.0)], [1.0, 0.0, 1.0, -1.0]);
        assert!(sigmoid(f32::NAN).is_nan() && tanh(f32::NAN).is_nan());
    }
}
