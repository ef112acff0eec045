//! Convolutions over channels-last inputs: `Conv1d` on `[steps, channels]`, `Conv2d`,
//! `DepthwiseConv2d`, `SeparableConv2d` and `Conv2dTranspose` on `[height, width, channels]`.
//!
//! ```text
//! input: [28, 28, 1],
//! Conv2d(16, 3, activation = relu),              [28, 28, 1] → [26, 26, 16]
//! Conv2d(32, 3, strides = 2, padding = same),    [26, 26, 16] → [13, 13, 32]
//! Conv2dTranspose(8, 3, strides = 2),            [13, 13, 32] → [27, 27, 8]
//! ```

use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::layers::window::{read_window, window_config, window_message, window_tokens};
use crate::layers::{activation_tokens, At, Builtin, ConfigValue, Follow, Init, LayerDef};
use crate::size::Size;
use proc_macro2::TokenStream;
use quote::quote;
use shaped_rules::{Activation, ConstDims, Fail, Window};

/// `Conv1d`'s and `Conv2d`'s parameters, in Keras's positional order.
const CONV_PARAMS: &[&str] =
    &["filters", "kernel_size", "strides", "padding", "dilation_rate", "groups", "activation", "use_bias"];

pub const CONV_1D: LayerDef = LayerDef {
    name: "Conv1d",
    auto_name: "conv1d",
    params: CONV_PARAMS,
    build: |cx, args| Some(Box::new(Conv::read(cx, args, Kind::Plain { axes: 1 })?)),
};

pub const CONV_2D: LayerDef = LayerDef {
    name: "Conv2d",
    auto_name: "conv2d",
    params: CONV_PARAMS,
    build: |cx, args| Some(Box::new(Conv::read(cx, args, Kind::Plain { axes: 2 })?)),
};

pub const CONV_2D_TRANSPOSE: LayerDef = LayerDef {
    name: "Conv2dTranspose",
    auto_name: "conv2d_transpose",
    params: &["filters", "kernel_size", "strides", "padding", "dilation_rate", "activation", "use_bias"],
    build: |cx, args| Some(Box::new(Conv::read(cx, args, Kind::Transpose)?)),
};

pub const DEPTHWISE_CONV_2D: LayerDef = LayerDef {
    name: "DepthwiseConv2d",
    auto_name: "depthwise_conv2d",
    params: &[
        "kernel_size",
        "strides",
        "padding",
        "depth_multiplier",
        "dilation_rate",
        "activation",
        "use_bias",
    ],
    build: |cx, args| Some(Box::new(Conv::read(cx, args, Kind::Depthwise)?)),
};

pub const SEPARABLE_CONV_2D: LayerDef = LayerDef {
    name: "SeparableConv2d",
    auto_name: "separable_conv2d",
    params: &[
        "filters",
        "kernel_size",
        "strides",
        "padding",
        "dilation_rate",
        "depth_multiplier",
        "activation",
        "use_bias",
    ],
    build: |cx, args| Some(Box::new(Conv::read(cx, args, Kind::Separable)?)),
};

/// Which convolution.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `Conv1d` (1 axis) or `Conv2d` (2 axes).
    Plain { axes: usize },
    /// `Conv2dTranspose`.
    Transpose,
    /// `DepthwiseConv2d`.
    Depthwise,
    /// `SeparableConv2d`.
    Separable,
}

/// A convolution's arguments, Keras's defaults filled in.
struct Conv {
    kind: Kind,
    /// The filters (output channels); unused by `DepthwiseConv2d`.
    filters: Size,
    window: Window,
    groups: usize,
    depth_multiplier: usize,
    activation: Activation,
    use_bias: bool,
}

impl Conv {
    fn read(cx: &Ctxt, args: &Args<'_>, kind: Kind) -> Option<Conv> {
        let layer = args.layer;
        let axes = match kind {
            Kind::Plain { axes } => axes,
            _ => 2,
        };
        let filters = if kind == Kind::Depthwise {
            Some(Size::Lit(1))
        } else {
            args.required(cx, "filters", &format!("`{layer}` needs `filters`, the number of output channels, as its first argument: `{layer}(32, 3)`"))
                .and_then(|v| args.size(cx, v, "filters", "the number of output channels"))
        };
        let window = read_window(cx, args, axes, "kernel_size", None, kind == Kind::Plain { axes: 1 }, true);
        let groups = args.positive_or(cx, "groups", "the number of channel groups", Some(1)).flatten();
        let depth_multiplier =
            args.positive_or(cx, "depth_multiplier", "outputs per input channel", Some(1)).flatten();
        let activation = args.activation(cx, "activation", Activation::Linear);
        let use_bias = args.flag(cx, "use_bias", true);
        let (filters, groups) = (filters?, groups?);
        // `groups` must divide the filters and the input's channels: the shape rule checks both.
        Some(Conv {
            kind,
            filters,
            window: window?,
            groups,
            depth_multiplier: depth_multiplier?,
            activation: activation?,
            use_bias: use_bias?,
        })
    }

    /// The filters as a literal when the macro knows them.
    fn filters_known(&self) -> usize {
        self.filters.known().unwrap_or(1)
    }
}

impl Builtin for Conv {
    fn config(&self) -> Vec<(&'static str, ConfigValue)> {
        let mut config = Vec::new();
        if self.kind != Kind::Depthwise {
            config.push(("filters", ConfigValue::size(&self.filters)));
        }
        config.extend(window_config(&self.window, "kernel_size", true));
        match self.kind {
            Kind::Plain { .. } => config.push(("groups", ConfigValue::plain(self.groups))),
            Kind::Depthwise | Kind::Separable => {
                config.push(("depth_multiplier", ConfigValue::plain(self.depth_multiplier)))
            }
            Kind::Transpose => {}
        }
        config.push(("activation", ConfigValue::activation(self.activation)));
        config.push(("use_bias", ConfigValue::plain(self.use_bias)));
        config
    }

    fn rule(&self, input: &[Option<usize>]) -> Result<ConstDims, Fail> {
        let w = self.window;
        match self.kind {
            Kind::Plain { .. } => shaped_rules::conv(input, w, self.filters_known(), self.groups),
            Kind::Transpose => shaped_rules::conv_transpose(input, w, self.filters_known()),
            Kind::Depthwise => shaped_rules::depthwise_conv(input, w, self.depth_multiplier),
            Kind::Separable => shaped_rules::separable_conv(input, w, self.filters_known()),
        }
    }

    fn const_sizes(&self) -> Vec<(&'static str, &Size)> {
        self.filters.known().is_none().then_some(("filters", &self.filters)).into_iter().collect()
    }

    fn message(&self, fail: Fail, at: &At<'_>) -> String {
        window_message(fail, at, self.window.axes)
    }

    fn follow(&self, _prev: &TokenStream) -> Option<Follow> {
        None
    }

    fn rule_tokens(&self, input: TokenStream) -> TokenStream {
        let w = window_tokens(&self.window);
        let filters = self.filters.tokens();
        let (groups, m) = (self.groups, self.depth_multiplier);
        match self.kind {
            Kind::Plain { .. } => quote!(::shaped::rules::conv(#input, #w, #filters, #groups)),
            Kind::Transpose => quote!(::shaped::rules::conv_transpose(#input, #w, #filters)),
            Kind::Depthwise => quote!(::shaped::rules::depthwise_conv(#input, #w, #m)),
            Kind::Separable => quote!(::shaped::rules::separable_conv(#input, #w, #filters)),
        }
    }

    fn stage_type(&self) -> TokenStream {
        match self.kind {
            Kind::Plain { .. } => quote!(::shaped::layers::Conv),
            Kind::Transpose => quote!(::shaped::layers::ConvTranspose),
            Kind::Depthwise => quote!(::shaped::layers::DepthwiseConv),
            Kind::Separable => quote!(::shaped::layers::SeparableConv),
        }
    }

    fn stage_init(&self, at: &Init<'_>) -> TokenStream {
        let channels = at.last_dim();
        let rng = at.rng();
        let window = window_tokens(&self.window);
        let filters = self.filters.tokens();
        let activation = activation_tokens(self.activation);
        let (groups, m, use_bias) = (self.groups, self.depth_multiplier, self.use_bias);
        let options = quote!(::shaped::layers::ConvOptions {
            window: #window,
            filters: #filters,
            groups: #groups,
            activation: #activation,
            use_bias: #use_bias,
        });
        match self.kind {
            Kind::Plain { .. } => quote!(::shaped::layers::Conv::new(#channels, #options, #rng)),
            Kind::Transpose => quote!(::shaped::layers::ConvTranspose::new(#channels, #options, #rng)),
            Kind::Depthwise => {
                quote!(::shaped::layers::DepthwiseConv::new(#channels, #window, #m, #activation, #use_bias, #rng))
            }
            Kind::Separable => quote!(::shaped::layers::SeparableConv::new(
                #channels, #window, #m, #filters, #activation, #use_bias, #rng
            )),
        }
    }
}
