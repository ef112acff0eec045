//! [`Fail`]: why a layer's shape rule rejects its input, with the numbers its message needs.

use crate::dims::{ConstDims, MAX_RANK};
use crate::message::Message;

/// Why a layer's shape rule (`crate::dense`, `crate::concatenate`, ...) rejects its input.
///
/// The macro words its own messages from it (with the layer before, and a fix in the model's
/// text); [`Fail::message`] is the wording of the const checks and of run-time errors.
///
/// The merges' failures (from [`Fail::InputCount`] on) name the inputs by index and carry the
/// sizes and ranks their messages show, since a merge has several inputs (the `input` of
/// [`Fail::message`] is not read for them); an axis is shown as Keras counts it, the batch axis
/// being 0. Every variant is small (no more than a [`ConstDims`] and two numbers), so a
/// `Result<_, Fail>` stays cheap to return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fail {
    /// The last axis is `None`, or the input is a scalar: the layer sizes its weights from it
    /// (`Dense`, `TimeDistributed`).
    UnknownLast,
    /// An axis is `None`, and the layer needs every one to `what` (`"flatten it"`).
    NotAllStatic {
        /// What the layer does with the whole input.
        what: &'static str,
    },
    /// A reshape to `target`, which holds `needed` elements, of an input holding `found`.
    ElementCount {
        /// The elements of the target.
        needed: usize,
        /// The elements of the input.
        found: usize,
        /// The target shape.
        target: ConstDims,
    },
    /// A reshape with `-1` (a `None` in `target`), of an input whose element count `found` is not
    /// a multiple of `of`, the product of the target's other axes.
    NotAMultiple {
        /// The product of the target's known axes.
        of: usize,
        /// The elements of the input.
        found: usize,
        /// The target shape.
        target: ConstDims,
    },
    /// The input does not have the rank the layer works on, written as `wanted`
    /// (`"[timesteps, features]"`).
    Rank {
        /// The layout the layer expects.
        wanted: &'static str,
    },
    /// A sequence whose features per step are `None` (recurrent layers size weights from them).
    UnknownFeatures,
    /// A merge given `found` inputs, which takes `min` to `max` of them (`max == usize::MAX`:
    /// no limit).
    InputCount {
        /// The number of inputs given.
        found: usize,
        /// The fewest the layer takes.
        min: usize,
        /// The most the layer takes.
        max: usize,
    },
    /// The axis a merge works along (`Concatenate(axis)`, `Dot(axes)`), written `axis`, is the
    /// batch axis of input `input`, of per-sample rank `rank` (0, or `-(rank + 1)`).
    BatchAxis {
        /// Which input (0-based).
        input: usize,
        /// The axis as written.
        axis: isize,
        /// That input's per-sample rank.
        rank: usize,
    },
    /// The axis a merge works along, written `axis`, is past the axes of input `input`, of
    /// per-sample rank `rank`.
    AxisOutOfRange {
        /// Which input (0-based).
        input: usize,
        /// The axis as written.
        axis: isize,
        /// That input's per-sample rank.
        rank: usize,
    },
    /// `Concatenate`: input `input` has per-sample rank `rank`, input 0 has `first`.
    RankMismatch {
        /// Which input (0-based).
        input: usize,
        /// Its per-sample rank.
        rank: usize,
        /// Input 0's per-sample rank.
        first: usize,
    },
    /// `Concatenate` along `concat_axis`: on another axis, `axis` (the batch axis being 0),
    /// input `input` has `found` where input `other` has `expected`.
    ConcatSize {
        /// The concatenation axis as written.
        concat_axis: isize,
        /// The axis whose sizes differ, counted as Keras does (batch axis 0).
        axis: usize,
        /// The input with the differing size.
        input: usize,
        /// Its size on `axis`.
        found: usize,
        /// The first input with a known size on `axis`.
        other: usize,
        /// That input's size on `axis`.
        expected: usize,
    },
    /// An elementwise merge: input `input` has `found` on output axis `axis` (the batch axis
    /// being 0; axes are aligned from the last, a lower-rank input counting as having leading
    /// axes of size 1), where the inputs before it broadcast to `expected`; neither is 1.
    Broadcast {
        /// The input that does not broadcast.
        input: usize,
        /// The output axis, counted as Keras does (batch axis 0).
        axis: usize,
        /// The input's size there.
        found: usize,
        /// The size of the inputs before it there.
        expected: usize,
    },
    /// `Dot(axes)`: the sizes of the two inputs at the dot axes differ (a `None` matches only a
    /// `None`, as in Keras's `Dot.build`).
    DotSize {
        /// The dot axes as written, one per input.
        axes: [isize; 2],
        /// Each input's size at its dot axis.
        sizes: [Option<usize>; 2],
    },
    /// An input or the output of a merge has `rank` axes per sample, more than [`MAX_RANK`].
    RankTooHigh {
        /// The number of axes.
        rank: usize,
    },
    /// A convolution whose input's channels (the last axis) are `None`: they size the kernel.
    UnknownChannels,
    /// A window (kernel or pool) whose span `window` (`d·(k − 1) + 1`) is larger than the
    /// input's size `size` on spatial axis `axis` (0: height or steps, 1: width) with `valid`
    /// padding.
    WindowTooLarge {
        /// The spatial axis, 0-based.
        axis: usize,
        /// The window's span on it.
        window: usize,
        /// The input's size on it.
        size: usize,
    },
    /// `strides` above 1 together with `dilation_rate` above 1, which Keras refuses.
    StridesAndDilation,
    /// `groups` that does not divide the input's channels or the filters.
    Groups {
        /// The groups asked for.
        groups: usize,
        /// The input's channels.
        channels: usize,
        /// The filters asked for.
        filters: usize,
    },
    /// `Cropping2d` taking `crop` rows or columns in all from spatial axis `axis` of size `size`,
    /// which leaves none.
    CropTooLarge {
        /// The spatial axis, 0-based (0: height, 1: width).
        axis: usize,
        /// The rows or columns cropped on it, both sides together.
        crop: usize,
        /// The input's size on it.
        size: usize,
    },
}

impl Fail {
    /// The reason in words, continuing the sentence ``layer #2 `Dense(10)` …``, for an input of
    /// per-sample dims `input`: a verb first, lowercase, both numbers in it.
    pub const fn message(&self, input: &[Option<usize>]) -> Message {
        let m = Message::new();
        match *self {
            Fail::UnknownLast => m
                .str("needs a known last dimension, but its input is ")
                .dims(input)
                .str("; give that axis a fixed size (pad or truncate the data to it)"),
            Fail::NotAllStatic { what } => {
                m.str("needs every dimension known to ").str(what).str(", but its input is ").dims(input)
            }
            Fail::ElementCount { needed, found, target } => m
                .str("needs an input with ")
                .num(needed)
                .str(" elements to reshape to ")
                .dims(target.as_slice())
                .str(", but its input ")
                .dims(input)
                .str(" has ")
                .num(found),
            Fail::NotAMultiple { of, found, target } => m
                .str("needs an input whose element count is a multiple of ")
                .num(of)
                .str(" to reshape to ")
                .dims(target.as_slice())
                .str(" (-1 inferred), but its input ")
                .dims(input)
                .str(" has ")
                .num(found),
            Fail::Rank { wanted } => {
                m.str("expects ").str(wanted).str(" input, but its input is ").dims(input)
            }
            Fail::UnknownFeatures => {
                m.str("needs a known number of features per step, but its input is ").dims(input)
            }
            Fail::InputCount { found, min, max } => {
                let m = if min == max {
                    m.str("takes exactly ").num(min)
                } else if max == usize::MAX {
                    m.str("takes at least ").num(min)
                } else {
                    m.str("takes ").num(min).str(" to ").num(max)
                };
                let one = min == 1 && (max == 1 || max == usize::MAX);
                m.str(if one { " input" } else { " inputs" }).str(", but is given ").num(found)
            }
            Fail::BatchAxis { input, axis, rank } => {
                let m = m.str("uses axis ").int(axis).str(", the batch axis; ");
                if rank == 0 {
                    m.str("input #").num(input).str(" is a scalar per sample and has no other axis")
                } else {
                    axis_range(m.str("use an axis of the samples instead: "), rank)
                        .str(" for input #")
                        .num(input)
                        .str(" of rank ")
                        .num(rank)
                }
            }
            Fail::AxisOutOfRange { input, axis, rank } => {
                let m = m.str("uses axis ").int(axis).str(", but input #").num(input);
                if rank == 0 {
                    m.str(" is a scalar per sample and has no axis but the batch axis")
                } else {
                    axis_range(m.str(" of rank ").num(rank).str(" has axes "), rank)
                }
            }
            Fail::RankMismatch { input, rank, first } => m
                .str("needs inputs of one rank, but input #")
                .num(input)
                .str(" has rank ")
                .num(rank)
                .str(" and input #0 has rank ")
                .num(first)
                .str("; add or remove axes with `Reshape`"),
            Fail::ConcatSize { concat_axis, axis, input, found, other, expected } => m
                .str("needs equal sizes on every axis but the concatenation axis (")
                .int(concat_axis)
                .str("), but input #")
                .num(input)
                .str(" has ")
                .num(found)
                .str(" on axis ")
                .num(axis)
                .str(" where input #")
                .num(other)
                .str(" has ")
                .num(expected)
                .str("; concatenate along axis ")
                .num(axis)
                .str(", or make the sizes agree"),
            Fail::Broadcast { input, axis, found, expected } => m
                .str("needs sizes that are equal or 1 on each axis, but input #")
                .num(input)
                .str(" has ")
                .num(found)
                .str(" on axis ")
                .num(axis)
                .str(" where the inputs before it have ")
                .num(expected),
            Fail::DotSize { axes, sizes } => {
                let m = m
                    .str("needs equal sizes on its dot axes (")
                    .int(axes[0])
                    .str(", ")
                    .int(axes[1])
                    .str("), but input #0 has ");
                let m = size(m, sizes[0]).str(" on axis ").int(axes[0]).str(" and input #1 has ");
                let m = size(m, sizes[1]).str(" on axis ").int(axes[1]);
                if sizes[0].is_none() || sizes[1].is_none() {
                    m.str("; as in Keras, a size known only at run time matches only another such size: give both axes the same fixed size")
                } else {
                    m
                }
            }
            Fail::RankTooHigh { rank } => m
                .str("would work on ")
                .num(rank)
                .str(" axes per sample, more than the ")
                .num(MAX_RANK)
                .str(" shaped supports"),
            Fail::UnknownChannels => m
                .str("needs a known number of channels (the last axis, which sizes its kernel), but its input is ")
                .dims(input),
            Fail::WindowTooLarge { axis, window, size } => m
                .str("needs at least ")
                .num(window)
                .str(" positions on axis ")
                .num(axis + 1)
                .str(" for its window, but its input ")
                .dims(input)
                .str(" has ")
                .num(size)
                .str("; use a smaller window, or `padding = same`"),
            Fail::StridesAndDilation => {
                m.str("cannot use `strides` above 1 together with `dilation_rate` above 1 (Keras refuses the pair); keep one of them at 1")
            }
            Fail::Groups { groups, channels, filters } => m
                .str("needs `groups` (")
                .num(groups)
                .str(") to divide both the input's channels (")
                .num(channels)
                .str(") and the filters (")
                .num(filters)
                .str(")"),
            Fail::CropTooLarge { axis, crop, size } => m
                .str("crops ")
                .num(crop)
                .str(" of the ")
                .num(size)
                .str(" positions on axis ")
                .num(axis + 1)
                .str(" of its input ")
                .dims(input)
                .str(", which leaves none"),
        }
    }
}

/// Appends `1 to r (or -r to -1)`, the axes of a per-sample rank `r` as Keras counts them.
const fn axis_range(m: Message, rank: usize) -> Message {
    m.str("1 to ").num(rank).str(" (or -").num(rank).str(" to -1)")
}

/// Appends a size, `None` for one known only at run time.
const fn size(m: Message, d: Option<usize>) -> Message {
    match d {
        Some(d) => m.num(d),
        None => m.str("None"),
    }
}
