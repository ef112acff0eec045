//! Optimizers with Keras 3 semantics: [`Sgd`], [`Adam`], [`AdamW`], [`RmsProp`], and the
//! [`LearningRate`] they follow (a constant or an [`ExponentialDecay`] schedule).
//!
//! # Design: plain configs, built optimizers
//!
//! Each optimizer is written as a plain config struct whose fields are all public and whose
//! `Default` holds the Keras defaults, so a config reads like the Keras call:
//!
//! ```
//! use shaped_runtime::train::optim::{Adam, IntoOptimizer, Optimizer};
//!
//! // keras.optimizers.Adam(learning_rate=3e-4, clipnorm=1.0)
//! let config = Adam { learning_rate: 3e-4.into(), clipnorm: Some(1.0), ..Default::default() };
//! let optimizer: Box<dyn Optimizer> = config.into_optimizer()?;
//! assert_eq!((optimizer.name(), optimizer.iterations()), ("adam", 0));
//! # Ok::<(), shaped_runtime::Error>(())
//! ```
//!
//! The state (`iterations`, momentum buffers, `m`, `v`, `v̂`, …) is not part of the config: it
//! lives in a private optimizer that [`IntoOptimizer::into_optimizer`] builds from the config
//! after checking it the way the Keras constructors do (at most one of `clipnorm`, `clipvalue`
//! and `global_clipnorm`; SGD momentum in `[0, 1]`; schedule `decay_steps > 0`). That object
//! implements the object-safe [`Optimizer`] trait, which is all the training loop sees.
//! `compile` takes `impl IntoOptimizer` and propagates its `Result`; a custom optimizer is any
//! type implementing [`Optimizer`] (it is its own `IntoOptimizer`), or a `Box<dyn Optimizer>`.
//!
//! # One step (Keras `base_optimizer.apply`)
//!
//! [`Optimizer::apply_gradients`] runs, for the step that follows `iterations` applied steps
//! and with `lr = learning_rate.at(iterations)`:
//! 1. gradient clipping, at most one kind: `clipnorm` per tensor
//!    `g ← g·c / max(‖g‖, c)`; or `global_clipnorm` `g ← g·c·min(1/N, 1/c)` with `N` the norm
//!    of all gradients together; or `clipvalue` `g ← clamp(g, −c, c)`. As in Keras a value
//!    `≤ 0` disables clipping;
//! 2. decoupled weight decay when set: `w ← w − w·wd·lr`, before the update;
//! 3. the optimizer's update rule (see each config);
//! 4. `iterations ← iterations + 1`.
//!
//! Arithmetic is `f32` in the same operation order as Keras, so trajectories agree with Keras
//! to about 1e-6; only the sums of squares behind the norms are accumulated in `f64` (Keras
//! backends reduce pairwise, which is closer to an `f64` sum than to a sequential `f32` one).
//! A NaN or infinite gradient propagates into the weights, as in Keras: nothing panics.

mod adam;
mod check;
mod rmsprop;
mod schedule;
mod sgd;

pub use adam::{Adam, AdamW};
pub use rmsprop::RmsProp;
pub use schedule::{ExponentialDecay, LearningRate};
pub use sgd::Sgd;

use crate::error::{Error, Result};
use crate::layers::ParamMut;
use check::{check, Allowed};

/// A built optimizer: updates weights from their gradients, one step per call.
///
/// A step over parameters `w` with gradients `g` and `lr = learning_rate(iterations)` is
/// `clip(g)`, then `w ← w − w·wd·lr` (if weight decay is set), then the update rule, then
/// `iterations += 1` (see the [module docs](self)).
pub trait Optimizer {
    /// The Keras name: `"sgd"`, `"adam"`, `"adamw"` or `"rmsprop"` for the built-in ones.
    fn name(&self) -> &'static str;

    /// Keras `optimizer.iterations`: the number of steps applied so far (starts at 0).
    fn iterations(&self) -> u64;

    /// The learning rate the next step will use: `learning_rate.at(iterations)`.
    fn current_learning_rate(&self) -> f32;

    /// Sets a constant learning rate: `lr(t) = lr` from the next step on.
    ///
    /// Like Keras, this is an [`Error::InvalidArgument`] naming the schedule when the optimizer
    /// follows a schedule; unlike Keras, a NaN, infinite or negative `lr` is one too.
    fn set_learning_rate(&mut self, lr: f32) -> Result<()>;

    /// Forgets the state of every step so far (moments, velocities, the iteration count), as a
    /// newly built optimizer: what training does after a step made a weight non-finite, whose
    /// state may hold NaN. Default: nothing (an optimizer without state).
    fn reset_state(&mut self) {}

    /// Whether a step can be undone for free: `true` promises that [`apply_gradients`] leaves,
    /// in the [`ParamMut::grad`] buffer of every parameter it updates, that parameter's values
    /// from before the step, and reports the first non-finite value it wrote through
    /// [`Optimizer::take_non_finite`]. The built-in optimizers do both inside their update loop.
    /// With `false` (the default), training copies each parameter before the optimizer updates
    /// it and scans it after: the same guarantee, at the cost of a copy and a scan per step.
    ///
    /// [`apply_gradients`]: Optimizer::apply_gradients
    fn keeps_previous_values(&self) -> bool {
        false
    }

    /// The first value the last step made NaN or infinite, and forgets it (see
    /// [`Optimizer::keeps_previous_values`]). Default: `None`.
    fn take_non_finite(&mut self) -> Option<NonFiniteValue> {
        None
    }

    /// One optimisation step over every parameter.
    ///
    /// `visit` calls its argument once per parameter, always in the same order: the position in
    /// that order keys the optimizer state (the momentum of parameter 3 is the one it had at
    /// position 3 on the previous step). The gradient is in [`ParamMut::grad`], which may be
    /// modified in place (clipping). `visit` may be called more than once per step (global
    /// norm clipping reads every gradient first); each call must show the same parameters.
    /// When `visit` shows no parameter, nothing happens and `iterations` does not advance
    /// (Keras returns early on an empty gradient list).
    // The visitor is spelled out rather than aliased so that implementations read alike.
    #[allow(clippy::type_complexity)]
    fn apply_gradients(&mut self, visit: &mut dyn FnMut(&mut dyn FnMut(ParamMut<'_>)));

    /// Whether `apply_gradients` calls `visit` exactly once per step and updates each parameter
    /// from its own gradient alone (no statistic over all gradients, as `global_clipnorm`
    /// needs). The training loop then computes each layer's gradients just before the
    /// optimiser visits that layer, while they are still in cache. The results are the same:
    /// a layer's weights are not read again after its own backward pass. Default `false`.
    fn updates_in_one_pass(&self) -> bool {
        false
    }

    /// Everything later steps depend on (the iteration count, a constant learning rate set
    /// since, each parameter's slots such as Adam's `m` and `v`), for whole-model files
    /// (`Compiled::save`). The built-in optimizers return it; the default, `None`, is for an
    /// optimizer without state, or one that does not expose it: a file then records only its
    /// [`Optimizer::name`], and training resumed from the file restarts that optimizer's state,
    /// so it is not the training that would have run on (its first steps use fresh moments).
    fn state(&self) -> Option<OptimizerState> {
        None
    }

    /// Restores what [`Optimizer::state`] returned, replacing the current state. `Err` when
    /// the state does not fit (other slots than this optimizer keeps). The default ignores it
    /// (see [`Optimizer::state`]).
    fn load_state(&mut self, state: OptimizerState) -> Result<()> {
        let _ = state;
        Ok(())
    }
}

pub use crate::io::optimizer_state::{OptimizerState, ParamState};

/// A weight a step made NaN or infinite: its full path (`dense_1/kernel`), the flat index of
/// the first such value, and the value.
#[derive(Clone, Debug, PartialEq)]
pub struct NonFiniteValue {
    /// The weight's path.
    pub name: String,
    /// The flat index of its first non-finite value.
    pub index: usize,
    /// That value: NaN, `inf` or `-inf`.
    pub value: f32,
}

impl NonFiniteValue {
    /// The first non-finite value of `data`, named `name`; `None` when all are finite.
    pub fn find(name: &str, data: &[f32]) -> Option<Self> {
        let index = data.iter().position(|v| !v.is_finite())?;
        Some(NonFiniteValue { name: name.to_string(), index, value: data[index] })
    }
}

/// Builds an [`Optimizer`] from a config, checking its arguments like the Keras constructors.
///
/// Implemented by the configs ([`Sgd`], [`Adam`], [`AdamW`], [`RmsProp`]), by every
/// `Optimizer` (which returns itself, boxed) and by `Box<dyn Optimizer>`.
pub trait IntoOptimizer {
    /// `Ok(optimizer)` with `iterations = 0` and empty state, or the
    /// [`Error::InvalidArgument`] Keras would raise for this config.
    fn into_optimizer(self) -> Result<Box<dyn Optimizer>>;
}

impl<O: Optimizer + 'static> IntoOptimizer for O {
    /// `Ok(Box::new(self))`: a custom optimizer is used as it is.
    fn into_optimizer(self) -> Result<Box<dyn Optimizer>> {
        Ok(Box::new(self))
    }
}

impl IntoOptimizer for Box<dyn Optimizer> {
    /// `Ok(self)`.
    fn into_optimizer(self) -> Result<Box<dyn Optimizer>> {
        Ok(self)
    }
}

/// The arguments every Keras optimizer shares, as passed to the config.
pub(crate) struct BaseConfig {
    pub(crate) learning_rate: LearningRate,
    pub(crate) weight_decay: Option<f32>,
    pub(crate) clipnorm: Option<f32>,
    pub(crate) clipvalue: Option<f32>,
    pub(crate) global_clipnorm: Option<f32>,
}

/// Which gradient clipping applies (Keras `_clip_gradients`: an if/elif chain on `c > 0`).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Clip {
    None,
    /// Per tensor: `g ← g·c / max(‖g‖, c)`.
    Norm(f32),
    /// All tensors together: `g ← g·c·min(1/N, 1/c)`, `N` the global norm.
    GlobalNorm(f32),
    /// Element-wise: `g ← clamp(g, −c, c)`.
    Value(f32),
}

impl Clip {
    /// Keras: more than one of the three set (even to 0) is an error; one set to a value
    /// `≤ 0` (or NaN) disables clipping.
    fn new(clipnorm: Option<f32>, clipvalue: Option<f32>, global_clipnorm: Option<f32>) -> Result<Self> {
        let set = [("clipnorm", clipnorm), ("clipvalue", clipvalue), ("global_clipnorm", global_clipnorm)];
        let mut names = set.iter().filter(|(_, v)| v.is_some()).map(|(n, _)| *n);
        if let (Some(first), Some(second)) = (names.next(), names.next()) {
            return Err(Error::InvalidArgument {
                name: second,
                detail: format!(
                    "only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set, but `{first}` \
                     is set too (clipnorm={clipnorm:?}, clipvalue={clipvalue:?}, \
                     global_clipnorm={global_clipnorm:?})"
                ),
            });
        }
        let positive = |v: Option<f32>| v.filter(|c| *c > 0.0);
        Ok(if let Some(c) = positive(clipnorm) {
            Clip::Norm(c)
        } else if let Some(c) = positive(global_clipnorm) {
            Clip::GlobalNorm(c)
        } else if let Some(c) = positive(clipvalue) {
            Clip::Value(c)
        } else {
            Clip::None
        })
    }
}

/// The per-parameter part of an optimizer: its state layout and its `update_step`.
pub(crate) trait UpdateRule {
    /// How many `f32` buffers of the parameter's length the rule keeps per parameter.
    fn buffers(&self) -> usize;

    /// The Keras name of each buffer, in their order in a parameter's state (`buffers()` of
    /// them): Adam's `momentum`, `velocity` (and `velocity_hat`).
    fn slot_names(&self) -> Vec<&'static str>;

    /// Checks the rule's own arguments, naming `optimizer` in the error.
    fn validate(&self, optimizer: &str) -> Result<()>;

    /// Keras `update_step` for one parameter, after decoupled weight decay `w ← w − w·wd·lr`
    /// when `decay` is `Some(wd)`: `state` holds [`UpdateRule::buffers`] buffers of `w.len()`
    /// values each, back to back, zero before the first step; `iterations` is the number of
    /// steps applied before this one.
    ///
    /// Afterwards `g` holds the values `w` had before the step, and the result says whether
    /// every new value is finite (see [`Optimizer::keeps_previous_values`]).
    fn update(
        &self,
        w: &mut [f32],
        g: &mut [f32],
        state: &mut [f32],
        lr: f32,
        iterations: u64,
        decay: Option<f32>,
    ) -> bool;
}

/// A built optimizer: shared arguments, an update rule, and the state keyed by parameter index.
#[derive(Debug)]
pub(crate) struct Built<R> {
    name: &'static str,
    learning_rate: LearningRate,
    weight_decay: Option<f32>,
    clip: Clip,
    iterations: u64,
    rule: R,
    /// `state[i]`: the rule's buffers for the parameter at position `i` of `visit`.
    state: Vec<Vec<f32>>,
    /// `names[i]`: the path of the parameter at position `i`, which `state[i]` belongs to.
    names: Vec<String>,
    /// The first value the last step made non-finite.
    non_finite: Option<NonFiniteValue>,
}

impl<R: UpdateRule + 'static> Built<R> {
    /// Validates the shared arguments and boxes the optimizer.
    pub(crate) fn boxed(name: &'static str, base: BaseConfig, rule: R) -> Result<Box<dyn Optimizer>> {
        base.learning_rate.validate(name)?;
        if let Some(wd) = base.weight_decay {
            check(name, "weight_decay", wd, Allowed::NonNegative)?;
        }
        rule.validate(name)?;
        let clip = Clip::new(base.clipnorm, base.clipvalue, base.global_clipnorm)?;
        Ok(Box::new(Built {
            name,
            learning_rate: base.learning_rate,
            weight_decay: base.weight_decay,
            clip,
            iterations: 0,
            rule,
            state: Vec::new(),
            names: Vec::new(),
            non_finite: None,
        }))
    }
}

impl<R: UpdateRule> Optimizer for Built<R> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn iterations(&self) -> u64 {
        self.iterations
    }

    fn current_learning_rate(&self) -> f32 {
        self.learning_rate.at(self.iterations)
    }

    fn set_learning_rate(&mut self, lr: f32) -> Result<()> {
        match &self.learning_rate {
            LearningRate::Constant(_) => {
                check(self.name, "learning_rate", lr, Allowed::NonNegative)?;
                self.learning_rate = LearningRate::Constant(lr);
                Ok(())
            }
            LearningRate::ExponentialDecay(schedule) => Err(Error::InvalidArgument {
                name: "learning_rate",
                detail: format!(
                    "optimizer `{}` was built with the learning rate schedule {schedule:?}, so its \
                     learning rate cannot be set to {lr}; build it with a constant learning rate \
                     (`learning_rate: {lr}.into()`) to make it settable",
                    self.name
                ),
            }),
        }
    }

    fn updates_in_one_pass(&self) -> bool {
        !matches!(self.clip, Clip::GlobalNorm(_))
    }

    fn reset_state(&mut self) {
        self.iterations = 0;
        self.state.clear();
        self.names.clear();
        self.non_finite = None;
    }

    fn state(&self) -> Option<OptimizerState> {
        let slot_names = self.rule.slot_names();
        let params = self
            .names
            .iter()
            .zip(&self.state)
            .map(|(name, values)| {
                let len = values.len() / slot_names.len().max(1);
                let slots = slot_names
                    .iter()
                    .enumerate()
                    .map(|(k, slot)| (slot.to_string(), values[k * len..(k + 1) * len].to_vec()))
                    .collect();
                ParamState { name: name.clone(), slots }
            })
            .collect();
        let learning_rate = match self.learning_rate {
            LearningRate::Constant(lr) => Some(lr),
            LearningRate::ExponentialDecay(_) => None,
        };
        Some(OptimizerState { iterations: self.iterations, learning_rate, params })
    }

    fn load_state(&mut self, state: OptimizerState) -> Result<()> {
        let slot_names = self.rule.slot_names();
        let mut values = Vec::with_capacity(state.params.len());
        let mut names = Vec::with_capacity(state.params.len());
        for param in state.params {
            let found: Vec<&str> = param.slots.iter().map(|(n, _)| n.as_str()).collect();
            if found != slot_names {
                return Err(Error::InvalidArgument {
                    name: "optimizer",
                    detail: format!(
                        "optimizer `{}` keeps the slots {slot_names:?} for each weight, but the saved state of `{}` has {found:?}",
                        self.name, param.name
                    ),
                });
            }
            let len = param.slots.first().map_or(0, |(_, v)| v.len());
            if param.slots.iter().any(|(_, v)| v.len() != len) {
                return Err(Error::InvalidArgument {
                    name: "optimizer",
                    detail: format!("the saved slots of `{}` differ in length", param.name),
                });
            }
            values.push(param.slots.into_iter().flat_map(|(_, v)| v).collect());
            names.push(param.name);
        }
        if let (Some(lr), LearningRate::Constant(_)) = (state.learning_rate, &self.learning_rate) {
            check(self.name, "learning_rate", lr, Allowed::NonNegative)?;
            self.learning_rate = LearningRate::Constant(lr);
        }
        self.iterations = state.iterations;
        self.state = values;
        self.names = names;
        self.non_finite = None;
        Ok(())
    }

    fn keeps_previous_values(&self) -> bool {
        true
    }

    fn take_non_finite(&mut self) -> Option<NonFiniteValue> {
        self.non_finite.take()
    }

    fn apply_gradients(&mut self, visit: &mut dyn FnMut(&mut dyn FnMut(ParamMut<'_>))) {
        let lr = self.learning_rate.at(self.iterations);
        let global_scale = match self.clip {
            Clip::GlobalNorm(c) => {
                let mut sum = 0.0f64;
                visit(&mut |p: ParamMut<'_>| sum += sum_of_squares(p.grad));
                Some(global_clip_scale(sum, c))
            }
            _ => None,
        };
        let Built { clip, weight_decay, iterations, rule, state, names, non_finite, .. } = self;
        let (clip, weight_decay, iterations) = (*clip, *weight_decay, *iterations);
        let buffers = rule.buffers();
        let mut index = 0usize;
        visit(&mut |p: ParamMut<'_>| {
            match (clip, global_scale) {
                (Clip::Norm(c), _) => clip_by_norm(p.grad, c),
                (Clip::GlobalNorm(_), Some(scale)) => p.grad.iter_mut().for_each(|g| *g *= scale),
                (Clip::Value(c), _) => p.grad.iter_mut().for_each(|g| *g = clamp(*g, c)),
                _ => {}
            }
            let len = buffers * p.data.len();
            let slot = match state.get_mut(index) {
                Some(slot) => {
                    if slot.len() != len {
                        // The parameter at this position changed size: its state starts over.
                        slot.clear();
                        slot.resize(len, 0.0);
                    }
                    slot
                }
                None => {
                    state.push(vec![0.0; len]);
                    names.push(p.name.to_string());
                    &mut state[index]
                }
            };
            // Keras `_apply_weight_decay` (`variable - variable * wd * lr`) happens inside the
            // rule's loop, before its update.
            if !rule.update(p.data, p.grad, slot, lr, iterations, weight_decay) && non_finite.is_none() {
                *non_finite = NonFiniteValue::find(p.name, p.data);
            }
            index += 1;
        });
        if index > 0 {
            self.iterations = self.iterations.saturating_add(1);
        }
    }
}

/// The loop every scalar update rule shares: for each element, `w` decayed (Keras's
/// `w − w·wd·lr` when `decay` is `Some(wd)`), then `w ← rule(i, w, g)`; `g` is left holding the
/// value `w` had before the step. Returns whether every new value is finite.
pub(crate) fn each_weight(
    w: &mut [f32],
    g: &mut [f32],
    decay: Option<f32>,
    lr: f32,
    mut rule: impl FnMut(usize, f32, f32) -> f32,
) -> bool {
    let mut non_finite = false;
    for (i, (w, g)) in w.iter_mut().zip(g.iter_mut()).enumerate() {
        let (old, grad) = (*w, *g);
        let decayed = match decay {
            Some(wd) => old - old * wd * lr,
            None => old,
        };
        let new = rule(i, decayed, grad);
        *w = new;
        *g = old;
        non_finite |= !new.is_finite();
    }
    !non_finite
}

/// `Σ g²`, accumulated in `f64`.
fn sum_of_squares(g: &[f32]) -> f64 {
    g.iter().map(|&x| f64::from(x) * f64::from(x)).sum()
}

/// Keras `_clip_by_norm`: `g ← g·c / max(‖g‖, c)`, with `‖g‖ = 0` when `Σg² = 0` and NaN
/// propagating through the max.
fn clip_by_norm(g: &mut [f32], c: f32) {
    let l2sum = sum_of_squares(g) as f32;
    let l2norm = if l2sum > 0.0 { l2sum.sqrt() } else { l2sum };
    let denominator = nan_max(l2norm, c);
    g.iter_mut().for_each(|x| *x = *x * c / denominator);
}

/// Keras `clip_by_global_norm`: `scale = c·min(1/N, 1/c)` with `N = √(Σ g²)` over all
/// gradients, and NaN when `N` is infinite or NaN (Keras adds `N − N` to the scale).
fn global_clip_scale(sum_of_squares: f64, c: f32) -> f32 {
    let norm = (sum_of_squares as f32).sqrt();
    if norm.is_finite() {
        c * (1.0 / norm).min(1.0 / c)
    } else {
        f32::NAN
    }
}

/// `clamp(g, −c, c)` for `c > 0`, keeping NaN (Keras `ops.clip`).
fn clamp(g: f32, c: f32) -> f32 {
    if g > c {
        c
    } else if g < -c {
        -c
    } else {
        g
    }
}

/// `max(a, b)` that propagates NaN, like `ops.maximum` (`f32::max` ignores NaN).
pub(crate) fn nan_max(a: f32, b: f32) -> f32 {
    if a.is_nan() || a >= b {
        a
    } else {
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `w ← w − lr·g`, and counts its calls per element in its one state buffer.
    #[derive(Debug)]
    struct Plain;

    impl UpdateRule for Plain {
        fn validate(&self, _optimizer: &str) -> Result<()> {
            Ok(())
        }
        fn buffers(&self) -> usize {
            1
        }
        fn slot_names(&self) -> Vec<&'static str> {
            vec!["count"]
        }
        fn update(
            &self,
            w: &mut [f32],
            g: &mut [f32],
            state: &mut [f32],
            lr: f32,
            _iterations: u64,
            decay: Option<f32>,
        ) -> bool {
            each_weight(w, g, decay, lr, |i, old, grad| {
                state[i] += 1.0;
                old - lr * grad
            })
        }
    }

    fn base(lr: f32) -> BaseConfig {
        BaseConfig {
            learning_rate: lr.into(),
            weight_decay: None,
            clipnorm: None,
            clipvalue: None,
            global_clipnorm: None,
        }
    }

    fn built(base: BaseConfig) -> Built<Plain> {
        Built {
            name: "plain",
            learning_rate: base.learning_rate,
            weight_decay: base.weight_decay,
            clip: Clip::new(base.clipnorm, base.clipvalue, base.global_clipnorm).unwrap(),
            iterations: 0,
            rule: Plain,
            state: Vec::new(),
            names: Vec::new(),
            non_finite: None,
        }
    }

    /// Two steps of Adam on one weight, with the state saved and loaded into a fresh optimizer
    /// between them, land on the bits of two steps without the break.
    #[test]
    fn state_round_trips_into_a_fresh_optimizer() {
        let step = |opt: &mut dyn Optimizer, w: &mut [f32; 3]| {
            let mut g = [0.3f32, -0.2, 0.1];
            opt.apply_gradients(&mut |f| {
                f(ParamMut {
                    name: "dense/kernel",
                    shape: &[3],
                    data: &mut w[..],
                    grad: &mut g[..],
                    trainable: true,
                })
            });
        };
        let mut straight = Adam::default().into_optimizer().unwrap();
        let mut w1 = [1.0f32, 2.0, 3.0];
        step(&mut *straight, &mut w1);
        let saved = straight.state().unwrap();
        assert_eq!(saved.iterations, 1);
        assert_eq!(saved.params[0].name, "dense/kernel");
        let slots: Vec<&str> = saved.params[0].slots.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(slots, ["momentum", "velocity"]);
        let mut w2 = w1;
        step(&mut *straight, &mut w1);

        let mut resumed = Adam::default().into_optimizer().unwrap();
        resumed.load_state(saved.clone()).unwrap();
        step(&mut *resumed, &mut w2);
        assert_eq!(w1.map(f32::to_bits), w2.map(f32::to_bits));

        // Another optimizer's slots are refused.
        let mut sgd = Sgd { momentum: 0.9, ..Default::default() }.into_optimizer().unwrap();
        let err = sgd.load_state(saved).unwrap_err().to_string();
        assert!(err.contains("[\"momentum\"]") && err.contains("dense/kernel"), "{err}");
        assert_eq!(sgd.iterations(), 0);
    }

    #[test]
    fn only_one_clip_option_may_be_set() {
        let err = Clip::new(Some(1.0), None, Some(0.0)).unwrap_err().to_string();
        assert!(err.contains("global_clipnorm") && err.contains("only one"), "{err}");
        assert_eq!(Clip::new(None, Some(0.5), None).unwrap(), Clip::Value(0.5));
        // Keras: `if self.clipnorm and self.clipnorm > 0`, so 0, negative and NaN disable clipping.
        assert_eq!(Clip::new(Some(0.0), None, None).unwrap(), Clip::None);
        assert_eq!(Clip::new(None, Some(-1.0), None).unwrap(), Clip::None);
        assert_eq!(Clip::new(None, None, Some(f32::NAN)).unwrap(), Clip::None);
    }

    // np.float32 arithmetic: g * 2 / max(5, 2) for g = [3, 4]; a zero gradient stays zero.
    #[test]
    fn clip_by_norm_scales_to_the_norm() {
        let mut g = [3.0, 4.0];
        clip_by_norm(&mut g, 2.0);
        assert_eq!(g, [1.2, 1.6]);
        let mut zero = [0.0, 0.0];
        clip_by_norm(&mut zero, 2.0);
        assert_eq!(zero, [0.0, 0.0]);
        let mut nan = [f32::NAN, 1.0];
        clip_by_norm(&mut nan, 2.0);
        assert!(nan.iter().all(|x| x.is_nan()));
    }

    #[test]
    fn global_scale_is_nan_for_an_infinite_norm_and_about_one_below_the_threshold() {
        assert!(global_clip_scale(f64::INFINITY, 1.0).is_nan());
        assert!((global_clip_scale(0.0, 3.0) - 1.0).abs() < 1e-7);
        assert_eq!(global_clip_scale(100.0, 5.0), 0.5);
    }

    #[test]
    fn state_is_created_once_per_index_and_reset_when_the_size_changes() {
        let mut opt = built(base(0.5));
        let mut params = vec![vec![1.0f32; 3], vec![1.0f32; 2]];
        let step = |opt: &mut Built<Plain>, params: &mut Vec<Vec<f32>>| {
            let mut grads: Vec<Vec<f32>> = params.iter().map(|p| vec![1.0; p.len()]).collect();
            opt.apply_gradients(&mut |f| {
                for (w, g) in params.iter_mut().zip(grads.iter_mut()) {
                    f(ParamMut { name: "w", shape: &[], data: w, grad: g, trainable: true });
                }
            });
        };
        step(&mut opt, &mut params);
        step(&mut opt, &mut params);
        assert_eq!(opt.state, vec![vec![2.0; 3], vec![2.0; 2]]);
        assert_eq!(opt.iterations(), 2);
        params[1] = vec![0.0; 4];
        step(&mut opt, &mut params);
        assert_eq!(opt.state, vec![vec![3.0; 3], vec![1.0; 4]]);
    }

    #[test]
    fn no_parameters_means_no_step() {
        let mut opt = built(base(0.5));
        opt.apply_gradients(&mut |_| {});
        assert_eq!(opt.iterations(), 0);
    }

    #[test]
    fn weight_decay_is_applied_before_the_update_with_the_current_rate() {
        let mut opt = built(BaseConfig { weight_decay: Some(0.1), ..base(0.5) });
        let (mut w, mut g) = ([2.0f32], [1.0f32]);
        opt.apply_gradients(&mut |f| {
            f(ParamMut { name: "w", shape: &[1], data: &mut w, grad: &mut g, trainable: true })
        });
        // w = 2 − 2·0.1·0.5 = 1.9, then 1.9 − 0.5·1 = 1.4
        assert_eq!(w, [1.9f32 - 0.5]);
    }

    #[test]
    fn nan_max_propagates_nan() {
        assert!(nan_max(f32::NAN, 1.0).is_nan());
        assert!(nan_max(1.0, f32::NAN).is_nan());
        assert_eq!(nan_max(1.0, 2.0), 2.0);
    }
}
