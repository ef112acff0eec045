//! Keras's `summary()` table (Keras 3.15, `utils/summary_utils.py`, rendered by `rich` for an
//! 80-column terminal): the three columns of a sequential model, or the functional table
//! with its "Connected to" column and one `InputLayer` row per input.

use crate::model::{InputSpec, LayerInfo};
use crate::shape::Dims;

/// Column widths of the sequential table.
const WIDTHS: [usize; 3] = [33, 24, 15];

/// Column widths of the functional table.
const GRAPH_WIDTHS: [usize; 4] = [21, 19, 12, 19];

/// Bytes as Keras prints them: `156.00 B`, `37.54 KB` (powers of 1024).
pub fn readable_memory_size(bytes: f64) -> String {
    let mut size = bytes;
    for unit in ["B", "KB", "MB", "GB", "TB"] {
        if size / 1024.0 < 1.0 {
            return format!("{size:.2} {unit}");
        }
        size /= 1024.0;
    }
    format!("{size:.2} PB")
}

/// `1234567` → `1,234,567`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn rule(widths: &[usize], left: char, fill: char, mid: char, right: char) -> String {
    let cols: Vec<String> = widths.iter().map(|&w| fill.to_string().repeat(w)).collect();
    format!("{left}{}{right}\n", cols.join(&mid.to_string()))
}

/// `text` broken into lines of at most `width` characters at spaces, as `rich` wraps a cell
/// (a word longer than the width is split).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            lines.push(word.drain(..width).collect());
        }
        let word: String = word.into_iter().collect();
        let needed = if line.is_empty() {
            word.chars().count()
        } else {
            line.chars().count() + 1 + word.chars().count()
        };
        if needed > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    lines.push(line);
    lines
}

/// One row of the functional table: each cell wrapped to its column, the third (`Param #`)
/// aligned right.
fn graph_row(edge: char, cells: [&str; 4]) -> String {
    let wrapped: Vec<Vec<String>> =
        cells.iter().zip(GRAPH_WIDTHS).map(|(cell, w)| wrap(cell, w - 2)).collect();
    let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
    let mut out = String::new();
    for line in 0..height {
        out.push(edge);
        for (col, (lines, w)) in wrapped.iter().zip(GRAPH_WIDTHS).enumerate() {
            let text = lines.get(line).map_or("", String::as_str);
            let pad = w - 2 - text.chars().count();
            if col == 2 {
                out += &format!(" {}{text} {edge}", " ".repeat(pad));
            } else {
                out += &format!(" {text}{} {edge}", " ".repeat(pad));
            }
        }
        out.push('\n');
    }
    out
}

fn row(edge: char, cells: [&str; 3]) -> String {
    let fit = |s: &str, w: usize| -> String {
        let n = s.chars().count();
        if n > w - 2 {
            let cut: String = s.chars().take(w - 3).collect();
            format!("{cut}…")
        } else {
            s.to_string()
        }
    };
    format!(
        "{edge} {:<w0$} {edge} {:<w1$} {edge} {:>w2$} {edge}\n",
        fit(cells[0], WIDTHS[0]),
        fit(cells[1], WIDTHS[1]),
        fit(cells[2], WIDTHS[2]),
        w0 = WIDTHS[0] - 2,
        w1 = WIDTHS[1] - 2,
        w2 = WIDTHS[2] - 2,
    )
}

/// The table Keras's `model.summary()` prints: a sequential model's when no layer lists its
/// sources (each reads the one before), else the functional table, which starts with one
/// `InputLayer` row per input; then the totals, trainable and non-trainable.
pub fn summary_table(model: &str, inputs: &[InputSpec], layers: &[LayerInfo]) -> String {
    let mut s = format!("Model: \"{model}\"\n");
    if layers.iter().all(|l| l.inputs.is_empty()) {
        s += &rule(&WIDTHS, '┏', '━', '┳', '┓');
        s += &row('┃', ["Layer (type)", "Output Shape", "Param #"]);
        s += &rule(&WIDTHS, '┡', '━', '╇', '┩');
        for (i, layer) in layers.iter().enumerate() {
            if i > 0 {
                s += &rule(&WIDTHS, '├', '─', '┼', '┤');
            }
            let name = format!("{} ({})", layer.name, layer.kind);
            s += &row('│', [&name, &Dims::keras_pattern(&layer.output), &thousands(layer.params)]);
        }
        s += &rule(&WIDTHS, '└', '─', '┴', '┘');
    } else {
        s += &rule(&GRAPH_WIDTHS, '┏', '━', '┳', '┓');
        s += &graph_row('┃', ["Layer (type)", "Output Shape", "Param #", "Connected to"]);
        s += &rule(&GRAPH_WIDTHS, '┡', '━', '╇', '┩');
        let input_rows =
            inputs.iter().map(|i| (format!("{} (InputLayer)", i.name), i.dims.to_vec(), 0, "-".into()));
        let layer_rows = layers
            .iter()
            .map(|l| (format!("{} ({})", l.name, l.kind), l.output.clone(), l.params, l.inputs.join(", ")));
        for (i, (name, output, params, connected)) in input_rows.chain(layer_rows).enumerate() {
            if i > 0 {
                s += &rule(&GRAPH_WIDTHS, '├', '─', '┼', '┤');
            }
            s += &graph_row('│', [&name, &Dims::keras_pattern(&output), &thousands(params), &connected]);
        }
        s += &rule(&GRAPH_WIDTHS, '└', '─', '┴', '┘');
    }
    let total: usize = layers.iter().map(|l| l.params).sum();
    let frozen: usize = layers.iter().map(|l| l.non_trainable).sum();
    let size = |n: usize| readable_memory_size(n as f64 * 4.0);
    s += &format!(" Total params: {} ({})\n", thousands(total), size(total));
    s += &format!(" Trainable params: {} ({})\n", thousands(total - frozen), size(total - frozen));
    s += &format!(" Non-trainable params: {} ({})\n", thousands(frozen), size(frozen));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::InputDType;

    /// The table of SEMANTICS.md §5, printed by Keras 3.15.1 for `Input(5) → Dense(4) → Dense(3)`.
    #[test]
    fn matches_keras() {
        let layers = [
            LayerInfo {
                name: "dense".into(),
                kind: "Dense".into(),
                output: vec![Some(4)],
                params: 24,
                non_trainable: 0,
                inputs: vec![],
            },
            LayerInfo {
                name: "dense_1".into(),
                kind: "Dense".into(),
                output: vec![Some(3)],
                params: 15,
                non_trainable: 0,
                inputs: vec![],
            },
        ];
        let expected = "\
Model: \"mlp\"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                   │ (None, 4)              │            24 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 3)              │            15 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 39 (156.00 B)
 Trainable params: 39 (156.00 B)
 Non-trainable params: 0 (0.00 B)
";
        assert_eq!(summary_table("mlp", &[], &layers), expected);
    }

    /// Printed by Keras 3.15.1 (80 columns) for two inputs `a: [3]`, `b: [2]`, a
    /// `Concatenate`, and two `Dense(1)` heads `click` and `rating`.
    #[test]
    fn functional_table_matches_keras() {
        let inputs = [
            InputSpec { name: "a", dims: &[Some(3)], dtype: InputDType::F32, ids_below: None },
            InputSpec { name: "b", dims: &[Some(2)], dtype: InputDType::F32, ids_below: None },
        ];
        let layer = |name: &str, kind: &str, out: usize, params: usize, inputs: &[&str]| LayerInfo {
            name: name.into(),
            kind: kind.into(),
            output: vec![Some(out)],
            params,
            non_trainable: 0,
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
        };
        let layers = [
            layer("concatenate", "Concatenate", 5, 0, &["a[0][0]", "b[0][0]"]),
            layer("click", "Dense", 1, 6, &["concatenate[0][0]"]),
            layer("rating", "Dense", 1, 6, &["concatenate[0][0]"]),
        ];
        let expected = "\
Model: \"functional\"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ a (InputLayer)      │ (None, 3)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ b (InputLayer)      │ (None, 2)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ concatenate         │ (None, 5)         │          0 │ a[0][0], b[0][0]  │
│ (Concatenate)       │                   │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ click (Dense)       │ (None, 1)         │          6 │ concatenate[0][0] │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ rating (Dense)      │ (None, 1)         │          6 │ concatenate[0][0] │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 12 (48.00 B)
 Trainable params: 12 (48.00 B)
 Non-trainable params: 0 (0.00 B)
";
        assert_eq!(summary_table("functional", &inputs, &layers), expected);
    }

    #[test]
    fn sizes_and_separators() {
        assert_eq!(readable_memory_size(38440.0), "37.54 KB");
        assert_eq!(thousands(235146), "235,146");
        assert_eq!(thousands(999), "999");
    }
}
