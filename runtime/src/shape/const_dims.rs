//! [`ConstDims`]: per-sample dims computed in const contexts, so the `model!` macro can follow
//! a shape through built-in layers after a custom layer without asking the type system.

use super::shape_trait::numel;

/// Up to 5 dims, `None` for a runtime axis, built and transformed in const fns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConstDims {
    len: usize,
    dims: [Option<usize>; 5],
}

impl ConstDims {
    /// The dims of a shape (cut at rank 5).
    pub const fn new(dims: &[Option<usize>]) -> ConstDims {
        let mut out = ConstDims { len: 0, dims: [None; 5] };
        while out.len < dims.len() && out.len < 5 {
            out.dims[out.len] = dims[out.len];
            out.len += 1;
        }
        out
    }

    /// The dims as a slice.
    pub const fn as_slice(&self) -> &[Option<usize>] {
        self.dims.split_at(self.len).0
    }

    /// What `Dense(units)` outputs: the last axis replaced.
    pub const fn with_last(mut self, d: usize) -> ConstDims {
        if self.len > 0 {
            self.dims[self.len - 1] = Some(d);
        }
        self
    }

    /// What `Flatten` outputs: one axis holding every element (`None` if any axis is runtime).
    pub const fn flattened(self) -> ConstDims {
        ConstDims { len: 1, dims: [numel(self.as_slice()), None, None, None, None] }
    }

    /// What `Reshape(target)` outputs, `None` in `target` being the inferred `-1` axis.
    pub const fn reshaped(self, target: &[Option<usize>]) -> ConstDims {
        let mut out = ConstDims::new(target);
        let mut known = 1;
        let mut i = 0;
        while i < out.len {
            if let Some(d) = out.dims[i] {
                known *= d;
            }
            i += 1;
        }
        let mut i = 0;
        while i < out.len {
            if out.dims[i].is_none() {
                out.dims[i] = match numel(self.as_slice()) {
                    Some(n) if known > 0 => Some(n / known),
                    _ => None,
                };
            }
            i += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_builtin_rules() {
        const D: ConstDims = ConstDims::new(&[Some(4), Some(8)]);
        assert_eq!(D.with_last(3).as_slice(), &[Some(4), Some(3)]);
        assert_eq!(D.flattened().as_slice(), &[Some(32)]);
        assert_eq!(D.reshaped(&[None, Some(4)]).as_slice(), &[Some(8), Some(4)]);
        assert_eq!(ConstDims::new(&[None, Some(2)]).flattened().as_slice(), &[None]);
    }
}
