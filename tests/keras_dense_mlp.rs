//! The dense MLP of ../shared/keras/fixtures (copied to tests/fixtures): Keras 3.15.1 on JAX,
//! `Input(5) → Dense(4, relu) → Dense(3, softmax)`, every weight random. Declared with `model!`,
//! loaded from the same `.npz`, it must give Keras's outputs within 1e-5.

use shaped::io::Npz;
use shaped::prelude::*;
use shaped::testing::assert_close;

shaped::model! {
    /// The fixture's model.
    struct Mlp {
        input: [5],
        Dense(4, activation = relu),
        Dense(3, activation = softmax),
    }
}

shaped::model! {
    /// The fixture's first layer alone, for its `hidden_relu` intermediate.
    struct Hidden {
        input: [5],
        Dense(4, activation = relu),
    }
}

fn fixture() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/a_dense_mlp.npz")
}

#[test]
fn outputs_match_keras() -> shaped::Result<()> {
    let npz = Npz::open(fixture())?;
    let input = npz.get("input")?;
    let mut model = Mlp::new(0);
    model.load_keras_npz(fixture())?;
    let out = model.predict_flat(&input.data, &input.shape)?;
    assert_eq!(out.dims().as_slice(), &[3]);
    assert_close(out.data(), &npz.get("output")?.data, 1e-5);
    Ok(())
}

#[test]
fn hidden_relu_matches_keras() -> shaped::Result<()> {
    let npz = Npz::open(fixture())?;
    let input = npz.get("input")?;
    let mut hidden = Hidden::new(0);
    // `Hidden`'s only weights are named `dense/kernel` and `dense/bias`, like the fixture's first layer.
    hidden.load_keras_npz(fixture())?;
    let out = hidden.predict_flat(&input.data, &input.shape)?;
    assert_close(out.data(), &npz.get("extra_hidden_relu")?.data, 1e-5);
    Ok(())
}

#[test]
fn typed_predict_agrees_with_the_flat_entry() -> shaped::Result<()> {
    let npz = Npz::open(fixture())?;
    let input = npz.get("input")?;
    let rows: Vec<[f32; 5]> = input.data.chunks(5).map(|r| r.try_into().unwrap()).collect();
    let mut model = Mlp::new(0);
    model.load_keras_npz(fixture())?;
    let probs = model.predict(&rows)?;
    assert_close(probs.as_flattened(), &npz.get("output")?.data, 1e-5);
    Ok(())
}

#[test]
fn loading_names_the_weight_whose_shape_differs() {
    shaped::model! {
        struct Wider {
            input: [6],
            Dense(4, activation = relu),
            Dense(3, activation = softmax),
        }
    }
    let mut model = Wider::new(0);
    let before = model.predict(&[[1.0; 6]]).unwrap();
    let err = model.load_keras_npz(fixture()).unwrap_err().to_string();
    assert!(err.contains("dense/kernel") && err.contains("[5, 4]") && err.contains("[6, 4]"), "{err}");
    // A failed load changes nothing.
    assert_eq!(model.predict(&[[1.0; 6]]).unwrap(), before);
}
