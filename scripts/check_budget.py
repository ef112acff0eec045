#!/usr/bin/env python3
"""Measures DESIGN §6's compile-time budget: a clean `cargo check` of a user crate holding one
30-layer model (budget: under 1 s beyond its dependencies) and ten such models (under 3 s).

Two variants: plain built-in layers (every shape known to the macro), and the worst case with a
custom layer at #2 whose output the macro cannot see (every later shape goes through the type
system and const checks). Usage: python3 scripts/check_budget.py  (from the repository root).
"""
import os, pathlib, subprocess, tempfile, time

ROOT = pathlib.Path(__file__).resolve().parent.parent
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

def model(name, custom):
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
    body = "\n        ".join(layers)
    return f"shaped::model! {{\n    pub struct {name} {{\n        {body}\n    }}\n}}\n"

def source(count, custom):
    src = (CUSTOM if custom else "") + "".join(model(f"Net{i}", custom) for i in range(count))
    return src + "fn main() {" + "".join(f" let _ = Net{i}::new(1);" for i in range(count)) + " }\n"

def main():
    with tempfile.TemporaryDirectory() as tmp:
        crate = pathlib.Path(tmp)
        (crate / "src").mkdir()
        (crate / "Cargo.toml").write_text(
            f'[package]\nname = "budget"\nversion = "0.1.0"\nedition = "2021"\n\n'
            f'[dependencies]\nshaped = {{ path = "{ROOT}" }}\n')
        env = dict(os.environ, CARGO_TARGET_DIR=str(crate / "target"))
        for custom in (False, True):
            for count in (1, 10):
                main_rs = crate / "src" / "main.rs"
                main_rs.write_text(source(count, custom))
                subprocess.run(["cargo", "check", "-q"], cwd=crate, env=env, check=True)
                times = []
                for _ in range(3):
                    main_rs.touch()
                    start = time.perf_counter()
                    subprocess.run(["cargo", "check", "-q"], cwd=crate, env=env, check=True)
                    times.append(time.perf_counter() - start)
                kind = "custom layer at #2" if custom else "built-ins only"
                print(f"{count:2} model(s) of 31 layers, {kind}: median {sorted(times)[1]:.2f} s")

if __name__ == "__main__":
    main()
