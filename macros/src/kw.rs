//! The names the macro knows: built-in layers, their arguments, activations, and the Keras
//! spellings of layers with their shaped spelling.

/// Built-in layers available now, with their arguments in Keras's positional order.
pub const LAYERS: &[(&str, &[&str])] = &[
    ("Dense", &["units", "activation", "use_bias"]),
    ("Activation", &["activation"]),
    ("Dropout", &["rate", "seed"]),
    ("Flatten", &[]),
    ("Reshape", &["target_shape"]),
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
pub const PLANNED: &[&str] = &[
    "Lstm",
    "Gru",
    "SimpleRnn",
    "Embedding",
    "Masking",
    "Bidirectional",
    "TimeDistributed",
    "Conv1d",
    "Conv2d",
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool2d",
    "GlobalAvgPool1d",
    "GlobalMaxPool1d",
    "BatchNorm",
    "LayerNorm",
];

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
