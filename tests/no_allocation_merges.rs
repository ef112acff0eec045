//! Merges allocate nothing once the longest batch has been seen: a graph of Add, Maximum,
//! Concatenate (along time), Dot (normalised) and Multiply over three inputs, two of them
//! masked sequences, run forward and backward through a workspace for 60 batches of varying
//! lengths, counted by DHAT's allocator. (One test per file: DHAT's profiler is process-wide.)

use shaped::layers::{Concatenate, Dot, Elementwise, ElementwiseOp, Input, Mode, Stage};
use shaped::model::{Source, Workspace};
use shaped::shape::Dims;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const BATCH: usize = 8;
const FEATURES: usize = 4;
const LONGEST: usize = 12;

/// The graph's nodes and the buffers a training step reuses.
struct Graph {
    add: Elementwise,
    maximum: Elementwise,
    concatenate: Concatenate,
    dot: Dot,
    multiply: Elementwise,
    workspace: Workspace,
    dx: [Vec<f32>; 3],
}

impl Graph {
    /// One forward and backward pass on sequences of `steps` steps (`x`: the three inputs'
    /// values, `masks`: the first two inputs' masks); `dy` fills the outputs' gradients.
    fn step(&mut self, steps: usize, x: &[Vec<f32>; 3], masks: &[Vec<f32>; 2]) {
        use Source::{Input as In, Node};
        let dims = Dims::new(&[steps, FEATURES]).unwrap();
        let len = BATCH * steps * FEATURES;
        let data: [&[f32]; 3] = [&x[0][..len], &x[1][..len], &x[2][..len]];
        let inputs = [
            Input::new(data[0], dims).with_mask(Some(&masks[0][..BATCH * steps])),
            Input::new(data[1], dims).with_mask(Some(&masks[1][..BATCH * steps])),
            Input::new(data[2], dims),
        ];
        let ws = &mut self.workspace;
        let mode = Mode::Training;
        ws.begin(&inputs).unwrap();
        ws.run(0, &mut self.add, [In(0), In(1)], &inputs, BATCH, mode).unwrap();
        ws.run(1, &mut self.maximum, [Node(0), In(2), In(1)], &inputs, BATCH, mode).unwrap();
        ws.run(2, &mut self.concatenate, [In(0), Node(0)], &inputs, BATCH, mode).unwrap();
        ws.run(3, &mut self.dot, [Node(2), In(1)], &inputs, BATCH, mode).unwrap();
        ws.run(4, &mut self.multiply, [Node(1), In(2)], &inputs, BATCH, mode).unwrap();
        for out in [3, 4] {
            ws.output_and_grad(out).1.fill(0.5);
        }
        ws.begin_backward(&[3, 4]);
        let [d0, d1, d2] = &mut self.dx;
        let mut dx = [Some(&mut d0[..len]), Some(&mut d1[..len]), Some(&mut d2[..len])];
        ws.backward(4, &mut self.multiply, [Node(1), In(2)], &inputs, BATCH, false, &mut dx).unwrap();
        ws.backward(3, &mut self.dot, [Node(2), In(1)], &inputs, BATCH, false, &mut dx).unwrap();
        ws.backward(2, &mut self.concatenate, [In(0), Node(0)], &inputs, BATCH, false, &mut dx).unwrap();
        ws.backward(1, &mut self.maximum, [Node(0), In(2), In(1)], &inputs, BATCH, false, &mut dx).unwrap();
        ws.backward(0, &mut self.add, [In(0), In(1)], &inputs, BATCH, false, &mut dx).unwrap();
    }
}

#[test]
fn merge_steps_do_not_allocate() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let mut rng = shaped::data::SplitMix64::new(3);
    let n = BATCH * LONGEST * FEATURES;
    let x: [Vec<f32>; 3] = std::array::from_fn(|_| (0..n).map(|_| rng.next_f32() - 0.5).collect());
    // Post-padded masks for every length up to LONGEST: sample b has `1 + (b + k) % steps` real steps.
    let mask = |steps: usize, k: usize| -> Vec<f32> {
        (0..BATCH)
            .flat_map(|b| (0..steps).map(move |t| if t <= (b + k) % steps { 1.0 } else { 0.0 }))
            .collect()
    };
    let mut graph = Graph {
        add: Elementwise::new(ElementwiseOp::Add),
        maximum: Elementwise::new(ElementwiseOp::Maximum),
        concatenate: Concatenate::new(1),
        dot: Dot::new([2, 2], true),
        multiply: Elementwise::new(ElementwiseOp::Multiply),
        workspace: Workspace::new(5, 3),
        dx: std::array::from_fn(|_| vec![0.0; n]),
    };
    let masks: Vec<[Vec<f32>; 2]> = (1..=LONGEST).map(|s| [mask(s, 0), mask(s, 3)]).collect();
    // The longest batch sizes every buffer.
    graph.step(LONGEST, &x, &masks[LONGEST - 1]);
    assert_eq!(graph.dot.kind(), "Dot");
    let before = dhat::HeapStats::get();
    for i in 0..60 {
        let steps = 1 + (i * 7) % LONGEST;
        graph.step(steps, &x, &masks[steps - 1]);
    }
    let after = dhat::HeapStats::get();
    assert_eq!(
        after.total_blocks - before.total_blocks,
        0,
        "60 merge steps allocated {} blocks ({} bytes)",
        after.total_blocks - before.total_blocks,
        after.total_bytes - before.total_bytes
    );
}
