//! `Hashing(num_bins, mask_value, salt, output_mode)`: strings or integers into `num_bins`
//! bins by a hash, Keras 3's `Hashing` — categories without a vocabulary, so nothing to
//! `adapt`.
//!
//! Shape contract: `[n]` tokens per sample (a `String[1]` input, or `u32` ids) → `[n]` bin
//! indices in `int` mode, `[num_bins]` in `multi_hot` and `count`, `[n, num_bins]`
//! (`[num_bins]` for `n = 1`) in `one_hot`. Formula (TensorFlow's string hashes, which Keras
//! calls, bit for bit):
//!
//! ```text
//! h(t)   = FarmHash Fingerprint64(bytes of t)          no salt (to_hash_bucket_fast)
//!        = SipHash-2-4 keyed by the salt (bytes of t)   salt s → key [s, s]; [a, b] → [a, b]
//! bin(t) = h(t) mod num_bins                            without mask_value
//!        = 0 if t = mask_value, else 1 + h(t) mod (num_bins − 1)
//! ```
//!
//! An integer is hashed as its decimal text (Keras's `tf.as_string`). A missing value
//! (`Option<String>`'s `None`) hashes as the empty string, as an empty CSV cell reads in Keras.
//! No weights, no gradient.

use crate::error::Result;
use crate::layers::preprocessing::category_encoding::encode;
use crate::layers::preprocessing::hash_fn::{fingerprint64, salt_key, siphash};
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::stage::{single_dims, Backward, Forward, Input, MaskRule, Stage};
use crate::layers::EncodingMode;
use crate::shape::Dims;

pub use crate::layers::preprocessing::hash_fn::Salt;

/// The token that takes bin 0 (`mask_value`): a string, or an integer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HashingMask {
    /// A string input's mask.
    Text(String),
    /// An integer input's mask.
    Integer(u32),
}

/// Strings or integers into bins by a hash (see the module docs).
#[derive(Clone, Debug)]
pub struct Hashing {
    num_bins: usize,
    mask_value: Option<HashingMask>,
    key: Option<[u64; 2]>,
    output_mode: Option<EncodingMode>,
    /// The batch's bins.
    bins: Vec<u32>,
    /// An integer's decimal text.
    digits: String,
}

impl Hashing {
    /// `num_bins` bins (at least 1; 2 with a `mask_value`), `output_mode` `None` for `int`.
    pub fn new(
        num_bins: usize,
        mask_value: Option<HashingMask>,
        salt: Option<Salt>,
        output_mode: Option<EncodingMode>,
    ) -> Hashing {
        Hashing {
            num_bins: num_bins.max(1),
            mask_value,
            key: salt.map(salt_key),
            output_mode,
            bins: Vec::new(),
            digits: String::new(),
        }
    }

    /// The hash of `bytes` (see the module docs).
    fn hash(&self, bytes: &[u8]) -> u64 {
        match self.key {
            Some(key) => siphash(key, bytes),
            None => fingerprint64(bytes),
        }
    }

    /// The bin of a token, given whether it is the mask value and its bytes.
    fn bin(&self, masked: bool, bytes: &[u8]) -> u32 {
        let bins = self.num_bins as u64;
        match &self.mask_value {
            Some(_) if bins > 1 => {
                if masked {
                    0
                } else {
                    (1 + self.hash(bytes) % (bins - 1)) as u32
                }
            }
            _ => (self.hash(bytes) % bins) as u32,
        }
    }

    /// The bins of the input's tokens into `self.bins`.
    fn hash_input(&mut self, input: &Input<'_>) -> Result<()> {
        let mut bins = std::mem::take(&mut self.bins);
        bins.clear();
        if let Some(text) = input.text {
            for value in text.iter() {
                let value = value.unwrap_or("");
                let masked = matches!(&self.mask_value, Some(HashingMask::Text(m)) if m == value);
                bins.push(self.bin(masked, value.as_bytes()));
            }
        } else if input.ids.is_some() || !input.data.is_empty() {
            let mut digits = std::mem::take(&mut self.digits);
            for i in 0..input.len() {
                let id = match input.id(i) {
                    Some(id) => id,
                    None => {
                        self.digits = digits;
                        self.bins = bins;
                        // Neither strings nor integers: `strings` names what it reads.
                        return input.strings("Hashing").map(|_| ());
                    }
                };
                digits.clear();
                use std::fmt::Write;
                let _ = write!(digits, "{id}");
                let masked = self.mask_value == Some(HashingMask::Integer(id));
                bins.push(self.bin(masked, digits.as_bytes()));
            }
            self.digits = digits;
        } else {
            input.strings("Hashing")?;
        }
        self.bins = bins;
        Ok(())
    }
}

impl Stage for Hashing {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "Hashing")?;
        match self.output_mode {
            None => Ok(input),
            Some(mode) => rule_dims_one("Hashing", input, |d| {
                shaped_rules::category_encoding(d, self.num_bins, mode == EncodingMode::OneHot)
            }),
        }
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let input = args.input("Hashing")?;
        self.hash_input(&input)?;
        let bins = &self.bins;
        match self.output_mode {
            None => {
                for (y, &bin) in y.iter_mut().zip(bins) {
                    *y = bin as f32;
                }
            }
            Some(mode) => {
                let n = input.dims.numel();
                encode(
                    mode,
                    self.num_bins,
                    n,
                    args.batch,
                    input.mask,
                    |i| bins.get(i).map(|&b| b as usize),
                    y,
                )
            }
        }
        Ok(())
    }

    fn backward(&mut self, _args: Backward<'_>, _grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        // Tokens have no gradient and the layer no weights.
        Ok(())
    }

    fn mask_rule(&self) -> MaskRule {
        match self.output_mode {
            None | Some(EncodingMode::OneHot) => MaskRule::Keep,
            Some(_) => MaskRule::Drop,
        }
    }

    fn kind(&self) -> String {
        "Hashing".into()
    }
}
