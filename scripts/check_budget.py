#!/usr/bin/env python3
"""Measures DESIGN §6's compile-time budget: a clean `cargo check` of a user crate holding one
30-layer model (budget: under 1 s beyond its dependencies) and ten such models (under 3 s).

Four kinds of model, each 31 layers:
  - sequential, built-in layers only (every shape known to the macro);
  - sequential with a custom layer at #2 whose output the macro cannot see (every later shape
    goes through the type system and const checks: the worst case);
  - a 30-node graph: two inputs, a shared layer, Add and Concatenate merges, two outputs;
  - the same graph with a custom layer (declared output) in it;
  - a 32-layer CNN on [64, 64, 3] images: six blocks of convolutions, batch normalization and
    pooling, then a dense classifier;
  - the same CNN with a custom layer (declared output) in its first block.

CI runs it (`.ci/run`), so the generated code must keep compiling; with `--enforce` it also
fails when a median is over twice its budget (a regression, not noise).

Usage: python3 scripts/check_budget.py [--enforce]  (from anywhere)
"""
import os, pathlib, subprocess, sys, tempfile, time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUDGET = {1: 1.0, 10: 3.0}
CUSTOM = """use shaped::prelude::*;
pub struct Scale(f32);
impl<S: Shape> Layer<S> for Scale {
    type Out = S;
    fn forward(&mut self, x: TensorRef<'_, S>, mut y: TensorMut<'_, S>, _: Mode) -> shaped::Result<()> {
        y.data_mut().iter_mut().zip(x.data()).for_each(|(o, i)| *o = self.0 * i);
        Ok(())
    }
    fn backward(&mut self, _x: TensorRef<'_, S>, _y: TensorRef<'_, S>, dy: TensorRef<'_, S>,
                dx: Option<TensorMut<'_, S>>) -> shaped::Result<()> {
        if let Some(mut dx) = dx {
            dx.data_mut().iter_mut().zip(dy.data()).for_each(|(g, d)| *g = self.0 * d);
        }
        Ok(())
    }
}
"""


def sequential(name, custom):
    sizes = [128, 96, 64, 128, 32, 64, 48, 128, 64, 32]
    layers = ["input: [64],"]
    for i in range(30):
        k = i % 5
        if k == 0: layers.append(f"Dense({sizes[i % 10]}, activation = relu),")
        elif k == 1: layers.append("Scale(0.5)," if (custom and i == 1) else "Dropout(0.1),")
        elif k == 2: layers.append(f"Dense({sizes[(i + 3) % 10]}, activation = tanh),")
        elif k == 3: layers.append("Activation(gelu),")
        else: layers.append("Reshape([-1, 4]),")
    layers.append("Flatten,")
    layers.append("Dense(10, activation = softmax),")
    return layers


def graph(name, custom):
    """Two inputs; n0 and its second use n1 (a shared layer); then, in turns of four, an Add of
    the two nodes before, a Concatenate of the two before, a Dense back to 64 features and a
    Dropout (or, once, the custom layer); two outputs read the last two nodes."""
    layers = ["input a: [64],", "input b: [64],", "n0: Dense(64, activation = relu)(a),", "n1: n0(b),"]
    for i in range(2, 28):
        k = i % 4
        if k == 2: layers.append(f"n{i}: Add()(n{i - 1}, n{i - 2}),")
        elif k == 3: layers.append(f"n{i}: Concatenate()(n{i - 1}, n{i - 2}),")
        elif k == 0: layers.append(f"n{i}: Dense(64, activation = tanh)(n{i - 1}),")
        elif custom and i == 5: layers.append(f"n{i}: Scale(0.5)(n{i - 1}) -> [64],")
        else: layers.append(f"n{i}: Dropout(0.1)(n{i - 1}),")
    layers.append("output score: Dense(10, activation = softmax)(n27),")
    layers.append("output aux: Dense(1)(n26),")
    return layers


def cnn(name, custom):
    """Six blocks of Conv2d, BatchNorm, Conv2d, Dropout (or, once, the custom layer) and a
    2×2 pooling, halving 64×64 down to 1×1; then Flatten and Dense."""
    layers = ["input: [64, 64, 3],"]
    side = 64
    for block in range(6):
        c = [16, 32, 32, 64, 64, 128][block]
        layers.append(f"Conv2d({c}, 3, padding = same, activation = relu),")
        layers.append("BatchNorm,")
        layers.append(f"Conv2d({c}, 3, padding = same, activation = relu),")
        if custom and block == 0:
            layers.append(f"Scale(0.5) -> [{side}, {side}, {c}],")
        else:
            layers.append("Dropout(0.1),")
        layers.append("MaxPool2d(2)," if block % 2 == 0 else "AvgPool2d(2),")
        side //= 2
    layers.append("Flatten,")
    layers.append("Dense(10, activation = softmax),")
    return layers


def model(name, custom, kind):
    body = "\n        ".join(kind(name, custom))
    return f"shaped::model! {{\n    pub struct {name} {{\n        {body}\n    }}\n}}\n"


def source(count, custom, kind):
    src = (CUSTOM if custom else "") + "".join(model(f"Net{i}", custom, kind) for i in range(count))
    return src + "fn main() {" + "".join(f" let _ = Net{i}::new(1);" for i in range(count)) + " }\n"


def main():
    enforce = "--enforce" in sys.argv[1:]
    over = []
    with tempfile.TemporaryDirectory() as tmp:
        crate = pathlib.Path(tmp)
        (crate / "src").mkdir()
        (crate / "Cargo.toml").write_text(
            f'[package]\nname = "budget"\nversion = "0.1.0"\nedition = "2021"\n\n'
            f'[dependencies]\nshaped = {{ path = "{ROOT}" }}\n')
        env = dict(os.environ, CARGO_TARGET_DIR=str(crate / "target"))
        for kind, label in ((sequential, "31 layers"), (graph, "a 30-node graph"), (cnn, "a 32-layer CNN")):
            for custom in (False, True):
                for count in (1, 10):
                    main_rs = crate / "src" / "main.rs"
                    main_rs.write_text(source(count, custom, kind))
                    subprocess.run(["cargo", "check", "-q"], cwd=crate, env=env, check=True)
                    times = []
                    for _ in range(3):
                        main_rs.touch()
                        start = time.perf_counter()
                        subprocess.run(["cargo", "check", "-q"], cwd=crate, env=env, check=True)
                        times.append(time.perf_counter() - start)
                    median = sorted(times)[1]
                    what = "with a custom layer" if custom else "built-ins only"
                    print(f"{count:2} model(s) of {label}, {what}: median {median:.2f} s "
                          f"(budget {BUDGET[count]:.0f} s)", flush=True)
                    if median > 2 * BUDGET[count]:
                        over.append(f"{count} model(s) of {label}, {what}: {median:.2f} s")
    if enforce and over:
        sys.exit("over twice the compile-time budget:\n  " + "\n  ".join(over))


if __name__ == "__main__":
    main()
