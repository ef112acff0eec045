//! [`ElementwiseOp`]: Keras's six elementwise merge layers, by their class names, with the number
//! of inputs each takes. The shape rule they share is [`crate::elementwise`]; the runtime computes
//! them (`shaped_runtime::layers::merge::Elementwise`, where each one's formula, mask and gradient
//! are).

/// The elementwise merges of Keras 3 (`keras.layers.Add`, ...), each combining inputs of one
/// broadcast shape element by element.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ElementwiseOp {
    /// `Add`: `y = x₀ + x₁ + …`.
    Add,
    /// `Subtract`: `y = x₀ − x₁` (exactly two inputs).
    Subtract,
    /// `Multiply`: `y = x₀ · x₁ · …` (a masked step of an input counts as 1).
    Multiply,
    /// `Average`: `y = (x₀ + x₁ + …) / n`.
    Average,
    /// `Maximum`: `y = max(…max(max(x₀, x₁), x₂)…)` (a masked step takes the other operand).
    Maximum,
    /// `Minimum`: `y = min(…min(min(x₀, x₁), x₂)…)` (a masked step takes the other operand).
    Minimum,
}

impl ElementwiseOp {
    /// Every elementwise merge, in declaration order.
    pub const ALL: &'static [ElementwiseOp] = &[
        ElementwiseOp::Add,
        ElementwiseOp::Subtract,
        ElementwiseOp::Multiply,
        ElementwiseOp::Average,
        ElementwiseOp::Maximum,
        ElementwiseOp::Minimum,
    ];

    /// The Keras class name: `"Add"`, `"Subtract"`, `"Multiply"`, `"Average"`, `"Maximum"`,
    /// `"Minimum"`.
    pub const fn keras_name(self) -> &'static str {
        match self {
            ElementwiseOp::Add => "Add",
            ElementwiseOp::Subtract => "Subtract",
            ElementwiseOp::Multiply => "Multiply",
            ElementwiseOp::Average => "Average",
            ElementwiseOp::Maximum => "Maximum",
            ElementwiseOp::Minimum => "Minimum",
        }
    }

    /// The merge whose Keras class name is `name`.
    pub fn from_name(name: &str) -> Option<ElementwiseOp> {
        ElementwiseOp::ALL.iter().copied().find(|op| op.keras_name() == name)
    }

    /// The fewest inputs Keras 3.15.1 accepts: 2 for `Subtract` ("should be called on exactly
    /// 2 inputs"), 1 for the others (`Merge.build` asks for "at least 1 input"; one input is
    /// returned as it is, except that `Multiply` zeroes its masked steps).
    pub const fn min_inputs(self) -> usize {
        match self {
            ElementwiseOp::Subtract => 2,
            _ => 1,
        }
    }

    /// The most inputs Keras accepts: 2 for `Subtract`, no limit (`usize::MAX`) for the others.
    pub const fn max_inputs(self) -> usize {
        match self {
            ElementwiseOp::Subtract => 2,
            _ => usize::MAX,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_input_counts() {
        for &op in ElementwiseOp::ALL {
            assert_eq!(ElementwiseOp::from_name(op.keras_name()), Some(op));
        }
        assert_eq!(ElementwiseOp::from_name("add"), None);
        assert_eq!((ElementwiseOp::Subtract.min_inputs(), ElementwiseOp::Subtract.max_inputs()), (2, 2));
        assert_eq!(
            (ElementwiseOp::Maximum.min_inputs(), ElementwiseOp::Maximum.max_inputs()),
            (1, usize::MAX)
        );
    }
}
