//! Keras's progress output for `fit` (`keras.utils.Progbar` driven by `ProgbarLogger`):
//!
//! ```text
//! Epoch 1/20
//!  3/45 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - accuracy: 0.4000 - loss: 1.2162        (redrawn)
//! 45/45 ━━━━━━━━━━━━━━━━━━━━ 1s 3ms/step - accuracy: 0.9000 - loss: 0.3000 - val_accuracy: 0.9000 - val_loss: 0.3000
//! ```
//!
//! or, one line per epoch (Keras's `verbose=2`):
//!
//! ```text
//! Epoch 1/20
//! 45/45 - 0s - 3ms/step - accuracy: 0.9000 - loss: 0.3000 - val_accuracy: 0.9000 - val_loss: 0.3000
//! ```
//!
//! Entries are sorted by name, `val_*` after the others; values are printed `.4f`, or `.4e`
//! when they are this small: `|v| ≤ 1e-3` (so `0` prints as `0.0000e+00`, as in Keras).
//! Errors writing the output are ignored: progress never stops training.

use crate::train::logs::Logs;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How much `fit` prints (Keras's `verbose`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verbose {
    /// [`Verbose::ProgressBar`] when stdout is a terminal, else [`Verbose::EpochLines`].
    #[default]
    Auto,
    /// Nothing (`verbose=0`).
    Silent,
    /// A progress bar redrawn after each batch, ending in the epoch's line (`verbose=1`).
    ProgressBar,
    /// One line per epoch (`verbose=2`).
    EpochLines,
}

impl Verbose {
    /// This mode with `Auto` settled for an output that is (or is not) a terminal.
    pub fn resolve(self, terminal: bool) -> Verbose {
        match self {
            Verbose::Auto if terminal => Verbose::ProgressBar,
            Verbose::Auto => Verbose::EpochLines,
            other => other,
        }
    }
}

/// Width of the bar in characters (Keras 3's default).
const BAR_WIDTH: usize = 20;
/// Minimum time between two redraws of the bar (Keras's `interval=0.05`).
const INTERVAL: Duration = Duration::from_millis(50);

const BOLD: &str = "\x1b[1m";
const GREEN: &str = "\x1b[32m";
const WHITE: &str = "\x1b[37m";
const RESET: &str = "\x1b[0m";

/// Prints fit's progress as Keras does, to stdout or to any writer; callbacks' messages go
/// through it too ([`Progress::message`]).
pub struct Progress<'w> {
    mode: Verbose,
    epochs: usize,
    out: Box<dyn Write + 'w>,
    colors: bool,
    steps: usize,
    start: Instant,
    last_draw: Option<Instant>,
    after_first_step: Option<Instant>,
    prev_width: usize,
    /// A bar is drawn and its line not ended yet.
    mid_line: bool,
}

impl std::fmt::Debug for Progress<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("mode", &self.mode)
            .field("epochs", &self.epochs)
            .field("colors", &self.colors)
            .finish_non_exhaustive()
    }
}

impl<'w> Progress<'w> {
    /// Progress of a fit of `epochs` epochs, printed to stdout; colours when stdout is a
    /// terminal.
    pub fn new(verbose: Verbose, epochs: usize) -> Self {
        let terminal = std::io::stdout().is_terminal();
        let mut progress =
            Progress::with_writer(verbose.resolve(terminal), epochs, Box::new(std::io::stdout()));
        progress.colors = terminal && progress.mode == Verbose::ProgressBar;
        progress
    }

    /// Progress written to `out`, without colours; `Auto` means [`Verbose::EpochLines`] here.
    pub fn with_writer(verbose: Verbose, epochs: usize, out: Box<dyn Write + 'w>) -> Self {
        Progress {
            mode: verbose.resolve(false),
            epochs,
            out,
            colors: false,
            steps: 0,
            start: Instant::now(),
            last_draw: None,
            after_first_step: None,
            prev_width: 0,
            mid_line: false,
        }
    }

    /// Turns Keras's ANSI colours (bold counts, green/white bar) on or off.
    pub fn with_colors(mut self, colors: bool) -> Self {
        self.colors = colors;
        self
    }

    /// The mode in use (never `Auto`).
    pub fn mode(&self) -> Verbose {
        self.mode
    }

    /// Prints a line of a callback (`Epoch 3: early stopping`) in every mode, after ending a
    /// bar drawn half-way, so the two never share a line.
    pub fn message(&mut self, text: &str) {
        if self.mid_line {
            self.write("\n");
            self.mid_line = false;
            self.prev_width = 0;
        }
        self.write(text);
        self.write("\n");
    }

    /// Starts epoch `epoch` (0-based) of `steps` batches; prints `Epoch {epoch + 1}/{epochs}`
    /// unless silent or training for a single epoch (as Keras).
    pub fn epoch_begin(&mut self, epoch: usize, steps: usize) {
        self.epoch_begin_at(epoch, steps, Instant::now());
    }

    /// After batch `step` (1-based) with the running values of the epoch so far: redraws the
    /// bar, at most every 50 ms ([`Verbose::ProgressBar`] only).
    pub fn batch_end(&mut self, step: usize, running: &Logs) {
        self.batch_end_at(step, running, Instant::now());
    }

    /// Ends the epoch with its logs (validation included): the bar's final line, or the epoch
    /// line.
    pub fn epoch_end(&mut self, logs: &Logs) {
        self.epoch_end_at(logs, Instant::now());
    }

    fn epoch_begin_at(&mut self, epoch: usize, steps: usize, now: Instant) {
        self.steps = steps;
        self.start = now;
        self.last_draw = None;
        self.after_first_step = None;
        self.prev_width = 0;
        if self.mode != Verbose::Silent && self.epochs > 1 {
            self.write(&format!("Epoch {}/{}\n", epoch + 1, self.epochs));
        }
    }

    fn batch_end_at(&mut self, step: usize, running: &Logs, now: Instant) {
        if self.mode != Verbose::ProgressBar {
            return;
        }
        let per_step = self.step_duration(step, now);
        if self.last_draw.is_some_and(|last| now.duration_since(last) < INTERVAL) {
            return;
        }
        self.draw(step, running, now, per_step, false);
    }

    fn epoch_end_at(&mut self, logs: &Logs, now: Instant) {
        match self.mode {
            Verbose::ProgressBar => {
                let per_step = self.step_duration(self.steps, now);
                self.draw(self.steps, logs, now, per_step, true);
            }
            Verbose::EpochLines => {
                let per_step = self.step_duration(self.steps, now);
                let mut line = format!(
                    "{} - {}s -{}",
                    count(self.steps, self.steps),
                    python_fixed(now.duration_since(self.start).as_secs_f64(), 0),
                    format_time(per_step)
                );
                for (name, value) in ordered(logs) {
                    // Keras's verbose=2 compares the value itself, not its magnitude.
                    line.push_str(&format!(" - {name}: {}", format_value(value, value > 1e-3)));
                }
                line.push('\n');
                self.write(&line);
            }
            Verbose::Silent | Verbose::Auto => {}
        }
    }

    /// Keras's `_estimate_step_duration`: the time per step, not counting the first step once
    /// there are more.
    fn step_duration(&mut self, current: usize, now: Instant) -> f64 {
        if current == 0 {
            return 0.0;
        }
        let per_step = match self.after_first_step {
            Some(first) if current > 1 => now.duration_since(first).as_secs_f64() / (current - 1) as f64,
            _ => now.duration_since(self.start).as_secs_f64() / current as f64,
        };
        if current == 1 {
            self.after_first_step = Some(now);
        }
        per_step
    }

    /// Redraws the bar line for step `current`.
    fn draw(&mut self, current: usize, logs: &Logs, now: Instant, per_step: f64, finalize: bool) {
        let mut line = String::from("\r");
        line.push_str(&self.style(BOLD, &count(current, self.steps)));
        line.push(' ');
        let done = if self.steps == 0 {
            BAR_WIDTH
        } else {
            ((BAR_WIDTH as f64 * current as f64 / self.steps as f64) as usize).min(BAR_WIDTH)
        };
        if done > 0 {
            line.push_str(&self.style(GREEN, &"━".repeat(done)));
        }
        line.push_str(&self.style(WHITE, &"━".repeat(BAR_WIDTH - done)));
        let time = if finalize {
            format!("{}s", python_fixed(now.duration_since(self.start).as_secs_f64(), 0))
        } else {
            format_eta(per_step * self.steps.saturating_sub(current) as f64)
        };
        line.push(' ');
        line.push_str(&self.style(BOLD, &time));
        line.push_str(&format_time(per_step));
        for (name, value) in ordered(logs) {
            line.push_str(&format!(" - {name}: {}", format_value(value, value.abs() > 1e-3)));
        }
        let width = visible_width(&line);
        if self.prev_width > width {
            line.push_str(&" ".repeat(self.prev_width - width));
        }
        if finalize {
            line.push('\n');
        }
        self.write(&line);
        self.prev_width = width;
        self.last_draw = Some(now);
        self.mid_line = !finalize;
    }

    fn style(&self, code: &str, text: &str) -> String {
        if self.colors {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    /// Writes and flushes, ignoring errors: a broken output must not stop training.
    fn write(&mut self, text: &str) {
        let _ = self.out.write_all(text.as_bytes());
        let _ = self.out.flush();
    }
}

/// `current/steps` with `current` right-aligned to the width of `steps` (` 3/45`).
fn count(current: usize, steps: usize) -> String {
    let digits = steps.max(1).to_string().len();
    format!("{current:>digits$}/{steps}")
}

/// The logs in Keras's printed order: names sorted, `val_*` after the others.
fn ordered(logs: &Logs) -> Vec<(&str, f64)> {
    let mut entries: Vec<(&str, f64)> = logs.iter().collect();
    entries.sort_by(|(a, _), (b, _)| (a.starts_with("val_"), a).cmp(&(b.starts_with("val_"), b)));
    entries
}

/// `.4f` when `fixed`, else `.4e` (Keras: `.4f` only above 1e-3).
fn format_value(value: f64, fixed: bool) -> String {
    if fixed {
        python_fixed(value, 4)
    } else {
        python_exp(value, 4)
    }
}

/// Keras's `_format_time`: ` 2s/step`, ` 184ms/step`, ` 693us/step`.
fn format_time(per_step: f64) -> String {
    if per_step >= 1.0 || per_step == 0.0 {
        format!(" {}s/step", python_fixed(per_step, 0))
    } else if per_step >= 1e-3 {
        format!(" {}ms/step", python_fixed(per_step * 1e3, 0))
    } else {
        format!(" {}us/step", python_fixed(per_step * 1e6, 0))
    }
}

/// Keras's ETA: `12s`, `1:05`, `2:03:04` (whole seconds, truncated).
fn format_eta(eta: f64) -> String {
    let secs = if eta.is_finite() && eta > 0.0 { eta as u64 } else { 0 };
    if eta > 3600.0 {
        format!("{}:{:02}:{:02}", secs / 3600, (secs % 3600) / 60, secs % 60)
    } else if eta > 60.0 {
        format!("{}:{:02}", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}

/// Characters on screen: everything but ANSI `ESC [ ... m` sequences and the leading `\r`.
fn visible_width(line: &str) -> usize {
    let mut width = 0;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            }
            '\r' | '\n' => {}
            _ => width += 1,
        }
    }
    width
}

/// Python's `f"{v:.{precision}f}"`: `nan`, `inf`, `-inf` spelled as Python does.
pub(crate) fn python_fixed(v: f64, precision: usize) -> String {
    if v.is_nan() {
        "nan".to_string()
    } else {
        format!("{v:.precision$}")
    }
}

/// Python's `f"{v:.{precision}e}"`: `1.2346e-04`, the exponent signed with at least two digits.
pub(crate) fn python_exp(v: f64, precision: usize) -> String {
    if !v.is_finite() {
        return python_fixed(v, 0);
    }
    let s = format!("{v:.precision$e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// Python's `repr(float)`: the shortest digits that read back the same value, in scientific
/// notation below 1e-4 and from 1e16 (`0.001`, `1e-05`, `2.0`, `1e+16`, `nan`, `inf`).
pub(crate) fn python_float(v: f64) -> String {
    if !v.is_finite() {
        return python_fixed(v, 0);
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    let sci = format!("{v:e}");
    let Some((mantissa, exp)) = sci.split_once('e') else { return sci };
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..16).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.unsigned_abs());
    }
    let plain = format!("{v}");
    if plain.contains('.') {
        plain
    } else {
        plain + ".0"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// An in-memory writer whose contents the test can read back.
    #[derive(Clone, Default)]
    struct Captured(Rc<RefCell<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.borrow().clone()).unwrap()
        }
    }

    /// A writer that always fails.
    struct Broken;

    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("broken pipe"))
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::Error::other("broken pipe"))
        }
    }

    fn logs(entries: &[(&str, f64)]) -> Logs {
        let mut logs = Logs::new();
        for (name, value) in entries {
            logs.set(name, *value);
        }
        logs
    }

    fn ms(t0: Instant, ms: u64) -> Instant {
        t0 + Duration::from_millis(ms)
    }

    const EPOCH_LOGS: [(&str, f64); 4] =
        [("loss", 0.3), ("accuracy", 0.9), ("val_loss", 0.31), ("val_accuracy", 0.875)];

    #[test]
    fn epoch_lines_match_keras_verbose_2() {
        let out = Captured::default();
        let mut progress = Progress::with_writer(Verbose::EpochLines, 20, Box::new(out.clone()));
        let t0 = Instant::now();
        progress.epoch_begin_at(0, 45, t0);
        for step in 1..=45 {
            progress.batch_end_at(step, &logs(&[("loss", 1.0)]), ms(t0, 3 * step as u64));
        }
        progress.epoch_end_at(&logs(&EPOCH_LOGS), ms(t0, 135));
        assert_eq!(
            out.text(),
            "Epoch 1/20\n45/45 - 0s - 3ms/step - accuracy: 0.9000 - loss: 0.3000 - val_accuracy: 0.8750 - val_loss: 0.3100\n"
        );
    }

    #[test]
    fn progress_bar_redraws_and_ends_with_the_epoch_line() {
        let out = Captured::default();
        let mut progress = Progress::with_writer(Verbose::ProgressBar, 2, Box::new(out.clone()));
        let t0 = Instant::now();
        progress.epoch_begin_at(1, 45, t0);
        let running = logs(&[("loss", 1.21625), ("accuracy", 0.4)]);
        // Step 1 at 10 ms, step 3 at 14 ms: 2 ms per step after the first.
        progress.batch_end_at(1, &running, ms(t0, 10));
        progress.batch_end_at(2, &running, ms(t0, 12)); // throttled
        progress.batch_end_at(3, &running, ms(t0, 64));
        progress.epoch_end_at(&logs(&EPOCH_LOGS), ms(t0, 1200));
        let text = out.text();
        let frames: Vec<&str> = text.split('\r').collect();
        assert_eq!(frames[0], "Epoch 2/2\n");
        assert_eq!(frames[1], " 1/45 ━━━━━━━━━━━━━━━━━━━━ 0s 10ms/step - accuracy: 0.4000 - loss: 1.2163");
        assert_eq!(frames[2], " 3/45 ━━━━━━━━━━━━━━━━━━━━ 1s 27ms/step - accuracy: 0.4000 - loss: 1.2163");
        assert_eq!(
            frames[3],
            "45/45 ━━━━━━━━━━━━━━━━━━━━ 1s 27ms/step - accuracy: 0.9000 - loss: 0.3000 - val_accuracy: 0.8750 \
             - val_loss: 0.3100\n"
        );
        assert_eq!(frames.len(), 4);
    }

    #[test]
    fn shorter_redraw_is_padded_over_the_previous_line() {
        let out = Captured::default();
        let mut progress = Progress::with_writer(Verbose::ProgressBar, 1, Box::new(out.clone()));
        let t0 = Instant::now();
        progress.epoch_begin_at(0, 4, t0);
        progress.batch_end_at(1, &logs(&[("loss", 1.0), ("a_long_metric_name", 2.0)]), ms(t0, 100));
        progress.epoch_end_at(&logs(&[("loss", 1.0)]), ms(t0, 400));
        let text = out.text();
        let frames: Vec<&str> = text.split('\r').collect();
        // No `Epoch 1/1` header for a single epoch, as Keras.
        assert_eq!(frames[0], "");
        assert_eq!(frames[1].chars().count(), frames[2].trim_end_matches('\n').chars().count());
        assert!(
            frames[2].starts_with("4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 100ms/step - loss: 1.0000   "),
            "{text:?}"
        );
        assert!(frames[2].ends_with(" \n"));
    }

    #[test]
    fn colours_follow_keras_progbar() {
        let out = Captured::default();
        let mut progress =
            Progress::with_writer(Verbose::ProgressBar, 1, Box::new(out.clone())).with_colors(true);
        let t0 = Instant::now();
        progress.epoch_begin_at(0, 4, t0);
        progress.batch_end_at(2, &logs(&[("loss", 0.5)]), ms(t0, 20));
        let text = out.text();
        assert_eq!(
            text,
            "\r\x1b[1m2/4\x1b[0m \x1b[32m━━━━━━━━━━\x1b[0m\x1b[37m━━━━━━━━━━\x1b[0m \x1b[1m0s\x1b[0m 10ms/step - loss: 0.5000"
        );
    }

    #[test]
    fn silent_prints_nothing() {
        let out = Captured::default();
        let mut progress = Progress::with_writer(Verbose::Silent, 3, Box::new(out.clone()));
        progress.epoch_begin(0, 2);
        progress.batch_end(1, &logs(&[("loss", 1.0)]));
        progress.epoch_end(&logs(&[("loss", 1.0)]));
        assert_eq!(out.text(), "");
    }

    #[test]
    fn auto_resolves_by_terminal() {
        assert_eq!(Verbose::Auto.resolve(true), Verbose::ProgressBar);
        assert_eq!(Verbose::Auto.resolve(false), Verbose::EpochLines);
        assert_eq!(Verbose::Silent.resolve(true), Verbose::Silent);
        let progress = Progress::with_writer(Verbose::Auto, 1, Box::new(Captured::default()));
        assert_eq!(progress.mode(), Verbose::EpochLines);
    }

    #[test]
    fn failing_writer_is_ignored() {
        let mut progress = Progress::with_writer(Verbose::ProgressBar, 2, Box::new(Broken));
        progress.epoch_begin(0, 2);
        progress.batch_end(1, &logs(&[("loss", 1.0)]));
        progress.epoch_end(&logs(&[("loss", 1.0)]));
    }

    #[test]
    fn values_and_times_are_formatted_as_keras() {
        assert_eq!(format_value(1.21625, true), "1.2163"); // as Python's f"{1.21625:.4f}"
        assert_eq!(format_value(0.000123456, false), "1.2346e-04");
        assert_eq!(format_value(0.0, 0.0f64.abs() > 1e-3), "0.0000e+00");
        assert_eq!(format_value(f64::NAN, false), "nan");
        assert_eq!(format_value(f64::INFINITY, true), "inf");
        assert_eq!(format_time(1.184), " 1s/step");
        assert_eq!(format_time(0.184), " 184ms/step");
        assert_eq!(format_time(0.000693), " 693us/step");
        assert_eq!(format_time(0.0), " 0s/step");
        assert_eq!(format_eta(12.7), "12s");
        assert_eq!(format_eta(65.0), "1:05");
        assert_eq!(format_eta(7384.0), "2:03:04");
        assert_eq!(count(3, 45), " 3/45");
        assert_eq!(count(3, 0), "3/0");
    }

    #[test]
    fn python_float_matches_repr() {
        let cases = [
            (0.1, "0.1"),
            (2.0, "2.0"),
            (1e-5, "1e-05"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (123456789.0, "123456789.0"),
            (-0.0, "-0.0"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
            (0.1f32 as f64 * 0.1, "0.010000000149011612"),
        ];
        for (v, repr) in cases {
            assert_eq!(python_float(v), repr);
        }
    }

    #[test]
    fn entries_are_sorted_with_validation_last() {
        let logs = logs(&[
            ("loss", 1.0),
            ("zeta", 2.0),
            ("val_loss", 3.0),
            ("accuracy", 4.0),
            ("val_accuracy", 5.0),
        ]);
        let names: Vec<&str> = ordered(&logs).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["accuracy", "loss", "zeta", "val_accuracy", "val_loss"]);
    }
}
