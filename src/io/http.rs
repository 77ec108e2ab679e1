//! Files read over HTTP(S) with range requests (work in progress).
