//! Copies and fills of short runs of `f32` whose length is known only at run time: the rows of
//! im2col (3 or 48 values) and the bias rows of a convolution (16 values per pixel).
//! `copy_from_slice` and `fill` of such a run are calls to `memcpy` / `memset`, whose cost
//! dominates a run this short; these helpers use fixed-size blocks of 8, which the compiler
//! turns into vector moves, and fall back to the library calls for long runs.

/// `dst = src` for a short run: fixed-size blocks the compiler turns into vector moves (a
/// `copy_from_slice` of a length known only at run time is a call to `memcpy`, whose cost
/// dominates a copy of 3 or 48 values).
#[inline(always)]
pub fn copy_run(dst: &mut [f32], src: &[f32]) {
    if dst.len() >= 256 {
        dst.copy_from_slice(src);
        return;
    }
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (d8, s8) in (&mut d).zip(&mut s) {
        let s8: &[f32; 8] = s8.try_into().expect("chunks of 8");
        d8.copy_from_slice(s8);
    }
    let (d, s) = (d.into_remainder(), s.remainder());
    match d.len() {
        1 => d.copy_from_slice(&s[..1]),
        2 => d.copy_from_slice(&s[..2]),
        3 => d.copy_from_slice(&s[..3]),
        4 => d.copy_from_slice(&s[..4]),
        5 => d.copy_from_slice(&s[..5]),
        6 => d.copy_from_slice(&s[..6]),
        7 => d.copy_from_slice(&s[..7]),
        _ => {}
    }
}

/// `dst = 0` for a short run, as [`copy_run`] (a `fill` of a run-time length calls `memset`).
#[inline(always)]
pub fn zero_run(dst: &mut [f32]) {
    if dst.len() >= 256 {
        dst.fill(0.0);
        return;
    }
    let mut d = dst.chunks_exact_mut(8);
    for d8 in &mut d {
        d8.copy_from_slice(&[0.0; 8]);
    }
    let d = d.into_remainder();
    match d.len() {
        1 => d.copy_from_slice(&[0.0; 1]),
        2 => d.copy_from_slice(&[0.0; 2]),
        3 => d.copy_from_slice(&[0.0; 3]),
        4 => d.copy_from_slice(&[0.0; 4]),
        5 => d.copy_from_slice(&[0.0; 5]),
        6 => d.copy_from_slice(&[0.0; 6]),
        7 => d.copy_from_slice(&[0.0; 7]),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_length_is_copied_and_zeroed() {
        for n in 0..300 {
            let src: Vec<f32> = (0..n).map(|i| i as f32 + 0.5).collect();
            let mut dst = vec![-1.0; n + 1];
            copy_run(&mut dst[..n], &src);
            assert_eq!(&dst[..n], &src[..], "copy of {n}");
            assert_eq!(dst[n], -1.0, "nothing past the run");
            zero_run(&mut dst[..n]);
            assert!(dst[..n].iter().all(|&v| v == 0.0) && dst[n] == -1.0, "zero of {n}");
        }
    }
}
