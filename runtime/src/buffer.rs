//! Scratch buffers that grow to the largest batch seen and never shrink, so that a steady
//! stream of batches allocates nothing.

/// Grows `buf` to at least `len` elements (new ones `T::default()`); never shrinks.
pub(crate) fn grow<T: Clone + Default>(buf: &mut Vec<T>, len: usize) {
    if buf.len() < len {
        buf.resize(len, T::default());
    }
}
