//! What the layers that slide a window over spatial axes share: reading the window's arguments
//! (`kernel_size` / `pool_size`, `strides`, `padding`, `dilation_rate`), the window as tokens,
//! and the wording of the errors every such layer can meet (the wrong rank, unknown channels, a
//! window larger than what is left of the input).

use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::layers::{fmt_dims, At, ConfigValue};
use proc_macro2::TokenStream;
use quote::quote;
use shaped_rules::{Fail, Padding, Window};

/// Reads a window over `axes` spatial axes: its size from `size_param` (`default` when not
/// given, required when `None`), `strides` (default 1 for a convolution, `dilated`; the window's
/// size for a pool, as Keras's pools), `padding` (`causal` only in 1-D when `causal` is allowed),
/// and `dilation_rate` for a convolution.
pub fn read_window(
    cx: &Ctxt,
    args: &Args<'_>,
    axes: usize,
    size_param: &str,
    default: Option<usize>,
    causal: bool,
    dilated: bool,
) -> Option<Window> {
    let size = args.per_axis(cx, size_param, axes, default);
    let strides = match args.get("strides") {
        Some(_) => args.per_axis(cx, "strides", axes, None),
        None if dilated => Some([1, 1]),
        None => size,
    };
    let mut choices = vec![("valid", Padding::Valid), ("same", Padding::Same)];
    let described = if causal && axes == 1 {
        choices.push(("causal", Padding::Causal));
        "`valid`, `same` or `causal`"
    } else {
        "`valid` or `same`"
    };
    let padding = args.choice(cx, "padding", &choices, Padding::Valid, described);
    let dilation = if dilated { args.per_axis(cx, "dilation_rate", axes, Some(1)) } else { Some([1, 1]) };
    let window = Window { axes, size: size?, strides: strides?, dilation: dilation?, padding: padding? };
    if window.strides.iter().any(|&s| s > 1) && window.dilation.iter().any(|&d| d > 1) {
        cx.error(
            args.span(),
            format!(
                "`{}` cannot use `strides = {}` together with `dilation_rate = {}`: Keras refuses the pair; keep one of them at 1",
                args.layer,
                per_axis_text(window.strides, axes),
                per_axis_text(window.dilation, axes)
            ),
        );
        return None;
    }
    Some(window)
}

/// A window's arguments in a layer's configuration: its size under `size_name`, `strides`,
/// `padding` and, for a convolution (`dilated`), `dilation_rate`; one value per axis.
pub fn window_config(w: &Window, size_name: &'static str, dilated: bool) -> Vec<(&'static str, ConfigValue)> {
    let per_axis = |v: [usize; 2]| ConfigValue::list(&v[..w.axes.min(2)]);
    let padding = match w.padding {
        Padding::Valid => "valid",
        Padding::Same => "same",
        Padding::Causal => "causal",
    };
    let mut config = vec![
        (size_name, per_axis(w.size)),
        ("strides", per_axis(w.strides)),
        ("padding", ConfigValue::str(padding)),
    ];
    if dilated {
        config.push(("dilation_rate", per_axis(w.dilation)));
    }
    config
}

/// `2` or `(2, 3)`: a per-axis argument as a user writes it.
pub fn per_axis_text(v: [usize; 2], axes: usize) -> String {
    if axes == 1 || v[0] == v[1] {
        v[0].to_string()
    } else {
        format!("({}, {})", v[0], v[1])
    }
}

/// The window as tokens of a `::shaped::rules::Window`.
pub fn window_tokens(w: &Window) -> TokenStream {
    let Window { axes, size: [s0, s1], strides: [t0, t1], dilation: [d0, d1], padding } = *w;
    let padding = match padding {
        Padding::Valid => quote!(Valid),
        Padding::Same => quote!(Same),
        Padding::Causal => quote!(Causal),
    };
    quote!(::shaped::rules::Window {
        axes: #axes,
        size: [#s0, #s1],
        strides: [#t0, #t1],
        dilation: [#d0, #d1],
        padding: ::shaped::rules::Padding::#padding,
    })
}

/// The name of spatial axis `axis` of an input with `axes` spatial axes, for messages.
fn axis_name(axis: usize, axes: usize) -> &'static str {
    match (axes, axis) {
        (1, _) => "steps",
        (_, 0) => "rows",
        _ => "columns",
    }
}

/// The message of a windowed layer over `axes` spatial axes whose shape rule failed: the
/// layer, its input and the fix.
pub fn window_message(fail: Fail, at: &At<'_>, axes: usize) -> String {
    let display = at.display;
    let input = at.input;
    let shown = fmt_dims(input);
    match fail {
        Fail::Rank { wanted } => {
            let fix = rank_fix(at, axes);
            format!("`{display}` expects {wanted} input, but {}{fix}", at.previous)
        }
        Fail::UnknownChannels => {
            let mut example = input.to_vec();
            if let Some(last) = example.last_mut() {
                *last = Some(3);
            }
            let fix = at.previous.fix_input(&example, |l| format!("; declare them, like {l}"));
            let fix = if fix.is_empty() {
                "; the layer before it must output a known last axis".into()
            } else {
                fix
            };
            format!("`{display}` needs a known number of channels (the last axis, which sizes its kernel), but its input is {shown}{fix}")
        }
        Fail::WindowTooLarge { axis, window, size } => {
            let trail = at.previous.trail();
            let trail = if trail.is_empty() {
                String::new()
            } else {
                format!(" (the sizes after each earlier layer: {trail})")
            };
            let name = axis_name(axis, axes);
            format!(
                "`{display}` needs at least {window} {name} for its window, but its input {shown} has {size} {name}{trail}; use a smaller window, `padding = same`, or less downsampling before it",
            )
        }
        Fail::Groups { groups, channels, filters } => {
            let g = gcd(channels, filters);
            format!(
                "`{display}` splits the channels into {groups} groups, but {groups} does not divide both its input's {channels} channels and its {filters} filters; use `groups = {g}`{}",
                if g == 1 { " (no grouping)" } else { " or another common divisor" }
            )
        }
        other => format!("`{display}` {}", other.message(input)),
    }
}

/// The greatest common divisor.
fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a.max(1)
    } else {
        gcd(b, a % b)
    }
}

/// The fix for a windowed layer given an input of the wrong rank.
fn rank_fix(at: &At<'_>, axes: usize) -> String {
    let input = at.input;
    match (axes, input) {
        // An image without its channel axis, or a sequence fed to a 2-D layer.
        (2, [Some(h), Some(w)]) => {
            let with_channels = [Some(*h), Some(*w), Some(1)];
            match at.previous.fix_input(&with_channels, |l| format!("; an image needs a channel axis: declare {l} (3 channels for RGB)")) {
                fix if !fix.is_empty() => fix,
                _ => format!("; to read it as a one-channel image add `Reshape([{h}, {w}, 1]),` before it, or use `Conv1d` and `MaxPool1d` for a sequence"),
            }
        }
        (2, [None, _]) => {
            "; it is a sequence [steps, features]: use `Conv1d` and `MaxPool1d` for sequences".into()
        }
        (2, [Some(n)]) => {
            let side = (1..=*n).rev().find(|s| s * s == *n);
            match side {
                Some(s) => format!("; reshape the vector into an image first: add `Reshape([{s}, {s}, 1]),` before it"),
                None => format!("; reshape the vector into an image first, `Reshape([height, width, channels])` with height · width · channels = {n}"),
            }
        }
        (1, [_, _, _]) => "; it is an image: use `Conv2d` and `MaxPool2d` for images".into(),
        (1, [None]) => at.previous.fix_input(&[None, Some(1)], |l| {
            format!("; for sequences of one value per step, declare the input as {l}")
        }),
        (1, [Some(n)]) => format!(
            "; to read the vector as a sequence of one value per step add `Reshape([{n}, 1]),` before it"
        ),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_divisors() {
        assert_eq!(gcd(16, 32), 16);
        assert_eq!(gcd(6, 4), 2);
        assert_eq!(gcd(5, 3), 1);
        assert_eq!(per_axis_text([2, 2], 2), "2");
        assert_eq!(per_axis_text([2, 3], 2), "(2, 3)");
    }
}
