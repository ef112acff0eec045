//! The mask of a padded batch of images (or of sequences seen by a windowed layer): each
//! sample's real region, the top-left rectangle of its padded grid.
//!
//! A batch of images of different sizes is padded at the bottom and right to its largest, so a
//! sample's real pixels are rows `0..h` and columns `0..w` of the padded `H × W` grid; its mask
//! (`H · W` values, row-major, see [`crate::shape::Dims::mask_positions`]) is 1.0 there and 0.0
//! elsewhere. A sequence `[steps, channels]` is the 1-D case: real steps `0..len`.
//!
//! Every layer that slides a window over spatial axes computes each sample on its own real
//! region, exactly as if the sample were alone (`same` padding counted from the sample's own
//! size), writes zeros at padded output positions, and writes the output's mask with
//! [`write_extent_mask`]. So a padded batch gives, at real positions, what each image gives
//! alone, and padded positions get zero gradient.

use crate::error::{Error, Result};
use crate::shape::Dims;

/// The spatial sizes of one sample: `[height, width]` for an image, `[steps, 1]` for a sequence.
pub type Extent = [usize; 2];

/// The spatial axes of per-sample dims `[.., channels]`: `[h, w]` for an image `[h, w, c]`,
/// `[steps, 1]` for a sequence `[steps, c]`.
pub fn padded_extent(spatial: &[usize]) -> Extent {
    match spatial {
        [n] => [*n, 1],
        [h, w, ..] => [*h, *w],
        [] => [1, 1],
    }
}

/// The real extent of sample `b` of a batch whose padded spatial extent is `padded`: the
/// rows up to the last real one, and the columns up to the last real one, of its mask
/// (`padded[0] · padded[1]` values per sample); the whole grid without a mask.
///
/// For the top-left rectangles that padding makes, this is the sample's own size. For another
/// mask (a `Masking` layer's on a sequence), it is the span up to the last real position.
pub fn real_extent(mask: Option<&[f32]>, b: usize, padded: Extent) -> Extent {
    let Some(mask) = mask else { return padded };
    let [h, w] = padded;
    let Some(sample) = mask.get(b * h * w..(b + 1) * h * w) else { return padded };
    let rows =
        (0..h).rev().find(|&r| sample[r * w..(r + 1) * w].iter().any(|&m| m != 0.0)).map_or(0, |r| r + 1);
    if rows == 0 {
        return [0, 0];
    }
    let cols = (0..w).rev().find(|&c| (0..rows).any(|r| sample[r * w + c] != 0.0)).map_or(0, |c| c + 1);
    [rows, cols]
}

/// Writes one sample's mask over a padded grid `padded`: 1.0 on the top-left `real` rectangle,
/// 0.0 elsewhere. `out` holds `padded[0] · padded[1]` values.
pub fn write_extent_mask(out: &mut [f32], padded: Extent, real: Extent) {
    let [_, w] = padded;
    for (r, row) in out.chunks_exact_mut(w.max(1)).enumerate() {
        let cols = if r < real[0] { real[1].min(w) } else { 0 };
        row[..cols].fill(1.0);
        row[cols..].fill(0.0);
    }
}

/// `Err` unless the buffer `what` of `layer` holds `batch · per_sample` values (the checks every
/// spatial layer makes before it indexes its buffers).
pub(crate) fn check_len(layer: &str, what: &str, len: usize, batch: usize, per_sample: usize) -> Result<()> {
    match batch.checked_mul(per_sample) {
        Some(n) if n == len => Ok(()),
        n => Err(Error::LengthMismatch {
            context: format!("`{layer}` {what} ({batch} × {per_sample}) and its buffer"),
            left: n.unwrap_or(usize::MAX),
            right: len,
        }),
    }
}

/// The input's mask checked against `batch · dims.mask_positions()` values.
pub(crate) fn check_mask(layer: &str, mask: Option<&[f32]>, batch: usize, dims: Dims) -> Result<()> {
    match mask {
        Some(m) => check_len(layer, "batch mask positions", m.len(), batch, dims.mask_positions()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extents_round_trip_through_masks() {
        let padded = [3, 4];
        let mut mask = vec![0.0; 2 * 12];
        write_extent_mask(&mut mask[..12], padded, [2, 3]);
        write_extent_mask(&mut mask[12..], padded, [3, 4]);
        assert_eq!(&mask[..12], &[1., 1., 1., 0., 1., 1., 1., 0., 0., 0., 0., 0.]);
        assert_eq!(real_extent(Some(&mask), 0, padded), [2, 3]);
        assert_eq!(real_extent(Some(&mask), 1, padded), [3, 4]);
        assert_eq!(real_extent(None, 0, padded), padded);
        assert_eq!(real_extent(Some(&[0.0; 12]), 0, padded), [0, 0]);
        // A sequence: steps × 1.
        assert_eq!(real_extent(Some(&[1., 1., 0., 0., 0.]), 0, padded_extent(&[5])), [2, 1]);
        assert_eq!(padded_extent(&[6, 7]), [6, 7]);
    }
}
