//! "Did you mean" suggestions: the nearest known name by edit distance, for the macro's
//! messages (layer, argument and node names) and the runtime's (a table's columns).

use alloc::vec::Vec;

/// Levenshtein distance (insertions, deletions, substitutions of chars), case-insensitive.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(diagonal + 1).min(row[j] + 1);
        }
    }
    row[b.len()]
}

/// The candidate nearest to `word` within `limit` edits, the first of equals.
pub fn nearest_within<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    limit: usize,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The candidate nearest to `word`, if it is near enough to be a likely typo: at most a third
/// of the word's length in edits, and at least 1 allowed.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    nearest_within(word, candidates, (word.chars().count() / 3).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos() {
        assert_eq!(nearest("Dence", ["Dense", "Dropout"]), Some("Dense"));
        assert_eq!(nearest("sofmax", ["softmax", "relu"]), Some("softmax"));
        assert_eq!(nearest("Projection", ["Dense", "Dropout"]), None);
        assert_eq!(nearest_within("yaer", ["island", "year"], 2), Some("year"));
    }

    #[test]
    fn counts_single_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("year", "yaer"), 2);
        assert_eq!(edit_distance("bill", "bil"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("Year", "year"), 0);
    }
}
