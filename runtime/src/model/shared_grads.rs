//! [`SharedGrads`]: the weight gradients of a layer applied more than once in a model (Keras's
//! shared layers), summed over its uses.

use crate::buffer::grow;
use crate::layers::Stage;

/// The sum of a shared layer's weight gradients over the uses whose backward pass has run.
///
/// A stage keeps what its backward pass needs from its last forward pass, and its backward
/// pass overwrites its weights' gradients. A model applying one layer at several nodes
/// therefore runs each use's backward right after a forward pass of that use, keeps the
/// gradients of the later uses here ([`SharedGrads::stash`]), and adds them to the first use's
/// ([`SharedGrads::add_into`]), so the layer's gradient is the sum over its uses, as in Keras.
#[derive(Clone, Debug, Default)]
pub struct SharedGrads {
    sum: Vec<f32>,
    held: bool,
}

impl SharedGrads {
    /// Adds `stage`'s weight gradients to the sum (the first call of a pass copies them).
    pub fn stash(&mut self, stage: &dyn Stage) {
        let mut at = 0;
        let held = self.held;
        let sum = &mut self.sum;
        stage.visit_params(&mut |p| {
            let n = p.grad.len();
            grow(sum, at + n);
            if held {
                sum[at..at + n].iter_mut().zip(p.grad).for_each(|(s, g)| *s += g);
            } else {
                sum[at..at + n].copy_from_slice(p.grad);
            }
            at += n;
        });
        self.held = true;
    }

    /// Adds the sum to `stage`'s weight gradients and empties it for the next pass.
    pub fn add_into(&mut self, stage: &mut dyn Stage) {
        if !self.held {
            return;
        }
        let mut at = 0;
        let sum = &self.sum;
        stage.visit_params_mut(&mut |p| {
            let n = p.grad.len();
            p.grad.iter_mut().zip(&sum[at..at + n]).for_each(|(g, s)| *g += s);
            at += n;
        });
        self.held = false;
    }
}
