//! Builds the JavaScript interpreter module (`sandboxes/js`) for wasm32-wasip1 so the library can embed it.
//!
//! The module is rebuilt whenever its sources (or the guest SDK it uses) change,
//! so a stale interpreter is never embedded. It needs the wasm32-wasip1 target and
//! Debian's clang, llvm and wasi-libc, which `.ci/setup` (run by the README's
//! commands) installs.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest as _;

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    for input in [
        "sandboxes/js/src",
        "sandboxes/js/build.rs",
        "sandboxes/js/.cargo/config.toml",
        "sandboxes/js/Cargo.toml",
        "sandboxes/js/Cargo.lock",
        "sandboxes/js/vendor",
        "guest-sdk/src",
        "guest-sdk/Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(input).display());
    }
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let built = build_interpreter(&root, &out_dir.join("sandbox-target"));
    std::fs::copy(&built, out_dir.join("sluice-js.wasm")).expect("copy the interpreter module into OUT_DIR");
    // Its hash names its cache entries (src/js.rs); hashing ~1 MiB at every start cost a cold run ~0.6 ms.
    let interpreter = std::fs::read(&built).expect("read the interpreter module");
    let hash: String = sha2::Sha256::digest(&interpreter).iter().map(|byte| format!("{byte:02x}")).collect();
    std::fs::write(out_dir.join("sluice-js.sha256"), hash).expect("write the interpreter's hash into OUT_DIR");
}

fn build_interpreter(root: &Path, target_dir: &Path) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--release", "--locked", "--target", "wasm32-wasip1", "--manifest-path"])
        .arg(root.join("sandboxes/js/Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir)
        // Its .cargo/config.toml (the target features it is built with) applies from there.
        .current_dir(root.join("sandboxes/js"))
        // QuickJS's C sources are compiled with Debian's clang against wasi-libc.
        .env("RQUICKJS_SYS_NO_WASI_SDK", "1")
        .env("CC_wasm32_wasip1", "clang")
        .env("AR_wasm32_wasip1", "llvm-ar")
        .env("CFLAGS_wasm32_wasip1", "--target=wasm32-wasi");
    // Flags meant for the host build must not leak into the guest build.
    for var in
        ["CARGO_ENCODED_RUSTFLAGS", "RUSTFLAGS", "CARGO_TARGET_DIR", "CARGO_BUILD_TARGET", "RUSTC_WORKSPACE_WRAPPER"]
    {
        command.env_remove(var);
    }
    let output = command.output().expect("cargo runs");
    if !output.status.success() {
        panic!(
            "building the JavaScript sandbox (sandboxes/js) for wasm32-wasip1 failed. It needs the wasm32-wasip1 \
             Rust target and Debian's clang, llvm and wasi-libc: run `bash .ci/setup` (the README's commands do).\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    target_dir.join("wasm32-wasip1/release/sluice-js.wasm")
}
