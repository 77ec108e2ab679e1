//! anac's own ROOT file reader and writer (see ARCHITECTURE.md, "ROOT I/O").
//!
//! Read side: [`ByteSource`] (where the bytes come from: a local file today) → [`RootFile`]
//! (header, directories, keys) → [`Tree`] (branches, baskets, clusters)
//! → [`Column`] (typed values of an entry range). Layers, bottom up: `cursor` (bounds-checked
//! big-endian reads), `compression` (ROOT block framing), `streamer` (version headers, object
//! pointers), `file`, `meta` (TTree/TBranch/TLeaf parsing), `kinds` (what a branch decodes to),
//! `tree`, `read` (baskets → columns), `schema` (collections for the language).
//!
//! Write side: [`write::RootWriter`] writes TH1D/TH2D and TTrees (own streamer-info records).

pub mod cache;
mod column;
mod compression;
mod cursor;
mod error;
mod file;
mod hist;
mod kinds;
mod meta;
mod read;
mod schema;
mod source;
mod streamer;
mod streamers;
#[cfg(test)]
mod tests;
mod tree;
pub mod write;

pub use column::{Column, ColumnValues, Scratch};
pub use error::{INVALID_FILE, RootError};
pub use file::{KeyInfo, RootFile};
pub use hist::Hist1;
pub use source::{ByteSource, LocalFile};
pub use tree::{BasketInfo, BranchInfo, ColumnKind, Tree};
