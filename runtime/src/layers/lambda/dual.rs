//! [`Dual`]: forward-mode automatic differentiation, `v + d·ε` with `ε² = 0`: evaluating a
//! function on `Dual::variable(x)` gives `f(x)` and `f′(x)` exactly (to rounding), for every
//! function built from [`Real`]'s operations.

use super::Real;
use std::ops::{Add, Div, Mul, Neg, Sub};

/// A value and its derivative with respect to one variable.
///
/// ```
/// use shaped::layers::{Dual, Real};
///
/// // f(x) = x · tanh(x) + 1, f′(x) = tanh(x) + x · (1 − tanh²(x)).
/// let x = 0.5f32;
/// let f = |x: Dual| x * x.tanh() + Dual::cst(1.0);
/// let y = f(Dual::variable(x));
/// assert!((y.v - (x * x.tanh() + 1.0)).abs() < 1e-6);
/// assert!((y.d - (x.tanh() + x * (1.0 - x.tanh().powi(2)))).abs() < 1e-6);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dual {
    /// The value.
    pub v: f32,
    /// The derivative.
    pub d: f32,
}

impl Dual {
    /// The variable `x` itself: value `x`, derivative 1.
    pub fn variable(x: f32) -> Dual {
        Dual { v: x, d: 1.0 }
    }

    /// `f(v)` with the chain rule: derivative `f′(v) · d`.
    fn chain(self, f: f32, df: f32) -> Dual {
        Dual { v: f, d: df * self.d }
    }
}

impl Add for Dual {
    type Output = Dual;
    fn add(self, o: Dual) -> Dual {
        Dual { v: self.v + o.v, d: self.d + o.d }
    }
}

impl Sub for Dual {
    type Output = Dual;
    fn sub(self, o: Dual) -> Dual {
        Dual { v: self.v - o.v, d: self.d - o.d }
    }
}

impl Mul for Dual {
    type Output = Dual;
    fn mul(self, o: Dual) -> Dual {
        Dual { v: self.v * o.v, d: self.d * o.v + self.v * o.d }
    }
}

impl Div for Dual {
    type Output = Dual;
    fn div(self, o: Dual) -> Dual {
        Dual { v: self.v / o.v, d: (self.d * o.v - self.v * o.d) / (o.v * o.v) }
    }
}

impl Neg for Dual {
    type Output = Dual;
    fn neg(self) -> Dual {
        Dual { v: -self.v, d: -self.d }
    }
}

impl Real for Dual {
    fn cst(c: f32) -> Self {
        Dual { v: c, d: 0.0 }
    }
    fn exp(self) -> Self {
        let e = self.v.exp();
        self.chain(e, e)
    }
    fn ln(self) -> Self {
        self.chain(self.v.ln(), 1.0 / self.v)
    }
    fn sqrt(self) -> Self {
        let s = self.v.sqrt();
        self.chain(s, 0.5 / s)
    }
    fn tanh(self) -> Self {
        let t = self.v.tanh();
        self.chain(t, 1.0 - t * t)
    }
    fn sigmoid(self) -> Self {
        let s = 1.0 / (1.0 + (-self.v).exp());
        self.chain(s, s * (1.0 - s))
    }
    fn sin(self) -> Self {
        self.chain(self.v.sin(), self.v.cos())
    }
    fn cos(self) -> Self {
        self.chain(self.v.cos(), -self.v.sin())
    }
    fn abs(self) -> Self {
        let sign = if self.v > 0.0 {
            1.0
        } else if self.v < 0.0 {
            -1.0
        } else {
            0.0
        };
        self.chain(self.v.abs(), sign)
    }
    fn powi(self, n: i32) -> Self {
        self.chain(self.v.powi(n), n as f32 * self.v.powi(n - 1))
    }
    fn powf(self, y: Self) -> Self {
        // d(xʸ) = xʸ · (y′ ln x + y x′ / x)
        let p = self.v.powf(y.v);
        Dual { v: p, d: p * (y.d * self.v.ln() + y.v * self.d / self.v) }
    }
    fn recip(self) -> Self {
        self.chain(1.0 / self.v, -1.0 / (self.v * self.v))
    }
    fn max(self, other: Self) -> Self {
        if other.v > self.v {
            other
        } else {
            self
        }
    }
    fn min(self, other: Self) -> Self {
        if other.v < self.v {
            other
        } else {
            self
        }
    }
    fn value(self) -> f32 {
        self.v
    }
}
