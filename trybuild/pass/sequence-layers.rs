use shaped::prelude::*;

shaped::model! {
    /// Every sequence layer and option of this version.
    pub struct Everything {
        input: [None, 6],
        Masking(mask_value = 0.0),
        SimpleRnn(4, return_sequences = true, activation = relu, use_bias = false),
        Lstm(5, return_sequences = true, unit_forget_bias = false),
        Gru(6, return_sequences = true, reset_after = false),
        Bidirectional(Lstm(3, return_sequences = true), merge_mode = sum),
        Bidirectional(Gru(2, return_sequences = true)),
        TimeDistributed(Dense(7, activation = tanh)),
        Dense(5),
        GlobalMaxPool1d,
        Dense(3, activation = softmax),
    }
}

shaped::model! {
    pub struct Ids {
        input: u32[None],
        Embedding(100, 8),
        Gru(4, go_backwards = true),
        Dense(2, activation = sigmoid),
    }
}

fn main() -> shaped::Result<()> {
    let x = vec![vec![[0.5f32; 6]; 4], vec![[0.25f32; 6]; 9]];
    let out: Vec<[f32; 3]> = Everything::new(0).predict(&x)?;
    assert_eq!(out.len(), 2);
    let ids = vec![vec![1u32, 2, 3], vec![4]];
    let mut model = Ids::new(0).compile(Adam::default(), BinaryCrossentropy::default(), [Accuracy])?;
    model.fit(&ids, &[[1.0, 0.0], [0.0, 1.0]], FitOptions { verbose: Verbose::Silent, ..Default::default() })?;
    Ok(())
}
