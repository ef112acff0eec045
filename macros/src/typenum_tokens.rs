//! Any `usize` as a typenum type, bit by bit: 6 → `UInt<UInt<UInt<UTerm, B1>, B1>, B0>`.
//!
//! typenum's `U<N>` mapping covers only some numbers; this covers all of them.

use proc_macro2::TokenStream;
use quote::quote;

/// The typenum unsigned-integer type for `n`, through the `shaped::typenum` re-export.
pub fn uint_tokens(n: usize) -> TokenStream {
    if n == 0 {
        return quote!(::shaped::typenum::UTerm);
    }
    let mut ty = quote!(::shaped::typenum::UTerm);
    for bit in (0..usize::BITS - n.leading_zeros()).rev() {
        let b =
            if (n >> bit) & 1 == 1 { quote!(::shaped::typenum::B1) } else { quote!(::shaped::typenum::B0) };
        ty = quote!(::shaped::typenum::UInt<#ty, #b>);
    }
    ty
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_most_significant_innermost() {
        let s = uint_tokens(6).to_string().replace(' ', "");
        assert_eq!(
            s,
            "::shaped::typenum::UInt<::shaped::typenum::UInt<::shaped::typenum::UInt<::shaped::typenum::UTerm,::shaped::typenum::B1>,::shaped::typenum::B1>,::shaped::typenum::B0>"
        );
        assert_eq!(uint_tokens(0).to_string().replace(' ', ""), "::shaped::typenum::UTerm");
    }
}
