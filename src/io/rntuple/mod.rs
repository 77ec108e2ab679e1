//! RNTuple reader (work in progress).
