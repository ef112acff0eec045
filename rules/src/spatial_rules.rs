//! The shape rules of the layers that slide a window over the spatial axes of channels-last
//! inputs: `[steps, channels]` (1-D) and `[height, width, channels]` (2-D). Convolutions, their
//! transposes, pooling, and the layers that resize the spatial axes (`UpSampling2d`,
//! `ZeroPadding2d`, `Cropping2d`), plus the normalisations over the last axis.
//!
//! Output sizes follow Keras 3 (`keras.src.ops.operation_utils.compute_conv_output_shape`,
//! `compute_pooling_output_shape`, `deconv_output_length`), per spatial axis of size `n`, with
//! window `k`, stride `s` and dilation `d` (effective window `e = d·(k − 1) + 1`):
//!
//! ```text
//! valid:           ⌊(n − e) / s⌋ + 1       (n ≥ e, else the window does not fit)
//! same, causal:    ⌈n / s⌉
//! transpose valid: n·s + max(e − s, 0)
//! transpose same:  n·s
//! ```
//!
//! A `None` axis (an image side known only at run time) stays `None`.

use crate::dims::ConstDims;
use crate::fail::Fail;

/// The layout of a 2-D layer's input.
pub const IMAGE: &str = "[height, width, channels]";

/// The layout of a 1-D layer's input.
pub const STEPS: &str = "[steps, channels]";

/// How a window meets the edges of its input (Keras's `padding`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Padding {
    /// No padding: the window stays inside the input.
    Valid,
    /// Zeros around the input so that the output has `⌈n / s⌉` positions; when the total
    /// padding is odd, the extra zero goes at the end (Keras, TensorFlow).
    Same,
    /// 1-D only: `d·(k − 1)` zeros before the input, none after, so no output sees the future.
    Causal,
}

impl Padding {
    /// Keras's spelling: `valid`, `same`, `causal`.
    pub const fn keras_name(self) -> &'static str {
        match self {
            Padding::Valid => "valid",
            Padding::Same => "same",
            Padding::Causal => "causal",
        }
    }
}

/// A window over 1 or 2 spatial axes: its size, strides and dilation per axis (only the first
/// `axes` entries are read) and its padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    /// The number of spatial axes: 1 (`Conv1d`, `MaxPool1d`) or 2.
    pub axes: usize,
    /// The window's size per axis (`kernel_size`, `pool_size`).
    pub size: [usize; 2],
    /// The step between windows per axis.
    pub strides: [usize; 2],
    /// The spacing of the window's taps per axis (`dilation_rate`; 1 for pooling).
    pub dilation: [usize; 2],
    /// How the window meets the edges.
    pub padding: Padding,
}

impl Window {
    /// The span the window covers on `axis`: `d·(k − 1) + 1`.
    pub const fn effective(&self, axis: usize) -> usize {
        self.dilation[axis] * (self.size[axis] - 1) + 1
    }

    /// The output size on `axis` for an input of size `n` (see the module docs), `None` when the
    /// window does not fit (`valid` with `n` below the effective window).
    pub const fn output_len(&self, axis: usize, n: usize) -> Option<usize> {
        let s = self.strides[axis];
        match self.padding {
            Padding::Valid => {
                let e = self.effective(axis);
                if n < e {
                    None
                } else {
                    Some((n - e) / s + 1)
                }
            }
            Padding::Same | Padding::Causal => Some(n.div_ceil(s)),
        }
    }

    /// The zeros before the input on `axis` for an input of size `n` (Keras's `same` puts
    /// `⌊total / 2⌋` before and the rest after; `causal` puts all `d·(k − 1)` before).
    pub const fn pad_before(&self, axis: usize, n: usize) -> usize {
        match self.padding {
            Padding::Valid => 0,
            Padding::Causal => self.effective(axis) - 1,
            Padding::Same => {
                let out = n.div_ceil(self.strides[axis]);
                let needed = (out.saturating_sub(1)) * self.strides[axis] + self.effective(axis);
                needed.saturating_sub(n) / 2
            }
        }
    }

    /// Whether some stride and some dilation are both above 1 (Keras refuses the pair).
    const fn strided_and_dilated(&self) -> bool {
        let mut strided = false;
        let mut dilated = false;
        let mut a = 0;
        while a < self.axes {
            strided |= self.strides[a] > 1;
            dilated |= self.dilation[a] > 1;
            a += 1;
        }
        strided && dilated
    }
}

/// The spatial axes of `input` through `window`, with the channel axis set to `channels`.
const fn slide(input: &[Option<usize>], window: &Window, channels: Option<usize>) -> Result<ConstDims, Fail> {
    let mut out = ConstDims::new(&[]);
    let mut a = 0;
    while a < window.axes {
        out = out.push(match input[a] {
            None => None,
            Some(n) => match window.output_len(a, n) {
                Some(m) => Some(m),
                None => return Err(Fail::WindowTooLarge { axis: a, window: window.effective(a), size: n }),
            },
        });
        a += 1;
    }
    Ok(out.push(channels))
}

/// The input must be `[steps, channels]` or `[height, width, channels]` as the window's axes say.
const fn check_rank(input: &[Option<usize>], axes: usize) -> Result<(), Fail> {
    if input.len() == axes + 1 {
        Ok(())
    } else {
        Err(Fail::Rank { wanted: if axes == 1 { STEPS } else { IMAGE } })
    }
}

/// The input's channels, which size a kernel and must be known.
const fn known_channels(input: &[Option<usize>]) -> Result<usize, Fail> {
    match input.last() {
        Some(Some(c)) => Ok(*c),
        _ => Err(Fail::UnknownChannels),
    }
}

/// `Conv1d` / `Conv2d(filters, kernel_size, strides, padding, dilation_rate, groups)`:
/// `[.., channels]` → `[.., filters]` with each spatial axis through the window; the channels
/// must be known, `groups` must divide both the channels and the filters, and strides above 1
/// do not go with dilation above 1 (as Keras).
pub const fn conv(
    input: &[Option<usize>],
    window: Window,
    filters: usize,
    groups: usize,
) -> Result<ConstDims, Fail> {
    if let Err(f) = check_rank(input, window.axes) {
        return Err(f);
    }
    if window.strided_and_dilated() {
        return Err(Fail::StridesAndDilation);
    }
    let channels = match known_channels(input) {
        Ok(c) => c,
        Err(f) => return Err(f),
    };
    if groups == 0 || !channels.is_multiple_of(groups) || !filters.is_multiple_of(groups) {
        return Err(Fail::Groups { groups, channels, filters });
    }
    slide(input, &window, Some(filters))
}

/// `DepthwiseConv2d(kernel_size, depth_multiplier, ..)`: each channel convolved alone,
/// `depth_multiplier` outputs per channel: `[h, w, c]` → `[h', w', c·depth_multiplier]`.
pub const fn depthwise_conv(
    input: &[Option<usize>],
    window: Window,
    depth_multiplier: usize,
) -> Result<ConstDims, Fail> {
    match conv(input, window, 1, 1) {
        Ok(out) => match input[window.axes] {
            Some(c) => Ok(out.with_last(Some(c * depth_multiplier))),
            None => Err(Fail::UnknownChannels),
        },
        Err(f) => Err(f),
    }
}

/// `SeparableConv2d(filters, kernel_size, depth_multiplier, ..)`: a depthwise convolution then a
/// 1×1 convolution to `filters`: `[h, w, c]` → `[h', w', filters]`.
pub const fn separable_conv(
    input: &[Option<usize>],
    window: Window,
    filters: usize,
) -> Result<ConstDims, Fail> {
    conv(input, window, filters, 1)
}

/// `Conv2dTranspose(filters, kernel_size, strides, padding, dilation_rate)`: each spatial axis
/// grows to `n·s + max(e − s, 0)` (`valid`) or `n·s` (`same`); `[h, w, c]` → `[H, W, filters]`.
pub const fn conv_transpose(
    input: &[Option<usize>],
    window: Window,
    filters: usize,
) -> Result<ConstDims, Fail> {
    if let Err(f) = check_rank(input, window.axes) {
        return Err(f);
    }
    if window.strided_and_dilated() {
        return Err(Fail::StridesAndDilation);
    }
    if let Err(f) = known_channels(input) {
        return Err(f);
    }
    let mut out = ConstDims::new(&[]);
    let mut a = 0;
    while a < window.axes {
        out = out.push(match input[a] {
            None => None,
            Some(n) => Some(transpose_len(&window, a, n)),
        });
        a += 1;
    }
    Ok(out.push(Some(filters)))
}

/// The output size of a transposed convolution on `axis` for an input of size `n`.
pub const fn transpose_len(window: &Window, axis: usize, n: usize) -> usize {
    let s = window.strides[axis];
    match window.padding {
        Padding::Same | Padding::Causal => n * s,
        Padding::Valid => {
            let e = window.effective(axis);
            n * s + e.saturating_sub(s)
        }
    }
}

/// `MaxPool1d/2d`, `AvgPool1d/2d(pool_size, strides, padding)`: each spatial axis through the
/// window, the channels unchanged (and not needed).
pub const fn pool(input: &[Option<usize>], window: Window) -> Result<ConstDims, Fail> {
    if let Err(f) = check_rank(input, window.axes) {
        return Err(f);
    }
    slide(input, &window, input[window.axes])
}

/// `GlobalAvgPool2d`, `GlobalMaxPool2d`: an image `[h, w, c]` → `[c]`.
pub const fn global_pool_2d(input: &[Option<usize>]) -> Result<ConstDims, Fail> {
    match input {
        [_, _, c] => Ok(ConstDims::new(&[*c])),
        _ => Err(Fail::Rank { wanted: IMAGE }),
    }
}

/// `UpSampling2d(size)`: each pixel repeated `size[0]` times down and `size[1]` across:
/// `[h, w, c]` → `[h·size[0], w·size[1], c]`.
pub const fn up_sampling_2d(input: &[Option<usize>], size: [usize; 2]) -> Result<ConstDims, Fail> {
    match input {
        [h, w, c] => Ok(ConstDims::new(&[scale(*h, size[0]), scale(*w, size[1]), *c])),
        _ => Err(Fail::Rank { wanted: IMAGE }),
    }
}

/// `n · by`, `None` for a runtime axis.
const fn scale(n: Option<usize>, by: usize) -> Option<usize> {
    match n {
        Some(n) => Some(n * by),
        None => None,
    }
}

/// `ZeroPadding2d(padding)`, `padding = [[top, bottom], [left, right]]`: `[h, w, c]` →
/// `[top + h + bottom, left + w + right, c]`.
pub const fn zero_padding_2d(input: &[Option<usize>], padding: [[usize; 2]; 2]) -> Result<ConstDims, Fail> {
    match input {
        [h, w, c] => Ok(ConstDims::new(&[
            grow_by(*h, padding[0][0] + padding[0][1]),
            grow_by(*w, padding[1][0] + padding[1][1]),
            *c,
        ])),
        _ => Err(Fail::Rank { wanted: IMAGE }),
    }
}

/// `n + by`, `None` for a runtime axis.
const fn grow_by(n: Option<usize>, by: usize) -> Option<usize> {
    match n {
        Some(n) => Some(n + by),
        None => None,
    }
}

/// `Cropping2d(cropping)`, `cropping = [[top, bottom], [left, right]]`: `[h, w, c]` →
/// `[h − top − bottom, w − left − right, c]`; at least one row and one column must be left.
pub const fn cropping_2d(input: &[Option<usize>], cropping: [[usize; 2]; 2]) -> Result<ConstDims, Fail> {
    let [h, w, c] = match input {
        [h, w, c] => [*h, *w, *c],
        _ => return Err(Fail::Rank { wanted: IMAGE }),
    };
    let mut out = ConstDims::new(&[]);
    let sides = [h, w];
    let mut a = 0;
    while a < 2 {
        let crop = cropping[a][0] + cropping[a][1];
        out = out.push(match sides[a] {
            None => None,
            Some(n) if n > crop => Some(n - crop),
            Some(n) => return Err(Fail::CropTooLarge { axis: a, crop, size: n }),
        });
        a += 1;
    }
    Ok(out.push(c))
}

/// `BatchNorm`, `LayerNorm` (over the last axis, Keras's `axis = -1`): the shape is unchanged;
/// the last axis sizes `gamma` and `beta`, so it must be known.
pub const fn normalization(input: &[Option<usize>]) -> Result<ConstDims, Fail> {
    match input.last() {
        Some(Some(_)) => Ok(ConstDims::new(input)),
        _ => Err(Fail::UnknownLast),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn window(axes: usize, k: usize, s: usize, d: usize, padding: Padding) -> Window {
        Window { axes, size: [k, k], strides: [s, s], dilation: [d, d], padding }
    }

    fn ok(r: Result<ConstDims, Fail>) -> ConstDims {
        match r {
            Ok(d) => d,
            Err(f) => panic!("{}", f.message(&[])),
        }
    }

    #[test]
    fn conv_sizes_follow_keras() {
        let img = [Some(28), Some(28), Some(1)];
        assert_eq!(
            ok(conv(&img, window(2, 3, 1, 1, Padding::Valid), 16, 1)).as_slice(),
            &[Some(26), Some(26), Some(16)]
        );
        assert_eq!(
            ok(conv(&img, window(2, 3, 2, 1, Padding::Same), 8, 1)).as_slice(),
            &[Some(14), Some(14), Some(8)]
        );
        assert_eq!(
            ok(conv(&img, window(2, 3, 1, 2, Padding::Valid), 8, 1)).as_slice(),
            &[Some(24), Some(24), Some(8)]
        );
        assert_eq!(
            ok(conv(&[None, Some(4)], window(1, 3, 1, 2, Padding::Causal), 5, 1)).as_slice(),
            &[None, Some(5)]
        );
        assert_eq!(
            ok(conv(&[Some(10), Some(4)], window(1, 4, 3, 1, Padding::Valid), 5, 1)).as_slice(),
            &[Some(3), Some(5)]
        );
        assert_eq!(
            conv(&[Some(3), Some(3), Some(8)], window(2, 5, 1, 1, Padding::Valid), 4, 1),
            Err(Fail::WindowTooLarge { axis: 0, window: 5, size: 3 })
        );
        assert_eq!(
            conv(&[Some(28), Some(28)], window(2, 3, 1, 1, Padding::Valid), 4, 1),
            Err(Fail::Rank { wanted: IMAGE })
        );
        assert_eq!(conv(&img, window(2, 3, 2, 2, Padding::Valid), 4, 1), Err(Fail::StridesAndDilation));
        assert_eq!(
            conv(&[Some(8), Some(8), Some(6)], window(2, 3, 1, 1, Padding::Valid), 4, 4),
            Err(Fail::Groups { groups: 4, channels: 6, filters: 4 })
        );
        assert_eq!(
            conv(&[Some(8), Some(8), None], window(2, 3, 1, 1, Padding::Valid), 4, 1),
            Err(Fail::UnknownChannels)
        );
    }

    #[test]
    fn same_padding_puts_the_extra_zero_at_the_end() {
        let w = window(2, 3, 2, 1, Padding::Same);
        // n = 10: out 5, needs 4·2 + 3 = 11, one zero, after.
        assert_eq!(w.pad_before(0, 10), 0);
        // n = 11: out 6, needs 13, two zeros, one before.
        assert_eq!(w.pad_before(0, 11), 1);
        assert_eq!(window(1, 3, 1, 2, Padding::Causal).pad_before(0, 7), 4);
    }

    #[test]
    fn pooling_transpose_and_resizing() {
        let img = [Some(7), Some(6), Some(3)];
        assert_eq!(
            ok(pool(&img, window(2, 2, 2, 1, Padding::Valid))).as_slice(),
            &[Some(3), Some(3), Some(3)]
        );
        assert_eq!(
            ok(pool(&img, window(2, 2, 2, 1, Padding::Same))).as_slice(),
            &[Some(4), Some(3), Some(3)]
        );
        assert_eq!(
            ok(pool(&[None, None, None], window(2, 2, 2, 1, Padding::Valid))).as_slice(),
            &[None, None, None]
        );
        assert_eq!(
            ok(conv_transpose(&img, window(2, 3, 2, 1, Padding::Valid), 4)).as_slice(),
            &[Some(15), Some(13), Some(4)]
        );
        assert_eq!(
            ok(conv_transpose(&img, window(2, 3, 2, 1, Padding::Same), 4)).as_slice(),
            &[Some(14), Some(12), Some(4)]
        );
        assert_eq!(ok(global_pool_2d(&img)).as_slice(), &[Some(3)]);
        assert_eq!(ok(up_sampling_2d(&img, [2, 3])).as_slice(), &[Some(14), Some(18), Some(3)]);
        assert_eq!(ok(zero_padding_2d(&img, [[1, 2], [0, 1]])).as_slice(), &[Some(10), Some(7), Some(3)]);
        assert_eq!(ok(cropping_2d(&img, [[1, 2], [0, 1]])).as_slice(), &[Some(4), Some(5), Some(3)]);
        assert_eq!(
            cropping_2d(&img, [[4, 3], [0, 0]]),
            Err(Fail::CropTooLarge { axis: 0, crop: 7, size: 7 })
        );
        assert_eq!(
            ok(depthwise_conv(&img, window(2, 3, 1, 1, Padding::Same), 2)).as_slice(),
            &[Some(7), Some(6), Some(6)]
        );
        assert_eq!(normalization(&[None, None]), Err(Fail::UnknownLast));
    }
}
