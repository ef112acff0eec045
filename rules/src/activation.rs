//! [`Activation`]: the activations of `Dense(.., activation = ...)` and `Activation(..)`, by
//! their Keras names. The macro reads them from a model's text; the runtime computes them
//! (`shaped_runtime::layers::activation`, where each one's formula and derivative are).

/// Keras activation names, spelled as Keras spells them in `activation="..."`.
///
/// `Dense` and `Conv*` default to [`Activation::Linear`] (Keras `activation=None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `linear`: `f(z) = z`, `f'(z) = 1`.
    Linear,
    /// `relu`: `f(z) = max(z, 0)`, `f'(z) = 1` if `z > 0`, else `0` (also at `z = 0`, as in JAX and TF).
    Relu,
    /// `sigmoid`: `f(z) = 1 / (1 + e^−z)`, computed as `e^z / (1 + e^z)` for `z < 0` so that it never
    /// overflows; `f'(z) = y·(1 − y)`.
    Sigmoid,
    /// `tanh`: `f(z) = tanh(z)`, `f'(z) = 1 − y²`.
    Tanh,
    /// `softmax` over the last axis: `y_i = e^(z_i − m) / Σ_j e^(z_j − m)` with `m = max_j z_j` per row;
    /// backward `dz = y ⊙ (dy − Σ_j dy_j·y_j)` per row.
    Softmax,
    /// `gelu` (exact, Keras's default `approximate=False`): `f(z) = z·Φ(z) = ½·z·erfc(−z/√2)`,
    /// `f'(z) = Φ(z) + z·φ(z)` with `φ(z) = e^(−z²/2) / √(2π)`.
    Gelu,
    /// `elu` (`alpha = 1`): `f(z) = z` if `z > 0`, else `e^z − 1`; `f'(z) = 1` if `z > 0`, else `y + 1`.
    Elu,
    /// `selu`: `f(z) = λ·z` if `z > 0`, else `λ·α·(e^z − 1)`, with `λ = 1.0507009873554804934`
    /// and `α = 1.6732632423543772848`; `f'(z) = λ` if `z > 0`, else `y + λ·α`.
    Selu,
    /// `softplus`: `f(z) = ln(1 + e^z)`, computed as `max(z, 0) + ln(1 + e^−|z|)`;
    /// `f'(z) = sigmoid(z) = 1 − e^−y`.
    Softplus,
    /// `softsign`: `f(z) = z / (|z| + 1)`, `f'(z) = 1 / (|z| + 1)²`.
    Softsign,
    /// `leaky_relu` (Keras 3 default `negative_slope = 0.2`): `f(z) = z` if `z ≥ 0`, else `0.2·z`;
    /// `f'(z) = 1` if `z ≥ 0`, else `0.2`.
    LeakyRelu,
    /// `swish`, also spelled `silu`: `f(z) = z·sigmoid(z)`, `f'(z) = s·(1 + z·(1 − s))` with
    /// `s = sigmoid(z)`.
    Swish,
}

impl Activation {
    /// Every activation, in declaration order.
    pub const ALL: &'static [Activation] = &[
        Activation::Linear,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Softmax,
        Activation::Gelu,
        Activation::Elu,
        Activation::Selu,
        Activation::Softplus,
        Activation::Softsign,
        Activation::LeakyRelu,
        Activation::Swish,
    ];

    /// The string Keras accepts in `activation="..."`: `"linear"`, `"relu"`, `"sigmoid"`, `"tanh"`,
    /// `"softmax"`, `"gelu"`, `"elu"`, `"selu"`, `"softplus"`, `"softsign"`, `"leaky_relu"`, `"swish"`.
    ///
    /// Keras 3 also accepts `"silu"` for [`Activation::Swish`] (the name its function carries).
    pub fn keras_name(self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softmax => "softmax",
            Activation::Gelu => "gelu",
            Activation::Elu => "elu",
            Activation::Selu => "selu",
            Activation::Softplus => "softplus",
            Activation::Softsign => "softsign",
            Activation::LeakyRelu => "leaky_relu",
            Activation::Swish => "swish",
        }
    }

    /// Parses a Keras activation name: every [`Activation::keras_name`], plus `"silu"` for
    /// [`Activation::Swish`]. Case-sensitive, like Keras; anything else (including `"None"`) is `None`.
    pub fn from_name(name: &str) -> Option<Activation> {
        let activation = match name {
            "linear" => Activation::Linear,
            "relu" => Activation::Relu,
            "sigmoid" => Activation::Sigmoid,
            "tanh" => Activation::Tanh,
            "softmax" => Activation::Softmax,
            "gelu" => Activation::Gelu,
            "elu" => Activation::Elu,
            "selu" => Activation::Selu,
            "softplus" => Activation::Softplus,
            "softsign" => Activation::Softsign,
            "leaky_relu" => Activation::LeakyRelu,
            "swish" | "silu" => Activation::Swish,
            _ => return None,
        };
        Some(activation)
    }

    /// The variant's name in Rust, `"LeakyRelu"`: what the macro writes in generated code.
    pub fn variant_name(self) -> &'static str {
        match self {
            Activation::Linear => "Linear",
            Activation::Relu => "Relu",
            Activation::Sigmoid => "Sigmoid",
            Activation::Tanh => "Tanh",
            Activation::Softmax => "Softmax",
            Activation::Gelu => "Gelu",
            Activation::Elu => "Elu",
            Activation::Selu => "Selu",
            Activation::Softplus => "Softplus",
            Activation::Softsign => "Softsign",
            Activation::LeakyRelu => "LeakyRelu",
            Activation::Swish => "Swish",
        }
    }

    /// Every name [`Activation::from_name`] accepts, for "did you mean" and listings.
    pub const NAMES: &'static [&'static str] = &[
        "linear",
        "relu",
        "sigmoid",
        "tanh",
        "softmax",
        "gelu",
        "elu",
        "selu",
        "softplus",
        "softsign",
        "leaky_relu",
        "swish",
        "silu",
    ];
}

impl Default for Activation {
    /// [`Activation::Linear`], the Keras default `activation=None`: `f(z) = z`.
    fn default() -> Self {
        Activation::Linear
    }
}

impl core::fmt::Display for Activation {
    /// Writes [`Activation::keras_name`].
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.keras_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &a in Activation::ALL {
            assert_eq!(Activation::from_name(a.keras_name()), Some(a));
        }
        assert_eq!(Activation::from_name("silu"), Some(Activation::Swish));
        assert_eq!(Activation::NAMES.len(), Activation::ALL.len() + 1);
        assert!(Activation::NAMES.iter().all(|n| Activation::from_name(n).is_some()));
    }
}
