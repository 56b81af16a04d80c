//! Builds a guest crate for wasm32-wasip1 into `target/guests`; shared by the test suite and the benchmarks.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds the crate at `root/manifest` (release, wasm32-wasip1) and returns the
/// directory its `.wasm` binaries land in, or the build's error output.
pub fn build_guest_crate(root: &Path, manifest: &str) -> Result<PathBuf, String> {
    let target_dir = root.join("target/guests");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["build", "--release", "--target", "wasm32-wasip1", "--manifest-path"])
        .arg(root.join(manifest))
        .arg("--target-dir")
        .arg(&target_dir)
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "building {manifest} for wasm32-wasip1 failed (the README's commands install the target):\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(target_dir.join("wasm32-wasip1/release"))
}
