use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
struct Counting;
static COUNT: AtomicUsize = AtomicUsize::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        COUNT.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        COUNT.fetch_add(1, Ordering::SeqCst);
        unsafe { System.realloc(p, l, n) }
    }
}
#[global_allocator]
static A: Counting = Counting;
use shaped_runtime::data::SplitMix64;
use shaped_runtime::layers::*;
use shaped_runtime::model::Stage;
use shaped_runtime::shape::Dims;
fn run(
    s: &mut dyn Stage,
    steps: usize,
    batch: usize,
    x: &[f32],
    mask: &[f32],
    y: &mut Vec<f32>,
    dy: &mut Vec<f32>,
    dx: &mut Vec<f32>,
) {
    let dims = Dims::new(&[steps, 8]).unwrap();
    let n = batch * s.output_dims(dims).unwrap().numel();
    let (y, dy) = (&mut y[..n], &dy[..n]);
    s.forward_masked(&x[..batch * steps * 8], dims, batch, Some(&mask[..batch * steps]), y, Mode::Training)
        .unwrap();
    s.backward_masked(
        &x[..batch * steps * 8],
        dims,
        batch,
        Some(&mask[..batch * steps]),
        y,
        dy,
        Some(&mut dx[..batch * steps * 8]),
        false,
    )
    .unwrap();
}
#[test]
fn no_alloc() {
    let o = RnnOptions { return_sequences: true, ..Default::default() };
    let mut stages: Vec<Box<dyn Stage>> = vec![
        Box::new(Lstm::new(8, 16, Default::default(), &mut SplitMix64::new(1))),
        Box::new(Gru::new(8, 16, o, &mut SplitMix64::new(1))),
        Box::new(Gru::new(8, 16, RnnOptions { reset_after: false, ..o }, &mut SplitMix64::new(1))),
        Box::new(SimpleRnn::new(8, 16, o, &mut SplitMix64::new(1))),
        Box::new(Bidirectional::new(
            Lstm::new(8, 16, o, &mut SplitMix64::new(1)),
            MergeMode::Concat,
            &mut SplitMix64::new(2),
        )),
    ];
    let x = vec![0.3f32; 64 * 100 * 8];
    let mut mask = vec![1.0f32; 64 * 100];
    for b in 0..64 {
        for t in (10 + b)..100 {
            mask[b * 100 + t] = 0.0;
        }
    }
    let mut y = vec![0.0f32; 64 * 100 * 32];
    let mut dy = vec![0.1f32; 64 * 100 * 32];
    let mut dx = vec![0.0f32; 64 * 100 * 8];
    for s in stages.iter_mut() {
        run(s.as_mut(), 100, 64, &x, &mask, &mut y, &mut dy, &mut dx);
        let before = COUNT.load(Ordering::SeqCst);
        for _ in 0..3 {
            run(s.as_mut(), 100, 64, &x, &mask, &mut y, &mut dy, &mut dx);
            run(s.as_mut(), 50, 32, &x, &mask, &mut y, &mut dy, &mut dx);
        }
        let n = COUNT.load(Ordering::SeqCst) - before;
        println!("{}: {} allocations", s.kind(), n);
    }
}
