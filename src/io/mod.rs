//! Everything that touches files: ROOT read/write, the samples YAML, and (later) UHI JSON and plots.

pub mod canvas;
pub mod dataset;
pub mod http;
#[cfg(feature = "icechunk")]
pub mod icechunk;
pub mod outputs;
pub mod plots;
pub mod rntuple;
pub mod root;
pub mod samples;
pub mod schema;
pub mod text;
pub mod toy;
pub mod yaml;
