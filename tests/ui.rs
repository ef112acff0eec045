//! The compile-time checks, as a user meets them: every mistake under `trybuild/` must fail
//! with exactly the reviewed `.stderr` beside it; every case under `trybuild/pass/` must build
//! and run, and so must every fix a message suggests (`trybuild/fixed/`).
//!
//! The `.stderr` files were written with the compiler pinned in `rust-toolchain.toml`. To
//! update them after a deliberate change: `TRYBUILD=overwrite cargo test --test ui`, then read
//! every diff as a user would.

use std::path::{Path, PathBuf};

/// The topics whose cases are mistakes in a model declaration (the others are mistakes in the
/// code that uses a correct model).
const MODEL_TOPICS: &[&str] = &[
    "input",
    "images",
    "preprocessing",
    "shape",
    "unknown-layer",
    "activation",
    "args",
    "duplicate",
    "custom",
    "sequences",
    "multiple",
    "fallback",
    "graph",
];

/// The topics whose mistakes are in `main`, in how a correct model is used.
const USE_TOPICS: &[&str] = &["data", "labels", "compile", "graph-use"];

/// Cases whose message suggests no fix, with the reason: every other case has its fixed twin
/// under `trybuild/fixed/`.
const NO_FIX: &[(&str, &str)] = &[
    ("custom/check-fails", "the custom layer's own rule: only its author knows the fix"),
    (
        "custom/nested-model-wrong-input",
        "the nested model takes another shape: the model's design must change",
    ),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `(topic, name)` of every compile-fail case.
fn cases(topics: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for topic in topics {
        let dir = root().join("trybuild").join(topic);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("readable directory").path();
            if path.extension().is_some_and(|e| e == "rs") {
                let name = path.file_stem().and_then(|s| s.to_str()).expect("utf-8 name").to_string();
                out.push((topic.to_string(), name));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn compile_fail() {
    let t = trybuild::TestCases::new();
    for topic in MODEL_TOPICS.iter().chain(USE_TOPICS) {
        t.compile_fail(format!("trybuild/{topic}/*.rs"));
    }
}

#[test]
fn compile_pass() {
    trybuild::TestCases::new().pass("trybuild/pass/*.rs");
}

/// Every fix that an error message suggests compiles when applied.
#[test]
fn suggested_fixes_compile() {
    trybuild::TestCases::new().pass("trybuild/fixed/*/*.rs");
}

/// Each compile-fail case has its fixed twin, or says why it has none.
#[test]
fn every_suggested_fix_has_a_twin() {
    let mut missing = Vec::new();
    for (topic, name) in cases(&[MODEL_TOPICS, USE_TOPICS].concat()) {
        let case = format!("{topic}/{name}");
        let twin = root().join("trybuild/fixed").join(&topic).join(format!("{name}.rs"));
        let excused = NO_FIX.iter().any(|(c, _)| *c == case);
        match (twin.exists(), excused) {
            (true, true) => missing.push(format!("{case}: has a twin but is listed in NO_FIX")),
            (false, false) => missing.push(format!("{case}: no twin at {}", twin.display())),
            _ => {}
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// What the generated programs do with the model after declaring it: the whole API.
const PROGRAM: &str = r#"fn main() -> Result<(), Box<dyn std::error::Error>> {
    let x = vec![[0.5f32; 4]; 8];
    let y = vec![[1.0f32; 2]; 8];
    let mut model = MODEL::new(0).compile(Adam::default(), MeanSquaredError::default(), [Mae])?;
    model.summary();
    let history = model.fit(&x, &y, FitOptions { epochs: 2, validation_split: 0.25, ..Default::default() })?;
    history.write_csv("history.csv")?;
    let _logs = model.evaluate(&x, &y)?;
    let _loss = model.train_on_batch(&x, &y)?;
    let _predictions: Vec<[f32; 2]> = model.predict(&x)?;
    model.save_weights("model.safetensors")?;
    model.load_weights("model.safetensors")?;
    let _plain = MODEL::new(1);
    Ok(())
}
"#;

/// A mistake in a model gives exactly its own error also in a program that goes on to compile,
/// train, evaluate, predict with and save the model: each model-declaration case, with its
/// `fn main() {}` replaced by such a program, must fail with the same `.stderr`.
#[test]
fn a_mistake_stays_alone_in_a_program_that_trains() {
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ui-in-a-program");
    let _ = std::fs::remove_dir_all(&out_dir);
    let t = trybuild::TestCases::new();
    for (topic, name) in cases(MODEL_TOPICS) {
        let source = root().join("trybuild").join(&topic).join(format!("{name}.rs"));
        let text = std::fs::read_to_string(&source).expect("readable case");
        let Some(body) = text.strip_suffix("fn main() {}\n") else {
            // A case that already has a program of its own (`fallback/`).
            continue;
        };
        let model = last_model_name(body).unwrap_or_else(|| panic!("{}: no model", source.display()));
        let dir = out_dir.join(&topic);
        std::fs::create_dir_all(&dir).expect("writable target dir");
        let generated = dir.join(format!("{name}.rs"));
        // After `main`, so that the lines of the case keep their numbers.
        let prelude =
            if body.contains("use shaped::prelude::*;") { "" } else { "\nuse shaped::prelude::*;\n" };
        let program = PROGRAM.replace("MODEL", &model);
        std::fs::write(&generated, format!("{body}{program}{prelude}")).expect("writable");
        let stderr = std::fs::read_to_string(source.with_extension("stderr")).expect("reviewed .stderr");
        // trybuild shows a file outside the crate by its absolute path.
        let stderr = stderr.replace(&format!("trybuild/{topic}/{name}.rs"), &generated.display().to_string());
        std::fs::write(generated.with_extension("stderr"), stderr).expect("writable");
        t.compile_fail(&generated);
    }
}

/// The name of the last model declared in a case: `Net` in `struct Net {`.
fn last_model_name(source: &str) -> Option<String> {
    let at = source.rfind("struct ")?;
    let rest = &source[at + "struct ".len()..];
    Some(rest.split(|c: char| !c.is_alphanumeric() && c != '_').next()?.to_string())
}
