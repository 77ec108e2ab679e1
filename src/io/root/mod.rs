//! anac's own ROOT file reader and writer (see ARCHITECTURE.md, "ROOT I/O").
pub mod write;
