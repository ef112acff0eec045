//! A layer's output dims at run time, by its shared shape rule (`shaped::rules`): the same
//! `const fn` the `model!` macro evaluates while it expands and the const checks evaluate after
//! a custom layer, so the three tiers cannot disagree.

use crate::error::{Error, Result};
use crate::shape::{Dims, MAX_RANK};
use shaped_rules::{ConstDims, Fail};

/// The output dims of `layer` for one input of per-sample dims `input`, by `rule`; `Err` with
/// the rule's message, naming the layer.
pub(crate) fn rule_dims_one(
    layer: &str,
    input: Dims,
    rule: impl FnOnce(&[Option<usize>]) -> Result<ConstDims, Fail>,
) -> Result<Dims> {
    let mut known = [None; MAX_RANK];
    for (o, &v) in known.iter_mut().zip(input.as_slice()) {
        *o = Some(v);
    }
    let known = &known[..input.rank()];
    let out = rule(known)
        .map_err(|fail| Error::Inputs { layer: layer.into(), reason: fail.message(known).to_string() })?;
    to_dims(layer, out)
}

/// How many inputs' dims [`rule_dims`] converts on the stack; a merge of more allocates.
const STACK_INPUTS: usize = 16;

/// Runs a shared shape rule on the dims of `n` inputs (`dims(j)` for input `j`) and returns the
/// output's dims, or [`Error::Inputs`] with the rule's message, naming `layer`.
pub(crate) fn rule_dims(
    layer: &str,
    n: usize,
    dims: impl Fn(usize) -> Dims,
    rule: impl FnOnce(&[&[Option<usize>]]) -> Result<ConstDims, Fail>,
) -> Result<Dims> {
    let known = |d: Dims| {
        let mut out = [None; MAX_RANK];
        for (o, &v) in out.iter_mut().zip(d.as_slice()) {
            *o = Some(v);
        }
        (out, d.rank())
    };
    let result = if n <= STACK_INPUTS {
        let converted: [([Option<usize>; MAX_RANK], usize); STACK_INPUTS] =
            std::array::from_fn(|j| if j < n { known(dims(j)) } else { ([None; MAX_RANK], 0) });
        let slices: [&[Option<usize>]; STACK_INPUTS] =
            std::array::from_fn(|j| &converted[j].0[..converted[j].1]);
        rule(&slices[..n])
    } else {
        let converted: Vec<_> = (0..n).map(|j| known(dims(j))).collect();
        let slices: Vec<&[Option<usize>]> = converted.iter().map(|(d, r)| &d[..*r]).collect();
        rule(&slices)
    };
    let out = result
        .map_err(|fail| Error::Inputs { layer: layer.into(), reason: fail.message(&[]).to_string() })?;
    to_dims(layer, out)
}

/// A rule's output as runtime dims (every axis is known at run time, so every output axis is).
fn to_dims(layer: &str, out: ConstDims) -> Result<Dims> {
    let mut sizes = [0usize; MAX_RANK];
    for (s, d) in sizes.iter_mut().zip(out.as_slice()) {
        // Every input axis is known at run time, so every output axis is.
        *s = d.ok_or_else(|| Error::Inputs {
            layer: layer.into(),
            reason: format!("gives an output axis of unknown size, {:?}", out.as_slice()),
        })?;
    }
    Dims::new(&sizes[..out.rank()]).ok_or_else(|| Error::Inputs {
        layer: layer.into(),
        reason: format!(
            "would output {:?}, more values per sample than this machine can address",
            out.as_slice()
        ),
    })
}
