//! [`Previous`]: where a layer's input comes from, as its messages name it, and how a message
//! can suggest changing that source.

use crate::ast::DType;
use crate::layers::fmt_dims;

/// Where a layer's input comes from, as messages name it, and how to change that source.
#[derive(Default)]
pub struct Previous {
    /// "the model's input is [None]", "the previous layer `Dense(128)` outputs [128]".
    text: String,
    /// The `input:` line's dtype prefix (`u32`) when the shape is the model's input, so a fix
    /// can rewrite that line; `None` after a layer.
    input_dtype: Option<&'static str>,
    /// The input's name in a graph (`input user: ..`).
    input_name: Option<String>,
    /// The shapes from the model's input to this one through each earlier layer:
    /// "[8, 8, 1] → `Conv2d(4, 3)` [6, 6, 4]"; empty when unknown.
    trail: String,
}

impl Previous {
    /// The model's input line, of dims `dims`: the one input of a sequential model, or the
    /// input called `name` of a graph.
    pub fn input(name: Option<&str>, dims: &[Option<usize>], dtype: DType) -> Self {
        let text = match name {
            Some(name) => format!("the model's input `{name}` is {}", fmt_dims(dims)),
            None => format!("the model's input is {}", fmt_dims(dims)),
        };
        Previous {
            text,
            input_dtype: Some(dtype.written()),
            input_name: name.map(str::to_string),
            trail: String::new(),
        }
    }

    /// The layer shown as `display` on the line before, which outputs `dims`.
    pub fn layer(display: &str, dims: &[Option<usize>]) -> Self {
        Previous {
            text: format!("the previous layer `{display}` outputs {}", fmt_dims(dims)),
            input_dtype: None,
            input_name: None,
            trail: String::new(),
        }
    }

    /// The node `name` of a graph, whose layer is shown as `display`, which outputs `dims`.
    pub fn node(name: &str, display: &str, dims: &[Option<usize>]) -> Self {
        Previous {
            text: format!("its input `{name}` (`{display}`) outputs {}", fmt_dims(dims)),
            input_dtype: None,
            input_name: None,
            trail: String::new(),
        }
    }

    /// The same source with `trail`, the shapes from the model's input to it.
    pub fn with_trail(self, trail: String) -> Self {
        Previous { trail, ..self }
    }

    /// The shapes from the model's input to this one through each earlier layer, like
    /// "input [8, 8, 1] → `Conv2d(4, 3)` [6, 6, 4]"; empty when unknown.
    pub fn trail(&self) -> &str {
        &self.trail
    }

    /// Whether the shape is the model's input line (which a fix may rewrite).
    pub fn is_input(&self) -> bool {
        self.input_dtype.is_some()
    }

    /// When the shape is the model's input, `fix` applied to the `input:` line with `dims` (a
    /// fix that compiles as written); else nothing, since a layer's output cannot be rewritten
    /// by a message.
    pub fn fix_input(&self, dims: &[Option<usize>], fix: impl FnOnce(&str) -> String) -> String {
        match (self.input_dtype, &self.input_name) {
            (Some(dtype), Some(name)) => fix(&format!("`input {name}: {dtype}{},`", fmt_dims(dims))),
            (Some(dtype), None) => fix(&format!("`input: {dtype}{},`", fmt_dims(dims))),
            (None, _) => String::new(),
        }
    }

    /// For a layer that works on `[timesteps, features]` given `[None]` (a sequence of bare
    /// values): the `input: [None, 1]` that gives each step one feature, when the shape is the
    /// model's input.
    pub fn one_value_per_step(&self, dims: &[Option<usize>]) -> String {
        match dims {
            [None] => self.fix_input(&[None, Some(1)], |l| {
                format!("; for sequences of one value per step, declare the input as {l}")
            }),
            _ => String::new(),
        }
    }
}

impl std::fmt::Display for Previous {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// `dims` with every `None` replaced by an example size, 100: the fixed shape a fix declares.
pub fn fixed_example(dims: &[Option<usize>]) -> Vec<Option<usize>> {
    dims.iter().map(|d| Some(d.unwrap_or(100))).collect()
}
