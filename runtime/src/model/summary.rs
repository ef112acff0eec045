//! Keras's `summary()` table (Keras 3.15, `utils/summary_utils.py`).

use crate::model::LayerInfo;
use crate::shape::Dims;

const WIDTHS: [usize; 3] = [33, 24, 15];

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

fn rule(left: char, fill: char, mid: char, right: char) -> String {
    let cols: Vec<String> = WIDTHS.iter().map(|&w| fill.to_string().repeat(w)).collect();
    format!("{left}{}{right}\n", cols.join(&mid.to_string()))
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

/// The table Keras's `model.summary()` prints for a Sequential model (all weights trainable).
pub fn summary_table(model: &str, layers: &[LayerInfo]) -> String {
    let mut s = format!("Model: \"{model}\"\n");
    s += &rule('┏', '━', '┳', '┓');
    s += &row('┃', ["Layer (type)", "Output Shape", "Param #"]);
    s += &rule('┡', '━', '╇', '┩');
    for (i, layer) in layers.iter().enumerate() {
        if i > 0 {
            s += &rule('├', '─', '┼', '┤');
        }
        let name = format!("{} ({})", layer.name, layer.kind);
        s += &row('│', [&name, &Dims::keras_pattern(&layer.output), &thousands(layer.params)]);
    }
    s += &rule('└', '─', '┴', '┘');
    let total: usize = layers.iter().map(|l| l.params).sum();
    let size = readable_memory_size(total as f64 * 4.0);
    s += &format!(" Total params: {} ({size})\n", thousands(total));
    s += &format!(" Trainable params: {} ({size})\n", thousands(total));
    s += &format!(" Non-trainable params: 0 ({})\n", readable_memory_size(0.0));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table of SEMANTICS.md §5, printed by Keras 3.15.1 for `Input(5) → Dense(4) → Dense(3)`.
    #[test]
    fn matches_keras() {
        let layers = [
            LayerInfo { name: "dense".into(), kind: "Dense".into(), output: vec![Some(4)], params: 24 },
            LayerInfo { name: "dense_1".into(), kind: "Dense".into(), output: vec![Some(3)], params: 15 },
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
        assert_eq!(summary_table("mlp", &layers), expected);
    }

    #[test]
    fn sizes_and_separators() {
        assert_eq!(readable_memory_size(38440.0), "37.54 KB");
        assert_eq!(thousands(235146), "235,146");
        assert_eq!(thousands(999), "999");
    }
}
