//! [`ConstDims`]: per-sample dims computed in const contexts (`None` for a runtime axis).

/// The highest rank of a per-sample shape.
pub const MAX_RANK: usize = 5;

/// Up to [`MAX_RANK`] dims, `None` for a runtime axis, built and transformed in const fns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConstDims {
    len: usize,
    dims: [Option<usize>; MAX_RANK],
}

impl ConstDims {
    /// The dims of a shape (cut at rank [`MAX_RANK`]).
    pub const fn new(dims: &[Option<usize>]) -> ConstDims {
        let mut out = ConstDims { len: 0, dims: [None; MAX_RANK] };
        while out.len < dims.len() && out.len < MAX_RANK {
            out.dims[out.len] = dims[out.len];
            out.len += 1;
        }
        out
    }

    /// The dims as a slice.
    pub const fn as_slice(&self) -> &[Option<usize>] {
        self.dims.split_at(self.len).0
    }

    /// The number of axes.
    pub const fn rank(&self) -> usize {
        self.len
    }

    /// A copy with the last axis set to `d` (unchanged at rank 0).
    pub const fn with_last(mut self, d: Option<usize>) -> ConstDims {
        if self.len > 0 {
            self.dims[self.len - 1] = d;
        }
        self
    }

    /// A copy with `d` appended (unchanged at rank [`MAX_RANK`]).
    pub const fn push(mut self, d: Option<usize>) -> ConstDims {
        if self.len < MAX_RANK {
            self.dims[self.len] = d;
            self.len += 1;
        }
        self
    }
}

/// The product of `dims`, `None` if any axis is a runtime axis or the product overflows.
pub const fn numel(dims: &[Option<usize>]) -> Option<usize> {
    let mut n = 1usize;
    let mut i = 0;
    while i < dims.len() {
        match dims[i] {
            Some(d) => match n.checked_mul(d) {
                Some(m) => n = m,
                None => return None,
            },
            None => return None,
        }
        i += 1;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn building_and_counting() {
        const D: ConstDims = ConstDims::new(&[Some(4), Some(8)]);
        assert_eq!(D.with_last(Some(3)).as_slice(), &[Some(4), Some(3)]);
        assert_eq!(ConstDims::new(&[None]).push(Some(2)).as_slice(), &[None, Some(2)]);
        assert_eq!(numel(&[Some(4), Some(8)]), Some(32));
        assert_eq!(numel(&[None, Some(8)]), None);
        assert_eq!(numel(&[Some(usize::MAX), Some(2)]), None);
        assert_eq!(numel(&[]), Some(1));
    }
}
