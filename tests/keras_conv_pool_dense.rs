//! The CNN of ../shared/keras/fixtures (copied to tests/fixtures): Keras 3.15.1 on JAX,
//! `Input(8, 8, 1) → Conv2D(4, 3) → MaxPooling2D() → Flatten → Dense(2)`, every weight random.
//! Declared with `model!`, loaded from the same `.npz`, it must give Keras's output and its
//! intermediates (the convolution, the pooling, the flattening, row-major over h, w, c) within
//! 1e-5.

use shaped::io::Npz;
use shaped::prelude::*;
use shaped::testing::assert_close;

shaped::model! {
    /// The fixture's model.
    struct Cnn {
        input: [8, 8, 1],
        Conv2d(4, 3),
        MaxPool2d(2),
        Flatten,
        Dense(2),
    }
}

shaped::model! {
    /// The fixture's convolution alone.
    struct ConvOnly {
        input: [8, 8, 1],
        Conv2d(4, 3),
    }
}

shaped::model! {
    /// Up to the pooling.
    struct UpToPool {
        input: [8, 8, 1],
        Conv2d(4, 3),
        MaxPool2d(2),
    }
}

shaped::model! {
    /// Up to the flattening.
    struct UpToFlatten {
        input: [8, 8, 1],
        Conv2d(4, 3),
        MaxPool2d(2),
        Flatten,
    }
}

fn fixture() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/e_conv_pool_dense.npz")
}

#[test]
fn output_and_intermediates_match_keras() -> shaped::Result<()> {
    let npz = Npz::open(fixture())?;
    let input = npz.get("input")?;

    let mut model = Cnn::new(0);
    model.load_keras_npz(fixture())?;
    let out = model.predict_flat(&input.data, &input.shape)?;
    assert_close(out.data(), &npz.get("output")?.data, 1e-5);

    let mut conv = ConvOnly::new(0);
    conv.load_keras_npz(fixture())?;
    let out = conv.predict_flat(&input.data, &input.shape)?;
    assert_eq!(out.dims().as_slice(), &[6, 6, 4]);
    assert_close(out.data(), &npz.get("extra_conv_output")?.data, 1e-5);

    let mut pool = UpToPool::new(0);
    pool.load_keras_npz(fixture())?;
    let out = pool.predict_flat(&input.data, &input.shape)?;
    assert_close(out.data(), &npz.get("extra_pool_output")?.data, 1e-5);

    let mut flat = UpToFlatten::new(0);
    flat.load_keras_npz(fixture())?;
    let out = flat.predict_flat(&input.data, &input.shape)?;
    assert_close(out.data(), &npz.get("extra_flatten_output")?.data, 1e-5);
    Ok(())
}
