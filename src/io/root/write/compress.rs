//! ROOT's compressed-record framing with ZLIB (algorithm 1).
//!
//! Input: an uncompressed payload. Output: the bytes stored after a key header, or `None` when
//! compression does not make the payload smaller (ROOT then stores the payload as is, and readers
//! recognise that by `fObjlen == fNbytes - fKeylen`).
//!
//! Each block is a 9-byte header — `"ZL"`, method 8 (deflate), the compressed and uncompressed sizes
//! as 3-byte little-endian numbers — followed by a zlib stream. A block holds at most 0xFFFFFF input
//! bytes, so big payloads become several blocks.

use libdeflater::{CompressionLvl, Compressor};

/// Largest input one block may hold (its size field has 3 bytes).
const MAX_BLOCK: usize = 0x00FF_FFFF;
/// ROOT's compression setting for ZLIB at level 1 (`100 * algorithm + level`).
pub const ZLIB_SETTING: i32 = 101;

/// Compresses `data` into ROOT blocks, or `None` if that would not save space.
pub fn compress(data: &[u8]) -> Option<Vec<u8>> {
    if data.is_empty() {
        return None;
    }
    let level = CompressionLvl::new(1).ok()?;
    let mut z = Compressor::new(level);
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    for chunk in data.chunks(MAX_BLOCK) {
        let bound = z.zlib_compress_bound(chunk.len());
        let mut block = vec![0u8; bound];
        let n = z.zlib_compress(chunk, &mut block).ok()?;
        if n > MAX_BLOCK {
            return None;
        }
        out.extend_from_slice(b"ZL");
        out.push(8);
        out.extend_from_slice(&(n as u32).to_le_bytes()[..3]);
        out.extend_from_slice(&(chunk.len() as u32).to_le_bytes()[..3]);
        out.extend_from_slice(&block[..n]);
    }
    (out.len() < data.len()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repetitive_data_compresses_into_one_framed_block() {
        let data = vec![7u8; 10_000];
        let out = compress(&data).unwrap();
        assert_eq!(&out[..3], b"ZL\x08");
        let csize = u32::from_le_bytes([out[3], out[4], out[5], 0]) as usize;
        let usize_ = u32::from_le_bytes([out[6], out[7], out[8], 0]) as usize;
        assert_eq!(usize_, 10_000);
        assert_eq!(csize + 9, out.len());
        let mut d = libdeflater::Decompressor::new();
        let mut back = vec![0u8; usize_];
        assert_eq!(d.zlib_decompress(&out[9..], &mut back).unwrap(), 10_000);
        assert_eq!(back, data);
    }

    #[test]
    fn incompressible_data_is_stored() {
        assert!(compress(&[1, 2, 3]).is_none());
    }
}
