//! Collects every error of the check stage, so the user sees all mistakes in one build
//! (serde's `Ctxt`).

use std::cell::RefCell;
use std::fmt::Display;

/// A collector of errors. Dropping it without calling [`Ctxt::check`] panics, so no error can be
/// lost silently.
pub struct Ctxt {
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Ctxt {
    pub fn new() -> Self {
        Ctxt { errors: RefCell::new(Some(Vec::new())) }
    }

    /// Records an error at `span`.
    pub fn error(&self, span: proc_macro2::Span, msg: impl Display) {
        self.errors.borrow_mut().as_mut().expect("Ctxt used after check").push(syn::Error::new(span, msg));
    }

    /// Consumes the collector: `Ok` if no error was recorded, else all of them combined.
    pub fn check(self) -> syn::Result<()> {
        let mut errors = self.errors.borrow_mut().take().expect("Ctxt checked twice").into_iter();
        let Some(mut combined) = errors.next() else {
            return Ok(());
        };
        for rest in errors {
            combined.combine(rest);
        }
        Err(combined)
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if !std::thread::panicking() && self.errors.borrow().is_some() {
            panic!("forgot to check for errors");
        }
    }
}
