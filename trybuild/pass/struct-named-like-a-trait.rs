// A model may have any name, even that of a trait in shaped's prelude (`Model`, `Layer`) or of
// Keras's `Sequential`: its methods stay reachable where the name shadows the trait.

/// A module declaring a model called `$name` and a program that trains, predicts and saves it.
macro_rules! model_named {
    ($module:ident, $name:ident) => {
        mod $module {
            use shaped::prelude::*;

            shaped::model! {
                pub struct $name {
                    input: [4],
                    Dense(8, activation = relu),
                    Dense(2, activation = softmax),
                }
            }

            pub fn run() -> shaped::Result<()> {
                let x = vec![[0.5f32; 4]; 8];
                let y: Vec<u32> = (0..8).map(|i| i % 2).collect();
                let mut model =
                    $name::new(0).compile(Adam::default(), SparseCategoricalCrossentropy::default(), [Accuracy])?;
                assert!(model.summary_string().contains("Total params: 58"));
                let options = FitOptions { epochs: 2, verbose: Verbose::Silent, ..Default::default() };
                let history = model.fit(&x, &y, options)?;
                assert_eq!(history.get("loss").map(|l| l.len()), Some(2));
                let probs: Vec<[f32; 2]> = model.predict(&x)?;
                assert_eq!(probs.len(), 8);
                let name = concat!("shaped-struct-named-", stringify!($module));
                let path = std::env::temp_dir().join(format!("{name}-{}.safetensors", std::process::id()));
                model.save_weights(&path)?;
                model.load_weights(&path)?;
                std::fs::remove_file(&path).map_err(|e| shaped::Error::io(&path, e))
            }
        }
    };
}

model_named!(model, Model);
model_named!(layer, Layer);
model_named!(sequential, Sequential);

fn main() -> shaped::Result<()> {
    model::run()?;
    layer::run()?;
    sequential::run()
}
