//! [`InputDType`]: what a model input holds.

/// What an input holds, as declared: `f32` values (the default; `Option<f32>` too), `u32` token
/// ids, or strings (`String`, `Option<String>`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InputDType {
    /// `f32` values.
    #[default]
    F32,
    /// `u32` token ids.
    U32,
    /// Strings, one per sample.
    Text,
}

impl InputDType {
    /// Keras's name of the dtype: `float32`, `uint32`, `string`.
    pub fn keras_name(self) -> &'static str {
        match self {
            InputDType::F32 => "float32",
            InputDType::U32 => "uint32",
            InputDType::Text => "string",
        }
    }

    /// The dtype of an input whose samples' fields say `token_ids` and `text`.
    pub fn of(token_ids: bool, text: bool) -> InputDType {
        match (token_ids, text) {
            (_, true) => InputDType::Text,
            (true, false) => InputDType::U32,
            (false, false) => InputDType::F32,
        }
    }
}
