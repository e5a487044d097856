//! The edge's integration tests that need no runtime: the deployment manifest against the code.
//! (The component itself is tested under `wasmtime serve` in `system-tests/tests/`.)

mod spin_manifest;
