//! [`ModelCheckpoint`]: save the weights after every epoch, or only the best ones
//! (`keras.callbacks.ModelCheckpoint` with `save_weights_only=True`).

use super::Mode;
use crate::error::{Error, Result};
use crate::train::callback::{Callback, TrainingContext};
use crate::train::logs::Logs;
use crate::train::progress::{python_exp, python_fixed, python_float};
use std::path::{Path, PathBuf};

/// The extension every checkpoint path must end in.
const EXTENSION: &str = ".safetensors";

/// Saves the model's weights to a safetensors file at the end of each epoch.
///
/// `filepath` may hold Python-style placeholders filled in at each save: `{epoch}` (1-based,
/// as in Keras), `{epoch:02d}`, and any logged value, `{val_loss:.2f}`, `{loss:.4e}` (format
/// specs: `d`, `f`, `e` with optional zero-padding, width and precision). It must end in
/// `.safetensors` (the weights-only format); anything else is an `Err` at `on_train_begin`.
/// Missing parent directories are created.
///
/// With `save_best_only`, a file is written only when `monitor` beats the best value so far
/// (or `initial_value_threshold`); when `monitor` is not logged it warns once on stderr and
/// saves anyway, as Keras does. Saves are atomic: a failed save keeps the previous file.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelCheckpoint {
    /// Where to save, e.g. `ckpt/epoch_{epoch:02d}.safetensors`.
    pub filepath: PathBuf,
    /// The quantity that decides what "best" means (`val_loss`).
    pub monitor: String,
    /// Prints a line for each save or skipped save (`false`, Keras's `verbose=0`).
    pub verbose: bool,
    /// Saves only when `monitor` improves (`false`).
    pub save_best_only: bool,
    /// Whether lower or higher is better (`Auto`: higher when the name contains `acc`).
    pub mode: Mode,
    /// The value to beat for the first save with `save_best_only` (`None`).
    pub initial_value_threshold: Option<f64>,
    /// What the callback has seen of the current run; reset by `on_train_begin`.
    pub state: ModelCheckpointState,
}

/// The run-time state of a [`ModelCheckpoint`] (Keras's `best`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelCheckpointState {
    best: Option<f64>,
    warned: bool,
}

impl ModelCheckpoint {
    /// Saves to `filepath` after every epoch; Keras's defaults otherwise.
    pub fn new(filepath: impl Into<PathBuf>) -> Self {
        ModelCheckpoint {
            filepath: filepath.into(),
            monitor: "val_loss".to_string(),
            verbose: false,
            save_best_only: false,
            mode: Mode::Auto,
            initial_value_threshold: None,
            state: ModelCheckpointState::default(),
        }
    }

    /// Saves only when `monitor` improves.
    pub fn best_only(filepath: impl Into<PathBuf>, monitor: impl Into<String>) -> Self {
        ModelCheckpoint { monitor: monitor.into(), save_best_only: true, ..ModelCheckpoint::new(filepath) }
    }

    /// The best monitored value seen (or the initial threshold).
    pub fn best(&self) -> Option<f64> {
        self.state.best
    }

    /// The path for `epoch` (0-based) with these logs: `filepath` with its placeholders filled.
    pub fn file_path(&self, epoch: usize, logs: &Logs) -> Result<PathBuf> {
        let template = self.filepath.to_string_lossy();
        if !template.contains(['{', '}']) {
            return Ok(self.filepath.clone());
        }
        fill_template(&template, epoch + 1, logs).map(PathBuf::from).map_err(|detail| {
            Error::InvalidArgument {
                name: "filepath",
                detail: format!("cannot format the ModelCheckpoint filepath `{template}`: {detail}"),
            }
        })
    }

    fn maximizes(&self) -> bool {
        self.mode.maximizes(&self.monitor)
    }

    fn improves(&self, current: f64) -> bool {
        let maximize = self.maximizes();
        let best = self.state.best.unwrap_or(if maximize { f64::NEG_INFINITY } else { f64::INFINITY });
        if maximize {
            current > best
        } else {
            current < best
        }
    }

    /// Keras's `{self.best:.5f}`, with ±∞ before any value.
    fn best_str(&self) -> String {
        let best =
            self.state.best.unwrap_or(if self.maximizes() { f64::NEG_INFINITY } else { f64::INFINITY });
        python_fixed(best, 5)
    }
}

impl Callback for ModelCheckpoint {
    fn on_train_begin(&mut self, ctx: &mut dyn TrainingContext) -> Result<()> {
        let _ = ctx;
        let template = self.filepath.to_string_lossy();
        if !template.ends_with(EXTENSION) {
            return Err(Error::InvalidArgument {
                name: "filepath",
                detail: format!(
                    "ModelCheckpoint saves weights only, so its filepath must end in `{EXTENSION}`, but got `{template}`"
                ),
            });
        }
        // Catches malformed placeholders before the first epoch.
        if template.contains(['{', '}']) {
            if let Err(detail) = check_template(&template) {
                return Err(Error::InvalidArgument {
                    name: "filepath",
                    detail: format!("cannot format the ModelCheckpoint filepath `{template}`: {detail}"),
                });
            }
        }
        self.state = ModelCheckpointState { best: self.initial_value_threshold, warned: false };
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &Logs, ctx: &mut dyn TrainingContext) -> Result<()> {
        let path = self.file_path(epoch, logs)?;
        let n = epoch + 1;
        if self.save_best_only {
            match logs.get(&self.monitor) {
                None => {
                    if !self.state.warned {
                        self.state.warned = true;
                        ctx.print(&format!(
                            "warning: Can save best model only with {} available.",
                            self.monitor
                        ));
                    }
                }
                Some(current) if self.improves(current) => {
                    if self.verbose {
                        ctx.print(&format!(
                            "Epoch {n}: {} improved from {} to {}, saving model to {}",
                            self.monitor,
                            self.best_str(),
                            python_fixed(current, 5),
                            path.display()
                        ));
                    }
                    self.state.best = Some(current);
                }
                Some(_) => {
                    if self.verbose {
                        ctx.print(&format!(
                            "Epoch {n}: {} did not improve from {}",
                            self.monitor,
                            self.best_str()
                        ));
                    }
                    return Ok(());
                }
            }
        } else if self.verbose {
            ctx.print(&format!("Epoch {n}: saving model to {}", path.display()));
        }
        create_parent(&path)?;
        ctx.save_weights(&path)?;
        if self.verbose {
            ctx.print(&format!("Epoch {n}: finished saving model to {}", path.display()));
        }
        Ok(())
    }
}

/// Creates the missing parent directories of `path`, as Keras does before saving.
fn create_parent(path: &Path) -> Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.exists() => {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))
        }
        _ => Ok(()),
    }
}

/// The largest width or precision a placeholder may ask for: the longest file name most file
/// systems allow (a larger one would only fail later, after allocating that many characters).
const MAX_FIELD: usize = 255;

/// One `{name:spec}` placeholder of a Python format string.
struct Spec {
    zero: bool,
    width: usize,
    precision: Option<usize>,
    kind: Option<char>,
}

/// Parses a spec such as `02d`, `.2f`, `08.3e`, `` (empty).
fn parse_spec(spec: &str) -> Result<Spec, String> {
    let bad =
        || format!("unsupported format spec `{spec}` (expected d, f or e with optional width and precision)");
    let (rest, kind) = match spec.chars().last() {
        Some(c @ ('d' | 'f' | 'e')) => (&spec[..spec.len() - 1], Some(c)),
        _ => (spec, None),
    };
    let (width_part, precision) = match rest.split_once('.') {
        Some((w, p)) => (w, Some(p.parse::<usize>().map_err(|_| bad())?)),
        None => (rest, None),
    };
    let zero = width_part.starts_with('0');
    let width = if width_part.is_empty() { 0 } else { width_part.parse::<usize>().map_err(|_| bad())? };
    if kind == Some('d') && precision.is_some() {
        return Err(bad());
    }
    if let Some(n) = Some(width).filter(|&w| w > MAX_FIELD).or(precision.filter(|&p| p > MAX_FIELD)) {
        return Err(format!(
            "format spec `{spec}` asks for {n} characters, more than the {MAX_FIELD} a file name may have"
        ));
    }
    Ok(Spec { zero, width, precision, kind })
}

/// Formats `value` (an integer when `integer`) by `spec` as Python's `format` would.
fn apply_spec(value: f64, integer: bool, spec: &Spec, name: &str) -> Result<String, String> {
    let body = match (spec.kind, spec.precision) {
        (Some('d'), _) if integer => format!("{}", value as i64),
        (Some('d'), _) => return Err(format!("`{name}` is a float and cannot be formatted with `d`")),
        (Some('e'), p) => python_exp(value, p.unwrap_or(6)),
        (Some(_), p) => python_fixed(value, p.unwrap_or(6)),
        (None, Some(p)) => format!("{value:.p$}"),
        (None, None) if integer => format!("{}", value as i64),
        (None, None) => python_float(value),
    };
    let len = body.chars().count();
    if len >= spec.width {
        return Ok(body);
    }
    let pad = spec.width - len;
    Ok(if spec.zero {
        match body.strip_prefix('-') {
            Some(digits) => format!("-{}{digits}", "0".repeat(pad)),
            None => format!("{}{body}", "0".repeat(pad)),
        }
    } else {
        format!("{}{body}", " ".repeat(pad))
    })
}

/// Literal text followed by an optional `(name, spec)` placeholder.
type Part = (String, Option<(String, String)>);

/// Splits a Python format string into literal text and `(name, spec)` placeholders, reading
/// `{{` and `}}` as braces.
fn placeholders(template: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let mut field = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some('{') | None => return Err("unbalanced `{`".to_string()),
                        Some(c) => field.push(c),
                    }
                }
                let (name, spec) = field.split_once(':').unwrap_or((&field, ""));
                if name.is_empty() {
                    return Err("empty placeholder `{}`".to_string());
                }
                parts.push((std::mem::take(&mut literal), Some((name.to_string(), spec.to_string()))));
            }
            '}' => return Err("single `}`".to_string()),
            c => literal.push(c),
        }
    }
    parts.push((literal, None));
    Ok(parts)
}

/// Checks the syntax of every placeholder (names are checked against the logs later).
fn check_template(template: &str) -> Result<(), String> {
    for (_, field) in placeholders(template)? {
        if let Some((_, spec)) = field {
            parse_spec(&spec)?;
        }
    }
    Ok(())
}

/// `template` with `{epoch...}` set to `epoch` and every other placeholder to its logged value.
fn fill_template(template: &str, epoch: usize, logs: &Logs) -> Result<String, String> {
    let mut out = String::new();
    for (literal, field) in placeholders(template)? {
        out.push_str(&literal);
        if let Some((name, spec)) = field {
            let spec = parse_spec(&spec)?;
            let (value, integer) = if name == "epoch" {
                (epoch as f64, true)
            } else {
                let value = logs.get(&name).ok_or_else(|| {
                    let names: Vec<&str> = logs.iter().map(|(n, _)| n).collect();
                    format!("no `{name}` among epoch, {}", names.join(", "))
                })?;
                (value, false)
            };
            out.push_str(&apply_spec(value, integer, &spec, &name)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::callbacks::test_support::{logs, FakeContext};

    fn saved(ctx: &FakeContext) -> Vec<String> {
        ctx.saved.borrow().iter().map(|p| p.display().to_string()).collect()
    }

    #[test]
    fn saves_every_epoch_with_the_epoch_in_the_name() {
        let mut callback = ModelCheckpoint::new("w_{epoch:02d}_{epoch}.safetensors");
        let mut ctx = FakeContext::default();
        callback.on_train_begin(&mut ctx).unwrap();
        for epoch in 0..3 {
            callback.on_epoch_end(epoch, &logs(&[("loss", 1.0)]), &mut ctx).unwrap();
        }
        assert_eq!(saved(&ctx), ["w_01_1.safetensors", "w_02_2.safetensors", "w_03_3.safetensors"]);
    }

    #[test]
    fn save_best_only_saves_on_improvement() {
        let mut callback = ModelCheckpoint::best_only("best.safetensors", "val_loss");
        let mut ctx = FakeContext::default();
        callback.on_train_begin(&mut ctx).unwrap();
        let mut saves = Vec::new();
        for (epoch, v) in [1.0, 0.8, 0.9, 0.7, 0.7].into_iter().enumerate() {
            callback.on_epoch_end(epoch, &logs(&[("loss", 1.0), ("val_loss", v)]), &mut ctx).unwrap();
            saves.push(ctx.saved.borrow().len());
        }
        assert_eq!(saves, [1, 2, 2, 3, 3]);
        assert_eq!(callback.best(), Some(0.7));
    }

    #[test]
    fn save_best_only_in_max_mode_and_with_a_threshold() {
        let mut callback = ModelCheckpoint {
            initial_value_threshold: Some(0.75),
            ..ModelCheckpoint::best_only("best.safetensors", "val_accuracy")
        };
        let mut ctx = FakeContext::default();
        callback.on_train_begin(&mut ctx).unwrap();
        let mut saves = Vec::new();
        for (epoch, v) in [0.5, 0.8, 0.7, 0.9].into_iter().enumerate() {
            callback.on_epoch_end(epoch, &logs(&[("val_accuracy", v)]), &mut ctx).unwrap();
            saves.push(ctx.saved.borrow().len());
        }
        assert_eq!(saves, [0, 1, 1, 2]);
    }

    #[test]
    fn save_best_only_without_the_monitor_saves_anyway() {
        let mut callback = ModelCheckpoint::best_only("best.safetensors", "val_loss");
        let mut ctx = FakeContext::default();
        callback.on_train_begin(&mut ctx).unwrap();
        callback.on_epoch_end(0, &logs(&[("loss", 1.0)]), &mut ctx).unwrap();
        callback.on_epoch_end(1, &logs(&[("loss", 1.0)]), &mut ctx).unwrap();
        assert_eq!(saved(&ctx).len(), 2);
    }

    #[test]
    fn other_extension_is_an_error_naming_the_path_and_the_extension() {
        for bad in ["model.keras", "w.weights.h5", "w_{epoch}"] {
            let err = ModelCheckpoint::new(bad).on_train_begin(&mut FakeContext::default()).unwrap_err();
            let message = err.to_string();
            assert!(message.contains(bad) && message.contains(".safetensors"), "{message}");
        }
    }

    #[test]
    fn placeholders_take_logged_values_and_python_specs() {
        let logs = logs(&[("loss", 0.123456), ("val_loss", 0.000123456)]);
        let fill = |t: &str| fill_template(t, 7, &logs);
        assert_eq!(fill("e{epoch:03d}-{loss:.2f}-{val_loss:.1e}").unwrap(), "e007-0.12-1.2e-04");
        assert_eq!(fill("{epoch:4d}|{loss:08.3f}|{loss}").unwrap(), "   7|0000.123|0.123456");
        assert_eq!(fill("{{epoch}}{epoch}").unwrap(), "{epoch}7");
        assert!(fill("{accuracy}").unwrap_err().contains("accuracy"));
        assert!(fill("{loss:d}").is_err());
        assert!(check_template("{epoch:x}").is_err());
        assert!(check_template("{epoch").is_err());
        assert!(check_template("epoch}").is_err());
    }

    #[test]
    fn huge_widths_are_an_error_not_an_allocation() {
        for spec in ["{epoch:0999999999999d}", "{loss:.99999999999f}", "{epoch:256d}"] {
            let err =
                parse_spec(&spec[spec.find(':').unwrap() + 1..spec.len() - 1]).err().unwrap_or_default();
            assert!(err.contains("more than the 255"), "{spec}: {err}");
        }
        assert!(parse_spec("255d").is_ok());
    }

    #[test]
    fn malformed_placeholder_is_an_error_at_train_begin() {
        let mut callback = ModelCheckpoint::new("w_{epoch:q}.safetensors");
        assert!(callback.on_train_begin(&mut FakeContext::default()).is_err());
    }

    #[test]
    fn unknown_placeholder_is_an_error_at_the_epoch() {
        let mut callback = ModelCheckpoint::new("w_{val_acc:.2f}.safetensors");
        let mut ctx = FakeContext::default();
        callback.on_train_begin(&mut ctx).unwrap();
        let err = callback.on_epoch_end(0, &logs(&[("loss", 1.0)]), &mut ctx).unwrap_err();
        assert!(err.to_string().contains("val_acc"), "{err}");
    }

    #[test]
    fn creates_missing_parent_directories() {
        let dir = std::env::temp_dir().join(format!("shaped-ckpt-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut callback = ModelCheckpoint::new(dir.join("a/b/w.safetensors"));
        let mut ctx = FakeContext::default();
        callback.on_train_begin(&mut ctx).unwrap();
        callback.on_epoch_end(0, &logs(&[("loss", 1.0)]), &mut ctx).unwrap();
        assert!(dir.join("a/b").is_dir());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn python_exponent_format() {
        assert_eq!(python_exp(1.23456e-4, 4), "1.2346e-04");
        assert_eq!(python_exp(0.0, 4), "0.0000e+00");
        assert_eq!(python_exp(-5e123, 1), "-5.0e+123");
    }
}
