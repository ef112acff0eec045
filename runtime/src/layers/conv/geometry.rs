//! Each sample's window geometry ([`Geometry`]) from the layer's [`Window`] and the sample's real
//! extent, the zeros at padded output positions, and the checks of a layer's input buffers.

use crate::error::{Error, Result};
use crate::kernels::im2col::Geometry;
use crate::layers::spatial_mask::Extent;
use crate::layers::stage::Input;
use crate::shape::Dims;
use shaped_rules::{transpose_len, Padding, Window};

/// The spatial axes of per-sample dims `[.., C]`.
pub(super) fn spatial(dims: &Dims) -> &[usize] {
    let d = dims.as_slice();
    &d[..d.len().saturating_sub(1)]
}

/// The window's size, strides and dilation as 2-D `[axis 0, axis 1]` (a 1-D window is `k × 1`).
fn axes2(window: &Window) -> ([usize; 2], [usize; 2], [usize; 2]) {
    if window.axes == 1 {
        ([window.size[0], 1], [window.strides[0], 1], [window.dilation[0], 1])
    } else {
        (window.size, window.strides, window.dilation)
    }
}

/// The geometry of one sample of a convolution (`Conv`, `DepthwiseConv`, the depthwise half of
/// `SeparableConv`) whose real input is `real` inside the padded `in_grid`: the output size and
/// `same` / `causal` padding counted from `real` alone (`Window::output_len`,
/// `Window::pad_before`), placed at the top left of `out_grid`; an extent the window does not
/// fit (`valid`) gives an empty output.
pub(super) fn conv_geometry(
    window: &Window,
    channels: usize,
    groups: usize,
    in_grid: Extent,
    out_grid: Extent,
    real: Extent,
) -> Geometry {
    let (kernel, strides, dilation) = axes2(window);
    let one_d = window.axes == 1;
    let out0 = if real[0] == 0 || real[1] == 0 { None } else { window.output_len(0, real[0]) };
    let out1 = if one_d { Some(1) } else { window.output_len(1, real[1]) };
    let output = match (out0, out1) {
        (Some(a), Some(b)) if a > 0 && b > 0 => [a.min(out_grid[0]), b.min(out_grid[1])],
        _ => [0, 0],
    };
    let pad = [window.pad_before(0, real[0]), if one_d { 0 } else { window.pad_before(1, real[1]) }];
    Geometry {
        channels,
        groups,
        input: real,
        input_width: in_grid[1],
        kernel,
        strides,
        dilation,
        pad,
        output,
        grid: out_grid,
    }
}

/// The offset, on `axis`, of a transposed convolution's first output within the full scatter of
/// its input (`y[i·s + t·d − offset] += x[i] · K[t]`): Keras's JAX `conv_transpose` dilates the
/// input by the stride and pads it by `left` zeros (`valid`: `e − 1`; `same`:
/// `min(⌈(s + e − 2) / 2⌉, e − 1)`, `backend/common/backend_utils.py`
/// `_convert_conv_transpose_padding_args_from_keras_to_jax` with `output_padding=None`) before a
/// correlation with the flipped kernel, which is the scatter with `offset = e − 1 − left`.
pub(super) fn transpose_offset(window: &Window, axis: usize) -> usize {
    let e = window.effective(axis);
    let s = window.strides[axis];
    let left = match window.padding {
        Padding::Valid => e - 1,
        Padding::Same | Padding::Causal => {
            let pad_len = s + e - 2;
            (pad_len / 2 + pad_len % 2).min(e - 1)
        }
    };
    e - 1 - left
}

/// The geometry of one sample of a transposed convolution, seen as the convolution it is the
/// adjoint of: that convolution reads the transposed output grid `y_grid` (`filters` channels;
/// real size `transpose_len` of the sample's own extent) and writes the transposed input grid
/// `x_grid` (real extent `real`), with [`transpose_offset`] as its padding.
pub(super) fn transpose_geometry(
    window: &Window,
    filters: usize,
    y_grid: Extent,
    x_grid: Extent,
    real: Extent,
) -> Geometry {
    let (kernel, strides, dilation) = axes2(window);
    let one_d = window.axes == 1;
    let empty = real[0] == 0 || real[1] == 0;
    let input = if empty {
        [0, 0]
    } else {
        let h = transpose_len(window, 0, real[0]).min(y_grid[0]);
        let w = if one_d { 1 } else { transpose_len(window, 1, real[1]).min(y_grid[1]) };
        [h, w]
    };
    let pad = [transpose_offset(window, 0), if one_d { 0 } else { transpose_offset(window, 1) }];
    let output = if empty { [0, 0] } else { real };
    Geometry {
        channels: filters,
        groups: 1,
        input,
        input_width: y_grid[1],
        kernel,
        strides,
        dilation,
        pad,
        output,
        grid: x_grid,
    }
}

/// Zeroes, in `out` (`rects.len()` samples of a `grid` of positions, `width` values each), every
/// position outside its sample's real rectangle (the top-left `rects[b]`).
pub(super) fn zero_outside(out: &mut [f32], width: usize, grid: Extent, rects: impl Iterator<Item = Extent>) {
    let per_sample = grid[0] * grid[1] * width;
    if per_sample == 0 {
        return;
    }
    for (sample, rect) in out.chunks_exact_mut(per_sample).zip(rects) {
        for (i, row) in sample.chunks_exact_mut(grid[1] * width).enumerate() {
            let real = if i < rect[0] { rect[1].min(grid[1]) } else { 0 };
            row[real * width..].fill(0.0);
        }
    }
}

/// The window must have 1 or 2 axes and every size, stride and dilation at least 1, so the
/// shared rules' arithmetic holds; `Err` naming `layer` otherwise.
pub(super) fn check_window(layer: &str, window: &Window) -> Result<()> {
    let axes = window.axes;
    let ok = (axes == 1 || axes == 2)
        && window.size[..axes].iter().all(|&v| v >= 1)
        && window.strides[..axes.min(2)].iter().all(|&v| v >= 1)
        && window.dilation[..axes.min(2)].iter().all(|&v| v >= 1);
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidArgument {
            name: "window",
            detail: format!(
                "`{layer}` needs 1 or 2 axes and sizes, strides and dilations of at least 1, \
                 got {window:?}"
            ),
        })
    }
}

/// `input` must hold `batch` samples of its dims (and its mask one value per position of each),
/// and `out_len` must be `batch` samples of `out`; `Err` naming `layer` and both lengths.
pub(super) fn check_buffers(
    layer: &str,
    input: &Input<'_>,
    batch: usize,
    out: Dims,
    out_len: usize,
) -> Result<()> {
    // The message is written only for a mismatch: a step allocates nothing.
    let check = |what: &dyn Fn() -> String, needed: Option<usize>, found: usize| {
        let needed = needed.unwrap_or(usize::MAX);
        if needed == found {
            Ok(())
        } else {
            Err(Error::LengthMismatch {
                context: format!("`{layer}` {}", what()),
                left: needed,
                right: found,
            })
        }
    };
    check(
        &|| format!("input ({batch} samples of {}) and its values", input.dims),
        input.dims.batch_numel(batch),
        input.data.len(),
    )?;
    if let Some(mask) = input.mask {
        let positions = input.dims.mask_positions();
        check(
            &|| format!("input ({batch} samples of {positions} positions) and its mask"),
            batch.checked_mul(positions),
            mask.len(),
        )?;
    }
    check(&|| format!("output ({batch} samples of {out}) and its buffer"), out.batch_numel(batch), out_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(axes: usize, k: usize, s: usize, padding: Padding) -> Window {
        Window { axes, size: [k, k], strides: [s, s], dilation: [1, 1], padding }
    }

    #[test]
    fn own_size_sets_padding_and_output() {
        let w = window(2, 3, 2, Padding::Same);
        let g = conv_geometry(&w, 2, 1, [11, 11], [6, 6], [10, 7]);
        // 10: out 5, one zero after; 7: out 4, needs 9, one zero before, one after.
        assert_eq!((g.output, g.pad), ([5, 4], [0, 1]));
        let valid = window(2, 3, 1, Padding::Valid);
        assert_eq!(conv_geometry(&valid, 2, 1, [5, 5], [3, 3], [2, 5]).output, [0, 0]);
        let causal =
            Window { axes: 1, size: [3, 1], strides: [1, 1], dilation: [2, 1], padding: Padding::Causal };
        let g = conv_geometry(&causal, 2, 1, [6, 1], [6, 1], [4, 1]);
        assert_eq!((g.output, g.pad, g.kernel), ([4, 1], [4, 0], [3, 1]));
    }

    #[test]
    fn transpose_offsets() {
        assert_eq!(transpose_offset(&window(2, 3, 2, Padding::Valid), 0), 0);
        // same, k 3, s 2: pad_len 3, left min(2, 2) = 2, offset 0.
        assert_eq!(transpose_offset(&window(2, 3, 2, Padding::Same), 0), 0);
        // same, k 4, s 2: pad_len 4, left 2, offset 1.
        assert_eq!(transpose_offset(&window(2, 4, 2, Padding::Same), 0), 1);
        // same, k 3, s 1: pad_len 2, left 1, offset 1.
        assert_eq!(transpose_offset(&window(2, 3, 1, Padding::Same), 0), 1);
    }

    #[test]
    fn zero_outside_keeps_the_top_left() {
        let mut out = vec![1.0; 2 * 2 * 3];
        zero_outside(&mut out, 1, [2, 3], [[1, 2], [2, 3]].into_iter());
        assert_eq!(out, [1., 1., 0., 0., 0., 0., 1., 1., 1., 1., 1., 1.]);
    }
}
