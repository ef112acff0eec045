//! Strings on their way to a lookup layer: [`TextColumn`], a batch's strings as a layer reads
//! them (one per sample, each present or missing), and [`TextBuffer`], the storage a batch
//! reuses for them.
//!
//! A string input (`input island: String[1]`, or `Option<String>[1]` when values may be
//! missing) is copied into one buffer per batch, never into a string per sample, so a stream
//! of batches allocates nothing once the buffer has grown to the largest.

/// Where one sample's string lies in the buffer; `None` for a missing value.
type Span = Option<(usize, usize)>;

/// The strings of a batch, one per sample: what `StringLookup` and `Hashing` read.
///
/// ```
/// use shaped::tensor::TextBuffer;
///
/// let mut buffer = TextBuffer::default();
/// buffer.clear();
/// buffer.push(Some("red"));
/// buffer.push(None);
/// let column = buffer.column();
/// assert_eq!((column.len(), column.get(0), column.get(1)), (2, Some("red"), None));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TextColumn<'a> {
    text: &'a str,
    spans: &'a [Span],
}

impl<'a> TextColumn<'a> {
    /// The number of samples.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the column holds no sample.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Sample `i`'s string, `None` when the value is missing (or `i` is past the end).
    pub fn get(&self, i: usize) -> Option<&'a str> {
        let (start, end) = (*self.spans.get(i)?)?;
        self.text.get(start..end)
    }

    /// Every sample's string in order, `None` for a missing one.
    pub fn iter(&self) -> impl Iterator<Item = Option<&'a str>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// The storage behind a [`TextColumn`]: every string of a batch end to end, and where each
/// lies. Cleared per batch; its capacity is kept.
#[derive(Clone, Debug, Default)]
pub struct TextBuffer {
    text: String,
    spans: Vec<Span>,
}

impl TextBuffer {
    /// Forgets the strings, keeping the capacity.
    pub fn clear(&mut self) {
        self.text.clear();
        self.spans.clear();
    }

    /// Adds one sample's string, `None` for a missing value.
    pub fn push(&mut self, value: Option<&str>) {
        let span = value.map(|s| {
            let start = self.text.len();
            self.text.push_str(s);
            (start, self.text.len())
        });
        self.spans.push(span);
    }

    /// The strings pushed since the last [`TextBuffer::clear`].
    pub fn column(&self) -> TextColumn<'_> {
        TextColumn { text: &self.text, spans: &self.spans }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_each_string_and_each_missing_value_in_order() {
        let mut buffer = TextBuffer::default();
        for value in [Some("Biscoe"), None, Some(""), Some("Dream")] {
            buffer.push(value);
        }
        let column = buffer.column();
        assert_eq!(column.iter().collect::<Vec<_>>(), [Some("Biscoe"), None, Some(""), Some("Dream")]);
        buffer.clear();
        assert!(buffer.column().is_empty());
    }
}
