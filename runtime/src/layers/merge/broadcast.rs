//! [`Broadcast`]: which element of each input every element of a broadcast output reads, for
//! Keras's elementwise merges (size-1 broadcasting; an input of lower rank is aligned from the
//! last axis, as if it had leading axes of size 1).

use crate::shape::{Dims, MAX_RANK};

/// For each input, the offset within its sample of the element that each output element (by
/// its offset within the output's sample) reads; an input of the output's own dims reads the
/// same offset and keeps no map. Kept by the layer and rebuilt only when the dims change; the
/// maps grow to the largest output seen and never shrink.
#[derive(Clone, Debug, Default)]
pub(super) struct Broadcast {
    out: Dims,
    inputs: Vec<Dims>,
    /// `maps[j][e]`, empty when input `j` has the output's dims.
    maps: Vec<Vec<usize>>,
}

impl Broadcast {
    /// Prepares the maps of `n` inputs, input `j` of dims `dims(j)`, onto an output of dims
    /// `out` (the broadcast of all of them, from the shared rule).
    pub(super) fn prepare(&mut self, out: Dims, n: usize, dims: impl Fn(usize) -> Dims) {
        let unchanged =
            self.out == out && self.inputs.len() == n && (0..n).all(|j| self.inputs[j] == dims(j));
        if unchanged {
            return;
        }
        self.out = out;
        self.inputs.clear();
        self.inputs.extend((0..n).map(&dims));
        if self.maps.len() < n {
            self.maps.resize_with(n, Vec::new);
        }
        for (j, map) in self.maps.iter_mut().enumerate().take(n) {
            map.clear();
            if self.inputs[j] != out {
                fill_map(map, out, self.inputs[j]);
            }
        }
    }

    /// The offset within its sample of the element of input `j` that output element `e` reads.
    #[inline]
    pub(super) fn offset(&self, j: usize, e: usize) -> usize {
        let map = &self.maps[j];
        if map.is_empty() {
            e
        } else {
            map[e]
        }
    }
}

/// `map[e]` for every element `e` of a sample of `out`: the offset in a sample of `input` of
/// the element it reads (index 0 on an axis of size 1 or missing, the output's index otherwise).
fn fill_map(map: &mut Vec<usize>, out: Dims, input: Dims) {
    let rank = out.rank();
    let lead = rank - input.rank();
    // Strides of `input` on the output's axes: 0 where it broadcasts.
    let mut strides = [0usize; MAX_RANK];
    let mut stride = 1;
    for a in (lead..rank).rev() {
        let d = input.as_slice()[a - lead];
        strides[a] = if d == 1 { 0 } else { stride };
        stride *= d;
    }
    let sizes = out.as_slice();
    let mut index = [0usize; MAX_RANK];
    let mut offset = 0;
    for _ in 0..out.numel() {
        map.push(offset);
        // Advance the multi-index like an odometer, keeping the offset in step.
        for a in (0..rank).rev() {
            index[a] += 1;
            offset += strides[a];
            if index[a] < sizes[a] {
                break;
            }
            offset -= strides[a] * index[a];
            index[a] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims(d: &[usize]) -> Dims {
        Dims::new(d).unwrap()
    }

    fn map(out: &[usize], input: &[usize]) -> Vec<usize> {
        let mut b = Broadcast::default();
        let inputs = [dims(input)];
        b.prepare(dims(out), 1, |j| inputs[j]);
        (0..dims(out).numel()).map(|e| b.offset(0, e)).collect()
    }

    #[test]
    fn maps_read_index_zero_on_size_one_and_missing_axes() {
        // [2, 3] from [1, 3]: each row reads the one row.
        assert_eq!(map(&[2, 3], &[1, 3]), [0, 1, 2, 0, 1, 2]);
        // [2, 3] from [2, 1]: each row reads its one column.
        assert_eq!(map(&[2, 3], &[2, 1]), [0, 0, 0, 1, 1, 1]);
        // [2, 3] from [3]: a lower rank is aligned from the last axis.
        assert_eq!(map(&[2, 3], &[3]), [0, 1, 2, 0, 1, 2]);
        // [2, 2, 2] from [2, 1, 2] and from a scalar.
        assert_eq!(map(&[2, 2, 2], &[2, 1, 2]), [0, 1, 0, 1, 2, 3, 2, 3]);
        assert_eq!(map(&[2, 2], &[]), [0, 0, 0, 0]);
        // The output's own dims read the same offset.
        assert_eq!(map(&[2, 3], &[2, 3]), [0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn maps_follow_changing_dims() {
        let mut b = Broadcast::default();
        let inputs = [dims(&[1, 2]), dims(&[3, 2])];
        b.prepare(dims(&[3, 2]), 2, |j| inputs[j]);
        assert_eq!((b.offset(0, 5), b.offset(1, 5)), (1, 5));
        let inputs = [dims(&[4, 1]), dims(&[4, 2])];
        b.prepare(dims(&[4, 2]), 2, |j| inputs[j]);
        assert_eq!((b.offset(0, 5), b.offset(1, 5)), (2, 5));
    }
}
