//! The names the macro knows: built-in layers, their arguments, activations, and the Keras
//! spellings of layers with their shaped spelling.

/// Built-in layers available now, with their arguments in Keras's positional order.
pub const LAYERS: &[(&str, &[&str])] = &[
    ("Dense", &["units", "activation", "use_bias"]),
    ("Activation", &["activation"]),
    ("Dropout", &["rate", "seed"]),
    ("Flatten", &[]),
    ("Reshape", &["target_shape"]),
    ("Embedding", &["input_dim", "output_dim", "mask_zero"]),
    ("Masking", &["mask_value"]),
    ("SimpleRnn", &["units", "activation", "use_bias", "return_sequences", "return_state", "go_backwards"]),
    (
        "Lstm",
        &[
            "units",
            "activation",
            "recurrent_activation",
            "use_bias",
            "unit_forget_bias",
            "return_sequences",
            "return_state",
            "go_backwards",
        ],
    ),
    (
        "Gru",
        &[
            "units",
            "activation",
            "recurrent_activation",
            "use_bias",
            "return_sequences",
            "return_state",
            "go_backwards",
            "reset_after",
        ],
    ),
    ("Bidirectional", &["layer", "merge_mode"]),
    ("TimeDistributed", &["layer"]),
    ("GlobalAvgPool1d", &[]),
    ("GlobalMaxPool1d", &[]),
];

/// The arguments of a built-in layer, `None` if `name` is not one.
pub fn layer_args(name: &str) -> Option<&'static [&'static str]> {
    LAYERS.iter().find(|(n, _)| *n == name).map(|(_, args)| *args)
}

/// Layers of Keras that shaped spells in Rust casing, or that are planned but not built yet.
/// Each entry: (a name a user may write, shaped's spelling).
pub const KERAS_SPELLINGS: &[(&str, &str)] = &[
    ("LSTM", "Lstm"),
    ("GRU", "Gru"),
    ("SimpleRNN", "SimpleRnn"),
    ("Conv1D", "Conv1d"),
    ("Conv2D", "Conv2d"),
    ("MaxPooling1D", "MaxPool1d"),
    ("MaxPooling2D", "MaxPool2d"),
    ("MaxPool2D", "MaxPool2d"),
    ("AveragePooling2D", "AvgPool2d"),
    ("GlobalAveragePooling1D", "GlobalAvgPool1d"),
    ("GlobalMaxPooling1D", "GlobalMaxPool1d"),
    ("BatchNormalization", "BatchNorm"),
    ("LayerNormalization", "LayerNorm"),
    ("TimeDistributed", "TimeDistributed"),
    ("Bidirectional", "Bidirectional"),
    ("Embedding", "Embedding"),
    ("Masking", "Masking"),
];

/// Layers of DESIGN §1 that later versions add; naming one gives a clear "not yet" error.
pub const PLANNED: &[&str] =
    &["Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool2d", "BatchNorm", "LayerNorm"];

/// Keras's automatic name for a layer of this (shaped) type, before `_1`, `_2`, ...
pub fn keras_name(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "SimpleRnn" => "simple_rnn",
        "Lstm" => "lstm",
        "Gru" => "gru",
        "GlobalAvgPool1d" => "global_average_pooling1d",
        "GlobalMaxPool1d" => "global_max_pooling1d",
        _ => return None,
    })
}

/// Activation names as Keras spells them (`silu` is Keras's alias of `swish`), with the
/// runtime enum variant.
pub const ACTIVATIONS: &[(&str, &str)] = &[
    ("linear", "Linear"),
    ("relu", "Relu"),
    ("sigmoid", "Sigmoid"),
    ("tanh", "Tanh"),
    ("softmax", "Softmax"),
    ("gelu", "Gelu"),
    ("elu", "Elu"),
    ("selu", "Selu"),
    ("softplus", "Softplus"),
    ("softsign", "Softsign"),
    ("leaky_relu", "LeakyRelu"),
    ("swish", "Swish"),
    ("silu", "Swish"),
];
