use shaped::prelude::*;

shaped::model! {
    struct Digits {
        input: [8, 8],
        Flatten,
        Dense(16, activation = relu),
        Dense(10, activation = softmax),
    }
}

fn main() -> shaped::Result<()> {
    let x = vec![[[0.5f32; 8]; 8]; 16];
    // Integer class ids with the sparse loss, one-hot labels with the categorical loss.
    let ids: Vec<u32> = (0..16).map(|i| i % 10).collect();
    let one_hot: Vec<[f32; 10]> = shaped::data::to_categorical(&ids)?;
    let mut sparse = Digits::new(0).compile(Sgd::default(), SparseCategoricalCrossentropy::default(), [Accuracy])?;
    let history = sparse.fit(&x, &ids, FitOptions { epochs: 2, batch_size: 4, verbose: Verbose::Silent, ..Default::default() })?;
    assert_eq!(history.get("loss").map(|l| l.len()), Some(2));
    let mut dense = Digits::new(0).compile(RmsProp::default(), CategoricalCrossentropy::default(), [Accuracy])?;
    dense.fit(&x, &one_hot, FitOptions { epochs: 2, batch_size: 4, verbose: Verbose::Silent, ..Default::default() })?;
    let probs: Vec<[f32; 10]> = dense.predict(&x)?;
    assert_eq!(probs.len(), 16);
    Ok(())
}
