//! Scratch buffers that grow to the largest batch seen and never shrink, so that a steady
//! stream of batches allocates nothing.

/// Grows `buf` to at least `len` elements (new ones `T::default()`); never shrinks.
pub(crate) fn grow<T: Clone + Default>(buf: &mut Vec<T>, len: usize) {
    if buf.len() < len {
        buf.resize(len, T::default());
    }
}

/// A vector of `len` copies of `value`, or an `Err` naming `what` when the memory cannot be had
/// (instead of the abort that `vec![value; len]` gives for a size from a caller).
pub(crate) fn try_filled<T: Clone>(
    len: usize,
    value: T,
    what: impl FnOnce() -> String,
) -> crate::Result<Vec<T>> {
    let mut out = Vec::new();
    if out.try_reserve_exact(len).is_err() {
        return Err(crate::Error::InvalidArgument {
            name: "size",
            detail: format!("{} needs {len} values, more memory than can be allocated", what()),
        });
    }
    out.resize(len, value);
    Ok(out)
}
