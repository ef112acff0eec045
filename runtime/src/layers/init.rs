//! Keras's default initialisers (`initializers/random_initializers.py`).

use crate::data::rng::SplitMix64;

/// glorot_uniform: `U(−l, l)` with `l = √(6 / (fan_in + fan_out))`, written into `out`.
pub fn glorot_uniform(rng: &mut SplitMix64, fan_in: usize, fan_out: usize, out: &mut [f32]) {
    let limit = (6.0 / (fan_in + fan_out).max(1) as f64).sqrt() as f32;
    for w in out {
        *w = (2.0 * rng.next_f32() - 1.0) * limit;
    }
}

/// The generator for layer `index` of a model seeded with `seed`: each layer draws from its own
/// stream, so adding a layer does not change the weights of the layers before it.
pub fn layer_rng(seed: u64, index: usize) -> SplitMix64 {
    let mut mix = SplitMix64::new(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    SplitMix64::new(mix.next_u64())
}
