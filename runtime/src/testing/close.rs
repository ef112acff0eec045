//! [`assert_close`]: float comparison for tests that reports the first pair that differs.
//!
//! Public so that the integration tests, examples and users' own tests compare the same way.

/// Default tolerance for f32 comparisons against references computed in f32 or f64.
pub const DEFAULT_TOLERANCE: f32 = 1e-5;

/// Finds the first index where `|actual − expected| > tol · max(1, |expected|)`.
///
/// Returns `None` when every pair is close and the lengths agree. NaN never equals anything,
/// except that a NaN expected value accepts a NaN actual value.
pub fn first_difference(actual: &[f32], expected: &[f32], tol: f32) -> Option<String> {
    if actual.len() != expected.len() {
        return Some(format!("lengths differ: actual has {}, expected has {}", actual.len(), expected.len()));
    }
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        let both_nan = a.is_nan() && e.is_nan();
        let close = (a - e).abs() <= tol * e.abs().max(1.0);
        if !both_nan && !close {
            return Some(format!(
                "first difference at index {i}: actual {a}, expected {e} (|diff| = {}, tolerance {tol})",
                (a - e).abs()
            ));
        }
    }
    None
}

/// Panics with the first pair that differs by more than `tol` (relative above magnitude 1).
#[track_caller]
pub fn assert_close(actual: &[f32], expected: &[f32], tol: f32) {
    if let Some(msg) = first_difference(actual, expected, tol) {
        panic!("{msg}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_first_far_pair() {
        let msg = first_difference(&[1.0, 2.0, 3.5], &[1.0, 2.1, 3.0], 1e-3).unwrap();
        assert!(msg.contains("index 1"), "{msg}");
        assert!(msg.contains("actual 2,") && msg.contains("expected 2.1"), "{msg}");
    }

    #[test]
    fn accepts_close_values_and_nan_pairs() {
        assert!(first_difference(&[1.0, f32::NAN, 1e6], &[1.000001, f32::NAN, 1e6 + 1.0], 1e-5).is_none());
    }

    #[test]
    fn lengths_must_agree() {
        assert!(first_difference(&[1.0], &[1.0, 2.0], 1e-5).unwrap().contains("lengths differ"));
    }
}
