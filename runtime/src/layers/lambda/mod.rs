//! `Lambda(|x| ...)`: an element-wise function of the user's, differentiated exactly and
//! automatically, with no backward to write.
//!
//! Shape contract: any input → the same shape; `y = f(x)` for every value. The mask is kept.
//! Backward: `dx = dy · f′(x)`, `f′(x)` from evaluating `f` on the dual number `x + ε`
//! ([`Dual`]): forward-mode automatic differentiation, exact to rounding.
//!
//! The `model!` macro writes the closure `|x| x * x.tanh() + 1.0` as a function generic over
//! [`Real`] (its literals and named `f32` constants become [`Real::cst`]) and builds the layer
//! from its `f32` and [`Dual`] instances; users do not call [`Lambda::new`] themselves.

mod dual;
mod real;

pub use dual::Dual;
pub use real::Real;

use crate::error::Result;
use crate::layers::shape_rule::rule_dims_one;
use crate::layers::stage::{check_buffer, single_dims, single_grad, Backward, Forward, Stage};
use crate::shape::Dims;

/// An element-wise layer: `f` for the forward pass, `f` on dual numbers for the backward.
#[derive(Clone, Copy, Debug)]
pub struct Lambda {
    f: fn(f32) -> f32,
    df: fn(Dual) -> Dual,
}

impl Lambda {
    /// The layer of `f`, differentiated through `df`, the same function on [`Dual`] numbers.
    ///
    /// ```
    /// use shaped::layers::{Dual, Lambda, Real};
    ///
    /// fn softsign<T: Real>(x: T) -> T {
    ///     x / (T::cst(1.0) + x.abs())
    /// }
    /// let layer = Lambda::new(softsign::<f32>, softsign::<Dual>);
    /// assert_eq!(layer.value(1.0), 0.5);
    /// assert_eq!(layer.derivative(1.0), 0.25); // 1 / (1 + |x|)²
    /// ```
    pub fn new(f: fn(f32) -> f32, df: fn(Dual) -> Dual) -> Lambda {
        Lambda { f, df }
    }

    /// `f(x)`.
    pub fn value(&self, x: f32) -> f32 {
        (self.f)(x)
    }

    /// `f′(x)`, exact to rounding.
    pub fn derivative(&self, x: f32) -> f32 {
        (self.df)(Dual::variable(x)).d
    }
}

impl Stage for Lambda {
    fn output_dims(&self, inputs: &[Dims]) -> Result<Dims> {
        let input = single_dims(inputs, "Lambda")?;
        rule_dims_one("Lambda", input, shaped_rules::same)
    }

    fn forward(&mut self, args: Forward<'_>, y: &mut [f32]) -> Result<()> {
        let x = args.input("Lambda")?.data;
        check_buffer("Lambda", "output", x.len(), y.len())?;
        for (y, &x) in y.iter_mut().zip(x) {
            *y = (self.f)(x);
        }
        Ok(())
    }

    fn backward(&mut self, args: Backward<'_>, grad_inputs: &mut [Option<&mut [f32]>]) -> Result<()> {
        let x = args.input("Lambda")?.data;
        check_buffer("Lambda", "output gradient", x.len(), args.grad_output.len())?;
        let Some(dx) = single_grad(grad_inputs) else { return Ok(()) };
        check_buffer("Lambda", "input gradient", x.len(), dx.len())?;
        for ((dx, &x), &dy) in dx.iter_mut().zip(x).zip(args.grad_output) {
            *dx = dy * self.derivative(x);
        }
        Ok(())
    }

    fn kind(&self) -> String {
        "Lambda".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{check_gradients, Chain, FiniteDifferences, Probe};

    fn wiggle<T: Real>(x: T) -> T {
        x * x.tanh() + (x * T::cst(0.5)).sin() - x.sigmoid() / (T::cst(2.0) + x.powi(2))
            + x.abs().sqrt().exp()
    }

    #[test]
    fn derivatives_match_finite_differences() {
        let layer = Lambda::new(wiggle::<f32>, wiggle::<Dual>);
        for &x in &[-2.0f32, -0.7, 0.3, 1.1, 2.5] {
            let h = 1e-3f64;
            let f = |x: f64| wiggle::<f32>(x as f32) as f64;
            let numeric = (f(x as f64 + h) - f(x as f64 - h)) / (2.0 * h);
            let exact = layer.derivative(x) as f64;
            assert!((exact - numeric).abs() < 2e-2 * numeric.abs().max(1.0), "x = {x}: {exact} vs {numeric}");
        }
        let chain = Chain::new(vec![("lambda", Box::new(layer) as Box<dyn Stage>)]);
        let x: Vec<f32> = (0..12).map(|i| -1.5 + 0.27 * i as f32).collect();
        let mut probe = Probe::new(chain, &x, Dims::new(&[4]).expect("dims"), 3, None, 3);
        check_gradients(&mut probe, &x, &FiniteDifferences::default());
    }
}
