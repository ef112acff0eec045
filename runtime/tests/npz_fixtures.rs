//! Reads the Keras reference fixtures in `tests/fixtures/*.npz` with the runtime's own
//! `.npz` reader and checks shapes and a few values printed by NumPy.

use std::path::{Path, PathBuf};

use shaped_runtime::io::Npz;
use shaped_runtime::testing::assert_close;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(name)
}

fn shape_of(npz: &Npz, name: &str) -> Vec<usize> {
    npz.get(name).unwrap_or_else(|e| panic!("{e}")).shape
}

#[test]
fn dense_mlp_fixture_has_every_array_with_its_shape() {
    let npz = Npz::open(fixture("a_dense_mlp.npz")).unwrap();
    let names: Vec<&str> = npz.names().collect();
    assert_eq!(
        names,
        [
            "input",
            "output",
            "dense/kernel",
            "dense/bias",
            "dense_1/kernel",
            "dense_1/bias",
            "extra_hidden_relu"
        ]
    );
    let shapes: [(&str, &[usize]); 7] = [
        ("input", &[4, 5]),
        ("output", &[4, 3]),
        ("dense/kernel", &[5, 4]),
        ("dense/bias", &[4]),
        ("dense_1/kernel", &[4, 3]),
        ("dense_1/bias", &[3]),
        ("extra_hidden_relu", &[4, 4]),
    ];
    for (name, shape) in shapes {
        assert_eq!(shape_of(&npz, name), shape, "{name}");
    }
}

#[test]
fn dense_mlp_fixture_values_match_numpy() {
    let npz = Npz::open(fixture("a_dense_mlp.npz")).unwrap();
    let input = npz.get("input").unwrap();
    assert_close(&input.data[..3], &[0.179_375_2, -0.348_617_52, 0.108_558_8], 1e-7);
    assert_close(&input.data[19..], &[0.210_459_08], 1e-7);
    let kernel = npz.get("dense/kernel").unwrap();
    assert_close(&kernel.data[..3], &[0.583_642_6, 0.161_735_24, -0.170_277_49], 1e-7);
    assert_close(&kernel.data[19..], &[-0.983_938_04], 1e-7);
    let bias = npz.get("dense_1/bias").unwrap();
    assert_close(&bias.data, &[-0.185_766, -0.527_826_1, 0.343_899_94], 1e-7);
    // Softmax outputs: every row sums to 1.
    let output = npz.get("output").unwrap();
    assert_close(&output.data[..3], &[0.540_330_3, 0.013_725_146, 0.445_944_55], 1e-7);
    for row in output.data.chunks(3) {
        assert_close(&[row.iter().sum::<f32>()], &[1.0], 1e-6);
    }
    // The hidden layer is a ReLU output.
    assert!(npz.get("extra_hidden_relu").unwrap().data.iter().all(|&x| x >= 0.0));
}

#[test]
fn lstm_fixture_reads_the_bool_mask_as_zeros_and_ones() {
    let npz = Npz::open(fixture("b_lstm_masked.npz")).unwrap();
    let mask = npz.get("mask").unwrap();
    assert_eq!(mask.shape, [3, 6]);
    #[rustfmt::skip]
    let expected = [
        1.0, 1.0, 1.0, 1.0, 1.0, 1.0,
        1.0, 1.0, 1.0, 1.0, 0.0, 0.0,
        1.0, 1.0, 0.0, 0.0, 0.0, 0.0,
    ];
    assert_eq!(mask.data, expected);

    assert_eq!(shape_of(&npz, "input"), [3, 6, 4]);
    assert_eq!(shape_of(&npz, "output"), [3, 8]);
    assert_eq!(shape_of(&npz, "lstm/lstm_cell/kernel"), [4, 32]);
    assert_eq!(shape_of(&npz, "lstm/lstm_cell/recurrent_kernel"), [8, 32]);
    assert_eq!(shape_of(&npz, "lstm/lstm_cell/bias"), [32]);
    assert_eq!(shape_of(&npz, "extra_sequence_output"), [3, 6, 8]);

    let bias = npz.get("lstm/lstm_cell/bias").unwrap();
    assert_close(&bias.data[..3], &[0.163_875_58, -0.074_160_68, 0.472_206_18], 1e-7);
    // The final state equals the LSTM output.
    assert_eq!(npz.get("extra_state_h").unwrap().data, npz.get("output").unwrap().data);
    // Padded input steps are zero: sample 2 has length 2, so its steps 2..6 are all 0.
    let input = npz.get("input").unwrap();
    assert!(input.data[2 * 24 + 2 * 4..3 * 24].iter().all(|&x| x == 0.0));
}

#[test]
fn a_missing_fixture_key_lists_the_available_ones() {
    let npz = Npz::open(fixture("a_dense_mlp.npz")).unwrap();
    let err = npz.get("dense_2/kernel").unwrap_err().to_string();
    assert!(err.contains("a_dense_mlp.npz") && err.contains("`dense_2/kernel`"), "{err}");
    assert!(err.contains("`dense/kernel`") && err.contains("`extra_hidden_relu`"), "{err}");
}
