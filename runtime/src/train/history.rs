//! [`History`]: what `fit` returns, Keras's `History` callback (`history.epoch`,
//! `history.history`), plus CSV, JSON and SVG exports.
//!
//! ```text
//! epochs   [0, 1, 2]
//! loss     [0.91, 0.52, 0.40]
//! accuracy [0.61, 0.80, 0.86]
//! val_loss [0.95, 0.60, 0.47]
//! ```

use crate::error::Result;
use crate::io::write_atomically;
use crate::train::logs::Logs;
use crate::train::progress::{python_exp, python_float};
use std::fmt::Write as _;
use std::path::Path;

impl serde::Serialize for History {
    /// `{"epoch": [..], "<key>": [..], ..}` with keys in the order first seen; non-finite
    /// values become `null` (what `serde_json` writes for them).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.keys.len() + 1))?;
        map.serialize_entry("epoch", &self.epochs)?;
        for (key, series) in self.keys.iter().zip(&self.values) {
            map.serialize_entry(key, series)?;
        }
        map.end()
    }
}

/// Per-epoch values of every logged quantity, in the order first seen: `loss`, the metrics,
/// then `val_loss`, `val_<metric>`.
///
/// Every series has one value per recorded epoch; an epoch that did not log a key (validation
/// every other epoch, a key that appears late) holds NaN there.
///
/// ```
/// use shaped::prelude::*;
///
/// shaped::model! {
///     struct Net {
///         input: [1],
///         Dense(1),
///     }
/// }
///
/// // y = 2x + 1, learned by gradient descent.
/// let x: Vec<[f32; 1]> = (0..32).map(|i| [i as f32 / 32.0]).collect();
/// let y: Vec<[f32; 1]> = x.iter().map(|[v]| [2.0 * v + 1.0]).collect();
/// let mut model = Net::new(0).compile(Sgd { learning_rate: 0.5.into(), ..Default::default() }, MeanSquaredError, [Mae])?;
/// let history = model.fit(&x, &y, FitOptions { epochs: 30, validation_split: 0.25, verbose: Verbose::Silent, ..Default::default() })?;
///
/// assert_eq!(history.keys().collect::<Vec<_>>(), ["loss", "mae", "val_loss", "val_mae"]);
/// let loss = history.get("loss").unwrap();
/// assert!(loss[29] < loss[0] / 10.0);
/// assert!(history.to_csv().starts_with("epoch,loss,mae,val_loss,val_mae\n0,"));
/// assert!(history.to_json().starts_with("{\"epoch\":[0,1,2,"));
/// // history.write_svg("history.svg")? draws the curves.
/// # Ok::<(), shaped::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    epochs: Vec<usize>,
    keys: Vec<String>,
    values: Vec<Vec<f64>>,
}

impl History {
    /// An empty history.
    pub fn new() -> Self {
        History::default()
    }

    /// Records epoch `epoch` (0-based) with its logs.
    pub fn push(&mut self, epoch: usize, logs: &Logs) {
        let row = self.epochs.len();
        self.epochs.push(epoch);
        for (name, value) in logs.iter() {
            let column = match self.keys.iter().position(|k| k == name) {
                Some(column) => column,
                None => {
                    self.keys.push(name.to_string());
                    self.values.push(vec![f64::NAN; row]);
                    self.keys.len() - 1
                }
            };
            if self.values[column].len() == row {
                self.values[column].push(value);
            }
        }
        for series in &mut self.values {
            if series.len() == row {
                series.push(f64::NAN);
            }
        }
    }

    /// The values of `key`, one per epoch.
    pub fn get(&self, key: &str) -> Option<&[f64]> {
        self.keys.iter().position(|k| k == key).map(|column| self.values[column].as_slice())
    }

    /// The logged names in the order first seen.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(String::as_str)
    }

    /// The recorded epochs, 0-based (Keras's `history.epoch`).
    pub fn epochs(&self) -> &[usize] {
        &self.epochs
    }

    /// The number of recorded epochs.
    pub fn len(&self) -> usize {
        self.epochs.len()
    }

    /// Whether no epoch was recorded.
    pub fn is_empty(&self) -> bool {
        self.epochs.is_empty()
    }

    /// CSV as Keras's `CSVLogger` writes it: header `epoch` then the names sorted, one row per
    /// epoch (0-based), values in full precision as Python prints them (`0.1`, `1e-05`, `nan`).
    pub fn to_csv(&self) -> String {
        let mut order: Vec<usize> = (0..self.keys.len()).collect();
        order.sort_by(|&a, &b| self.keys[a].cmp(&self.keys[b]));
        let mut csv = String::from("epoch");
        for &column in &order {
            csv.push(',');
            csv.push_str(&csv_field(&self.keys[column]));
        }
        csv.push('\n');
        for (row, epoch) in self.epochs.iter().enumerate() {
            csv.push_str(&epoch.to_string());
            for &column in &order {
                csv.push(',');
                csv.push_str(&python_float(self.values[column][row]));
            }
            csv.push('\n');
        }
        csv
    }

    /// JSON like Keras's `history.history` plus the epoch list:
    /// `{"epoch":[0,1],"loss":[0.5,0.4],...}`, keys in the order first seen, NaN and ±∞ as
    /// `null` (written by `serde_json` through `History`'s `Serialize` impl).
    pub fn to_json(&self) -> String {
        // A map of string keys to numbers: serde_json's writer into a `Vec` cannot fail on it.
        serde_json::to_string(self).expect("a map of numbers serializes")
    }

    /// A self-contained 800×500 SVG line chart: one panel for the losses (`loss`, `val_loss`,
    /// any `*_loss`), one for the other metrics; training solid, validation dashed, one colour
    /// per quantity; epochs (1-based, as printed during fit) on x. NaN and ±∞ values leave gaps.
    pub fn to_svg(&self) -> String {
        let mut svg = String::new();
        let _ = write!(
            svg,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12" fill="#333">
<rect width="{W}" height="{H}" fill="#ffffff"/>
"##
        );
        if self.is_empty() {
            let _ = writeln!(
                svg,
                r#"<text x="{}" y="{}" text-anchor="middle" font-size="14">no epochs recorded</text>"#,
                W / 2.0,
                H / 2.0
            );
            svg.push_str("</svg>\n");
            return svg;
        }
        let mut bases: Vec<&str> = Vec::new();
        for key in &self.keys {
            let base = base_name(key);
            if !bases.contains(&base) {
                bases.push(base);
            }
        }
        let colour = |key: &str| {
            let index = bases.iter().position(|b| *b == base_name(key)).unwrap_or(0);
            PALETTE[index % PALETTE.len()]
        };
        let (losses, metrics): (Vec<usize>, Vec<usize>) =
            (0..self.keys.len()).partition(|&column| is_loss(&self.keys[column]));
        let panels: Vec<(&str, Vec<usize>)> = [("Loss", losses), ("Metrics", metrics)]
            .into_iter()
            .filter(|(_, columns)| !columns.is_empty())
            .collect();
        let width = W / panels.len().max(1) as f64;
        // Every panel leaves room for the longest legend, so the plots line up.
        let legend_rows = (0..panels.len())
            .map(|i| {
                legend_layout(
                    &self.keys,
                    &panels[i].1,
                    i as f64 * width + PAD_LEFT,
                    (i + 1) as f64 * width - PAD_RIGHT,
                )
                .1
            })
            .max()
            .unwrap_or(1);
        for (i, (title, columns)) in panels.iter().enumerate() {
            let panel = Panel { x0: i as f64 * width, width, title, columns, legend_rows };
            self.draw_panel(&mut svg, &panel, &colour);
        }
        svg.push_str("</svg>\n");
        svg
    }

    /// Writes [`History::to_csv`] to `path` atomically (temp file in the same directory, then
    /// rename).
    pub fn write_csv(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomically(path.as_ref(), self.to_csv().as_bytes())
    }

    /// Writes [`History::to_json`] to `path` atomically.
    pub fn write_json(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomically(path.as_ref(), self.to_json().as_bytes())
    }

    /// Writes [`History::to_svg`] to `path` atomically.
    pub fn write_svg(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomically(path.as_ref(), self.to_svg().as_bytes())
    }

    /// One panel: title, grid, axes with ticks, one line per column, legend underneath.
    fn draw_panel(&self, svg: &mut String, panel: &Panel<'_>, colour: &dyn Fn(&str) -> &'static str) {
        let Panel { x0, width, title, columns, legend_rows } = *panel;
        let (left, right, top) = (x0 + PAD_LEFT, x0 + width - PAD_RIGHT, 44.0);
        let (legend, _) = legend_layout(&self.keys, columns, left, right);
        let legend_top = H - 22.0 - 20.0 * legend_rows.saturating_sub(1) as f64;
        let bottom = legend_top - 66.0;
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="26" text-anchor="middle" font-size="15" font-weight="bold">{}</text>"#,
            (left + right) / 2.0,
            title
        );

        // x: epochs shown 1-based, with a small margin (one epoch each side for a single epoch).
        let xs: Vec<f64> = self.epochs.iter().map(|&e| e as f64 + 1.0).collect();
        let (x_min, x_max) =
            xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        let x_margin = if x_max > x_min { 0.03 * (x_max - x_min) } else { 1.0 };
        let (x_lo, x_hi) = (x_min - x_margin, x_max + x_margin);

        // y: round ticks around the finite values, with a small margin beyond them.
        let finite: Vec<f64> =
            columns.iter().flat_map(|&c| self.values[c].iter().copied()).filter(|v| v.is_finite()).collect();
        let y_ticks = if finite.is_empty() {
            vec![0.0, 0.5, 1.0]
        } else {
            let (lo, hi) =
                finite.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            nice_ticks(lo, hi)
        };
        let (first, last) = (y_ticks[0], y_ticks[y_ticks.len() - 1]);
        let y_margin = 0.03 * (last - first);
        let (y_lo, y_hi) = (first - y_margin, last + y_margin);
        let sx = |x: f64| left + (x - x_lo) / (x_hi - x_lo) * (right - left);
        let sy = |y: f64| bottom - (y - y_lo) / (y_hi - y_lo) * (bottom - top);

        // Grid and y ticks.
        let step = if y_ticks.len() > 1 { y_ticks[1] - y_ticks[0] } else { 1.0 };
        for &t in &y_ticks {
            let y = sy(t);
            let _ = writeln!(
                svg,
                r##"<line x1="{left:.1}" y1="{y:.1}" x2="{right:.1}" y2="{y:.1}" stroke="#e6e6e6" stroke-width="1"/>
<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                left - 8.0,
                y + 4.0,
                tick_label(t, step)
            );
        }
        // x ticks at whole epochs within the data.
        let x_step = integer_step(x_max - x_min);
        let mut t = (x_min / x_step).ceil() * x_step;
        while t <= x_max + 1e-9 {
            let x = sx(t);
            let _ = writeln!(
                svg,
                r##"<line x1="{x:.1}" y1="{bottom:.1}" x2="{x:.1}" y2="{:.1}" stroke="#444" stroke-width="1"/>
<text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
                bottom + 5.0,
                bottom + 19.0,
                t as u64
            );
            t += x_step;
        }
        // Axes.
        let _ = writeln!(
            svg,
            r##"<path d="M{left:.1},{top:.1} V{bottom:.1} H{right:.1}" fill="none" stroke="#444" stroke-width="1"/>
<text x="{:.1}" y="{:.1}" text-anchor="middle">epoch</text>"##,
            (left + right) / 2.0,
            bottom + 38.0
        );
        if finite.is_empty() {
            let _ = writeln!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#888">no finite values</text>"##,
                (left + right) / 2.0,
                (top + bottom) / 2.0
            );
        }

        // Series: a polyline per run of finite values, a faint line across each gap (an epoch
        // without the value), markers when there are few epochs or a value stands alone.
        let markers = self.epochs.len() <= 40;
        for &column in columns {
            let key = &self.keys[column];
            let (stroke, dashed) = (colour(key), key.starts_with("val_"));
            let dash = if dashed { r#" stroke-dasharray="7 4""# } else { "" };
            let points: Vec<Option<(f64, f64)>> = xs
                .iter()
                .zip(&self.values[column])
                .map(|(&x, &v)| v.is_finite().then(|| (sx(x), sy(v))))
                .collect();
            let mut previous_end: Option<(f64, f64)> = None;
            for segment in points.split(Option::is_none) {
                let segment: Vec<(f64, f64)> = segment.iter().flatten().copied().collect();
                let (Some(&start), Some(&end)) = (segment.first(), segment.last()) else { continue };
                if let Some((x1, y1)) = previous_end {
                    let _ = writeln!(
                        svg,
                        r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{:.1}" y2="{:.1}" stroke="{stroke}" stroke-width="1.5" stroke-opacity="0.35"{dash}/>"#,
                        start.0, start.1
                    );
                }
                previous_end = Some(end);
                if segment.len() > 1 {
                    let coords: Vec<String> = segment.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
                    let _ = writeln!(
                        svg,
                        r#"<polyline points="{}" fill="none" stroke="{stroke}" stroke-width="2"{dash} stroke-linejoin="round"/>"#,
                        coords.join(" ")
                    );
                }
                if markers || segment.len() == 1 {
                    for (x, y) in segment {
                        svg.push_str(&marker(x, y, stroke, dashed));
                    }
                }
            }
        }

        // Legend.
        for (column, x, row) in legend {
            let key = &self.keys[column];
            let (stroke, dashed) = (colour(key), key.starts_with("val_"));
            let y = legend_top + 20.0 * row as f64;
            let dash = if dashed { r#" stroke-dasharray="7 4""# } else { "" };
            let _ = writeln!(
                svg,
                r#"<line x1="{x:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{stroke}" stroke-width="2"{dash}/>"#,
                y - 4.0,
                x + 30.0,
                y - 4.0
            );
            svg.push_str(&marker(x + 15.0, y - 4.0, stroke, dashed));
            let _ = writeln!(svg, r#"<text x="{:.1}" y="{y:.1}">{}</text>"#, x + 38.0, xml_escape(key));
        }
    }
}

/// Where a panel goes and what it shows.
struct Panel<'a> {
    /// Left edge and width of the panel in the chart.
    x0: f64,
    width: f64,
    title: &'a str,
    /// The series drawn, as indices into the history's keys.
    columns: &'a [usize],
    /// Legend rows to leave room for (the most any panel needs, so the plots line up).
    legend_rows: usize,
}

/// Chart size.
const W: f64 = 800.0;
const H: f64 = 500.0;
/// Room left of a panel's plot (tick labels) and right of it.
const PAD_LEFT: f64 = 66.0;
const PAD_RIGHT: f64 = 22.0;

/// Matplotlib's `tab10` colours.
const PALETTE: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
    "#17becf",
];

/// Where each legend item goes between `left` and `right`: `(column, x, row)`, and the number
/// of rows.
fn legend_layout(
    keys: &[String],
    columns: &[usize],
    left: f64,
    right: f64,
) -> (Vec<(usize, f64, usize)>, usize) {
    let mut items = Vec::new();
    let (mut x, mut row) = (left, 0usize);
    for &column in columns {
        let width = 40.0 + 7.2 * keys[column].chars().count() as f64 + 16.0;
        if x > left && x + width > right {
            x = left;
            row += 1;
        }
        items.push((column, x, row));
        x += width;
    }
    (items, row + 1)
}

/// `accuracy` for `val_accuracy`: training and validation share a colour.
fn base_name(key: &str) -> &str {
    key.strip_prefix("val_").unwrap_or(key)
}

/// Whether `key` goes in the loss panel.
fn is_loss(key: &str) -> bool {
    let base = base_name(key);
    base == "loss" || base.ends_with("_loss")
}

/// A point: filled for training, hollow for validation.
fn marker(x: f64, y: f64, stroke: &str, hollow: bool) -> String {
    let fill = if hollow { "#ffffff" } else { stroke };
    format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>"#)
        + "\n"
}

/// About five round ticks covering `lo..=hi` (steps of 1, 2 or 5 × 10ⁿ).
fn nice_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (lo, hi) = if hi - lo > f64::EPSILON * hi.abs().max(1.0) {
        (lo, hi)
    } else {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        (lo - pad, hi + pad)
    };
    let raw = (hi - lo) / 5.0;
    if !raw.is_finite() || raw <= 0.0 {
        return vec![lo, hi];
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = match raw / magnitude {
        n if n <= 1.0 => 1.0,
        n if n <= 2.0 => 2.0,
        n if n <= 5.0 => 5.0,
        _ => 10.0,
    } * magnitude;
    let first = (lo / step).floor();
    let last = (hi / step).ceil();
    let count = ((last - first) as usize).min(20);
    (0..=count).map(|i| (first + i as f64) * step).collect()
}

/// An integer step giving at most about ten ticks over `span` epochs.
fn integer_step(span: f64) -> f64 {
    let mut step = 1.0;
    for factor in [2.0, 2.5, 2.0].iter().cycle() {
        if span / step <= 10.0 {
            break;
        }
        step *= factor;
    }
    step
}

/// A tick label with as many decimals as the step needs (`0.25`, `1.5`, `40`), or scientific
/// notation for very small or large values.
fn tick_label(value: f64, step: f64) -> String {
    let value = if value.abs() < step * 1e-9 { 0.0 } else { value };
    if step < 1e-4 || value.abs() >= 1e6 {
        return python_exp(value, 1);
    }
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    format!("{value:.decimals$}")
}

/// A CSV field, quoted when it holds a comma, quote or newline.
fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// Text safe inside SVG markup.
fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logs(entries: &[(&str, f64)]) -> Logs {
        let mut logs = Logs::new();
        for (name, value) in entries {
            logs.set(name, *value);
        }
        logs
    }

    fn sample() -> History {
        let mut history = History::new();
        let rows = [
            [0.9132, 0.61, 0.95, 0.58],
            [0.5231, 0.80, 0.60, 0.77],
            [0.4012, 0.86, 0.47, 0.84],
            [0.3548, 0.88, 0.45, 0.85],
            [0.3101, 0.90, 0.46, 0.86],
            [0.2877, 0.91, 0.44, 0.86],
        ];
        for (epoch, [loss, acc, val_loss, val_acc]) in rows.into_iter().enumerate() {
            let logs =
                logs(&[("loss", loss), ("accuracy", acc), ("val_loss", val_loss), ("val_accuracy", val_acc)]);
            history.push(epoch, &logs);
        }
        history
    }

    #[test]
    fn keeps_keys_in_first_seen_order_with_one_value_per_epoch() {
        let history = sample();
        assert_eq!(history.keys().collect::<Vec<_>>(), ["loss", "accuracy", "val_loss", "val_accuracy"]);
        assert_eq!(history.epochs(), [0, 1, 2, 3, 4, 5]);
        assert_eq!(history.len(), 6);
        assert_eq!(history.get("accuracy").unwrap()[..2], [0.61, 0.80]);
        assert_eq!(history.get("learning_rate"), None);
        assert!(History::new().is_empty());
    }

    #[test]
    fn keys_missing_from_some_epochs_hold_nan() {
        let mut history = History::new();
        history.push(0, &logs(&[("loss", 1.0)]));
        history.push(1, &logs(&[("loss", 0.5), ("val_loss", 0.7)]));
        history.push(2, &logs(&[("loss", 0.4)]));
        let val: Vec<bool> = history.get("val_loss").unwrap().iter().map(|v| v.is_nan()).collect();
        assert_eq!(val, [true, false, true]);
        assert_eq!(history.get("loss").unwrap(), [1.0, 0.5, 0.4]);
    }

    #[test]
    fn csv_is_keras_csv_logger() {
        let mut history = History::new();
        history.push(0, &logs(&[("loss", 0.1), ("accuracy", 1e-5), ("val_loss", f64::NAN)]));
        history.push(1, &logs(&[("loss", 0.30000000000000004), ("accuracy", 2.0), ("val_loss", 0.25)]));
        assert_eq!(
            history.to_csv(),
            "epoch,accuracy,loss,val_loss\n0,1e-05,0.1,nan\n1,2.0,0.30000000000000004,0.25\n"
        );
    }

    #[test]
    fn json_is_history_history_with_epochs() {
        let mut history = History::new();
        history.push(0, &logs(&[("loss", 0.5), ("val_loss", f64::INFINITY)]));
        history.push(1, &logs(&[("loss", 0.25), ("val_loss", f64::NAN)]));
        assert_eq!(history.to_json(), r#"{"epoch":[0,1],"loss":[0.5,0.25],"val_loss":[null,null]}"#);
        assert_eq!(History::new().to_json(), r#"{"epoch":[]}"#);
        let mut odd = History::new();
        let mut logs = Logs::new();
        logs.set("a\"b\\c\u{1}", 1.0);
        odd.push(0, &logs);
        let parsed: serde_json::Value = serde_json::from_str(&odd.to_json()).unwrap();
        assert_eq!(parsed["a\"b\\c\u{1}"][0], 1.0);
    }

    #[test]
    fn svg_has_two_panels_dashed_validation_and_a_legend() {
        let svg = sample().to_svg();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\" height=\"500\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains(">Loss</text>") && svg.contains(">Metrics</text>"));
        assert_eq!(svg.matches("<polyline").count(), 4);
        // val_loss and val_accuracy lines plus their legend samples.
        assert_eq!(svg.matches("stroke-dasharray").count(), 4);
        // loss and val_loss share a colour, accuracy has another.
        assert!(svg.contains(r##"stroke="#1f77b4" stroke-width="2" stroke-dasharray"##));
        assert!(svg.contains(r##"stroke="#ff7f0e" stroke-width="2""##));
        for label in [">loss<", ">val_loss<", ">accuracy<", ">val_accuracy<", ">epoch<"] {
            assert!(svg.contains(label), "{label}");
        }
    }

    #[test]
    fn svg_handles_one_epoch_nan_and_no_metrics() {
        let mut history = History::new();
        history.push(0, &logs(&[("loss", 0.7), ("val_loss", f64::NAN)]));
        let svg = history.to_svg();
        assert!(!svg.contains(">Metrics<"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        assert_eq!(svg.matches("<polyline").count(), 0);
        // One point for loss, plus the two legend markers.
        assert_eq!(svg.matches("<circle").count(), 3);

        let mut history = History::new();
        history.push(0, &logs(&[("loss", f64::NAN)]));
        assert!(history.to_svg().contains("no finite values"));
        assert!(History::new().to_svg().contains("no epochs recorded"));
    }

    #[test]
    fn svg_breaks_lines_at_nan() {
        let mut history = History::new();
        for (epoch, v) in [1.0, 0.8, f64::NAN, 0.6, 0.5].into_iter().enumerate() {
            history.push(epoch, &logs(&[("loss", v)]));
        }
        assert_eq!(history.to_svg().matches("<polyline").count(), 2);
    }

    #[test]
    fn ticks_are_round() {
        let ticks = nice_ticks(0.2877, 0.95);
        assert_eq!((ticks[0], ticks[4]), (0.2, 1.0));
        assert_eq!(ticks.len(), 5);
        assert_eq!(tick_label(ticks[2], ticks[1] - ticks[0]), "0.6");
        assert_eq!(nice_ticks(3.0, 3.0).len(), 5);
        assert_eq!(integer_step(5.0), 1.0);
        assert_eq!(integer_step(40.0), 5.0);
        assert_eq!(integer_step(300.0), 50.0);
    }

    #[test]
    fn writes_files_atomically() {
        let dir = std::env::temp_dir().join(format!("shaped-history-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let history = sample();
        history.write_csv(dir.join("h.csv")).unwrap();
        history.write_json(dir.join("h.json")).unwrap();
        history.write_svg(dir.join("h.svg")).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("h.csv")).unwrap(), history.to_csv());
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["h.csv", "h.json", "h.svg"]);
        assert!(history.write_csv(dir.join("missing/h.csv")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
