//! Runtime per-sample dims: a small inline array, so shapes never allocate.

use std::fmt;

/// The highest rank of a per-sample shape.
pub const MAX_RANK: usize = 5;

/// Per-sample dims known at run time (batch axis excluded), rank 0..=[`MAX_RANK`].
///
/// Dims made by [`Dims::new`] from a caller's sizes always have a product that fits `usize`,
/// so [`Dims::numel`] cannot overflow; a batch of them is sized with [`Dims::batch_numel`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Dims {
    len: u8,
    dims: [usize; MAX_RANK],
}

impl Dims {
    /// Dims from a slice; `None` if the rank exceeds [`MAX_RANK`] or the product of the dims
    /// overflows `usize` (no sample that large can exist in memory).
    pub fn new(dims: &[usize]) -> Option<Dims> {
        if dims.len() > MAX_RANK || dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d)).is_none() {
            return None;
        }
        let mut out = Dims { len: dims.len() as u8, dims: [0; MAX_RANK] };
        out.dims[..dims.len()].copy_from_slice(dims);
        Some(out)
    }

    /// Const constructor from a fixed-size array of rank ≤ [`MAX_RANK`] (longer arrays are cut).
    pub const fn from_array<const N: usize>(dims: [usize; N]) -> Dims {
        let mut out = Dims { len: 0, dims: [0; MAX_RANK] };
        let mut i = 0;
        while i < N && i < MAX_RANK {
            out.dims[i] = dims[i];
            i += 1;
        }
        out.len = i as u8;
        out
    }

    /// The static dims of a shape type with runtime axes set to 0 (to be filled in).
    pub const fn from_static(dims: &[Option<usize>]) -> Dims {
        let mut out = Dims { len: 0, dims: [0; MAX_RANK] };
        let mut i = 0;
        while i < dims.len() && i < MAX_RANK {
            out.dims[i] = match dims[i] {
                Some(d) => d,
                None => 0,
            };
            i += 1;
        }
        out.len = i as u8;
        out
    }

    /// The dims as a slice.
    pub fn as_slice(&self) -> &[usize] {
        &self.dims[..self.len as usize]
    }

    /// Number of axes.
    pub fn rank(&self) -> usize {
        self.len as usize
    }

    /// Elements per sample (1 for rank 0).
    pub fn numel(&self) -> usize {
        self.as_slice().iter().product()
    }

    /// Elements in `batch` samples, `None` when that overflows `usize`.
    pub fn batch_numel(&self, batch: usize) -> Option<usize> {
        self.as_slice().iter().try_fold(batch, |n, &d| n.checked_mul(d))
    }

    /// The positions a mask covers: every axis but the last (the features or channels), so the
    /// steps of a sequence `[steps, features]` and the pixels of an image `[height, width,
    /// channels]` (row-major); the first axis at rank 1 (the steps of token ids), 1 at rank 0.
    pub fn mask_positions(&self) -> usize {
        let dims = self.as_slice();
        match dims.len() {
            0 => 1,
            1 => dims[0],
            r => dims[..r - 1].iter().product(),
        }
    }

    /// The last axis (1 for rank 0).
    pub fn last(&self) -> usize {
        self.as_slice().last().copied().unwrap_or(1)
    }

    /// These dims with the first axis (the time axis of a sequence) replaced by `d`.
    pub fn with_first(mut self, d: usize) -> Dims {
        if self.len > 0 {
            self.dims[0] = d;
        }
        self
    }

    /// These dims with axis `axis` replaced by `d` (unchanged past the rank).
    pub fn with_axis(mut self, axis: usize, d: usize) -> Dims {
        if axis < self.len as usize {
            self.dims[axis] = d;
        }
        self
    }

    /// These dims with the last axis replaced by `d`.
    pub fn with_last(mut self, d: usize) -> Dims {
        if self.len > 0 {
            self.dims[self.len as usize - 1] = d;
        }
        self
    }

    /// Whether these runtime dims fit a shape type's dims (`None` axes accept any size).
    pub fn fits(&self, pattern: &[Option<usize>]) -> bool {
        self.rank() == pattern.len()
            && self.as_slice().iter().zip(pattern).all(|(&d, p)| p.is_none_or(|p| p == d))
    }

    /// Formats a shape type's dims as Keras prints them with the batch axis: `(None, 64)`.
    pub fn keras_pattern(pattern: &[Option<usize>]) -> String {
        let mut s = String::from("(None");
        for d in pattern {
            match d {
                Some(d) => s.push_str(&format!(", {d}")),
                None => s.push_str(", None"),
            }
        }
        s.push(')');
        s
    }

    /// Formats these dims as Keras prints a runtime shape with its batch axis: `(None, 64)`.
    pub fn with_batch_none(&self) -> String {
        let pattern: Vec<Option<usize>> = self.as_slice().iter().map(|&d| Some(d)).collect();
        Dims::keras_pattern(&pattern)
    }

    /// Formats these dims with a concrete batch size: `(32, 64)`.
    pub fn with_batch(&self, batch: usize) -> String {
        let mut s = format!("({batch}");
        for d in self.as_slice() {
            s.push_str(&format!(", {d}"));
        }
        s.push(')');
        s
    }
}

impl fmt::Debug for Dims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Per-sample dims as in a `model!` `input:` line: `[64]`, `[28, 28, 1]`.
impl fmt::Display for Dims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, d) in self.as_slice().iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{d}")?;
        }
        write!(f, "]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        let d = Dims::new(&[3, 4]).unwrap();
        assert_eq!(d.numel(), 12);
        assert_eq!(d.last(), 4);
        assert_eq!(d.with_last(7).as_slice(), &[3, 7]);
        assert_eq!(d.to_string(), "[3, 4]");
        assert_eq!(d.with_batch(2), "(2, 3, 4)");
        assert!(d.fits(&[None, Some(4)]));
        assert!(!d.fits(&[Some(4), Some(4)]));
        assert!(Dims::new(&[1; 6]).is_none());
        assert_eq!(Dims::keras_pattern(&[None, Some(12)]), "(None, None, 12)");
        assert_eq!(Dims::from_static(&[Some(5), None]).as_slice(), &[5, 0]);
    }
}
