//! Gate activations of the recurrent cells: `act` applied to a gate's values in place, and
//! its derivative, with the branch-free fast paths of `kernels::activation` for the defaults.

use crate::buffer::grow;
use crate::kernels::activation::{sigmoid_in_place, tanh_in_place};
use crate::layers::activation::{Activation, ActivationFn};

/// `values ← act(values)`: elementwise, or for softmax over each block of `block` values (a
/// gate's `units`, as Keras applies it to each gate separately).
///
/// Sigmoid and tanh take the branch-free, vectorised [`sigmoid_in_place`] and [`tanh_in_place`]
/// of `kernels`; everything else goes through [`Activation::forward_in_place`].
pub(crate) fn activate(act: Activation, values: &mut [f32], block: usize) {
    match act {
        Activation::Linear => {}
        Activation::Sigmoid => sigmoid_in_place(values),
        Activation::Tanh => tanh_in_place(values),
        Activation::Softmax => {
            for chunk in values.chunks_exact_mut(block.max(1)) {
                act.forward_in_place(chunk, block);
            }
        }
        other => other.forward_in_place(values, block.max(1)),
    }
}

/// `d ← d ⊙ act'(z)` in place, with `y = act(z)` (`z` is read only when
/// [`Activation::backward_needs_input`]; softmax per block of `block` values). `scratch` holds
/// a copy of `d` for the activations that need one; grown, never shrunk.
pub(crate) fn activation_grad(
    act: Activation,
    z: &[f32],
    y: &[f32],
    d: &mut [f32],
    block: usize,
    scratch: &mut Vec<f32>,
) {
    match act {
        Activation::Linear => {}
        Activation::Sigmoid => d.iter_mut().zip(y).for_each(|(d, &y)| *d *= y * (1.0 - y)),
        Activation::Tanh => d.iter_mut().zip(y).for_each(|(d, &y)| *d *= 1.0 - y * y),
        other => {
            grow(scratch, d.len());
            let dy = &mut scratch[..d.len()];
            dy.copy_from_slice(d);
            let z = if other.backward_needs_input() { z } else { &[][..] };
            other.backward(z, y, dy, d, block.max(1));
        }
    }
}
