//! The seed article's custom layer (`CustomInputLayer` with its `get_config`), in shaped: a
//! layer of one's own that picks the features it was configured with, its configuration saved
//! with the model and checked when the model is loaded. No `get_config` boilerplate: the layer
//! derives `Serialize`, and `config` is one line.
//!
//! Run: `cargo run --example seed_custom_layer`

use serde::Serialize;
use shaped::prelude::*;

/// Keeps the input features at `indices`, in that order: `[10]` → `[3]` for three indices.
/// Its configuration (the indices) goes into whole-model files.
#[derive(Serialize)]
struct PickFeatures {
    indices: Vec<usize>,
}

/// Ten features per sample.
type In10 = (shaped::dim!(10),);

impl Layer<In10> for PickFeatures {
    type Out = (shaped::dim!(3),);

    fn forward(
        &mut self,
        x: TensorRef<'_, In10>,
        mut y: TensorMut<'_, Self::Out>,
        _: Mode,
    ) -> shaped::Result<()> {
        for (row_y, row_x) in y.data_mut().chunks_mut(3).zip(x.data().chunks(10)) {
            for (o, &i) in row_y.iter_mut().zip(&self.indices) {
                *o = row_x[i];
            }
        }
        Ok(())
    }

    /// The picked features' gradients go back to where they came from; the others get none.
    fn backward(
        &mut self,
        _x: TensorRef<'_, In10>,
        _y: TensorRef<'_, Self::Out>,
        dy: TensorRef<'_, Self::Out>,
        dx: Option<TensorMut<'_, In10>>,
    ) -> shaped::Result<()> {
        if let Some(mut dx) = dx {
            dx.data_mut().fill(0.0);
            for (row_dx, row_dy) in dx.data_mut().chunks_mut(10).zip(dy.data().chunks(3)) {
                for (&i, &g) in self.indices.iter().zip(row_dy) {
                    row_dx[i] += g;
                }
            }
        }
        Ok(())
    }

    fn config(&self) -> Option<String> {
        serde_json::to_string(self).ok()
    }
}

shaped::model! {
    /// The seed's model: the custom layer, then `Dense(10)`.
    struct Seed {
        input: [10],
        pick: PickFeatures { indices: vec![0, 4, 9] } -> [3],
        Dense(10, activation = softmax),
    }
}

shaped::model! {
    /// The same model configured to pick other features.
    struct OtherPick {
        input: [10],
        pick: PickFeatures { indices: vec![1, 2, 3] } -> [3],
        Dense(10, activation = softmax),
    }
}

fn main() -> shaped::Result<()> {
    let x: Vec<[f32; 10]> =
        (0..64).map(|i| std::array::from_fn(|j| ((i * 7 + j * 3) % 11) as f32 / 10.0)).collect();
    let y: Vec<u32> = (0..64).map(|i| (i % 10) as u32).collect();
    let mut model =
        Seed::new(0).compile(Adam::default(), SparseCategoricalCrossentropy::default(), [Accuracy])?;
    model.fit(&x, &y, FitOptions { epochs: 5, verbose: Verbose::Silent, ..Default::default() })?;
    let before: Vec<[f32; 10]> = model.predict(&x[..3])?;

    let path =
        std::env::temp_dir().join(format!("shaped-seed-custom-layer-{}.safetensors", std::process::id()));
    model.model().save_model(&path)?;
    let mut loaded = Seed::new(1);
    loaded.load_model(&path)?;
    let after: Vec<[f32; 10]> = loaded.predict(&x[..3])?;
    assert_eq!(before, after);
    println!("saved and loaded with its configuration: the same predictions, {:?}", &after[0][..3]);

    // A model whose custom layer is configured otherwise is refused, naming the difference.
    let err = OtherPick::new(0).load_model(&path).unwrap_err();
    println!("loading into a model that picks other features: {err}");
    let _ = std::fs::remove_file(&path);
    Ok(())
}
