//! ROOT compression framing: decompress a key's payload (one or more blocks) into a buffer of the
//! known uncompressed size.
//!
//! Each block starts with a 9-byte header: a 2-byte algorithm tag (`ZL` zlib, `XZ` lzma,
//! `L4` lz4 with an 8-byte xxh64 checksum of the compressed bytes, `ZS` zstd; `CS` is ROOT's old
//! private deflate, refused), one method byte, then the compressed and uncompressed block sizes as
//! 3-byte little-endian integers. Invariant: on success `out` is filled exactly, every block's
//! output has exactly its declared size, and all input is consumed.

use super::error::{Bad, bad};

/// Reusable decompressors (creating them per basket would allocate).
pub struct Decoders {
    zlib: libdeflater::Decompressor,
    zstd: Option<zstd::bulk::Decompressor<'static>>,
}

impl Default for Decoders {
    fn default() -> Self {
        Decoders {
            zlib: libdeflater::Decompressor::new(),
            zstd: None,
        }
    }
}

const HEADER: usize = 9;

fn le24(b: &[u8]) -> usize {
    b[0] as usize | (b[1] as usize) << 8 | (b[2] as usize) << 16
}

/// Decompresses `src` (a sequence of blocks) into `out`, whose length is the expected size.
pub fn decompress(dec: &mut Decoders, src: &[u8], out: &mut [u8]) -> Result<(), Bad> {
    let mut ip = 0usize;
    let mut op = 0usize;
    let mut block = 0usize;
    while op < out.len() {
        if src.len() - ip < HEADER {
            return bad!(
                "compressed block {block} header at byte {ip} is cut off (only {} bytes left, \
                 {} of {} bytes decompressed)",
                src.len() - ip,
                op,
                out.len()
            );
        }
        let h = &src[ip..ip + HEADER];
        let tag = [h[0], h[1]];
        let csize = le24(&h[3..6]);
        let usize_ = le24(&h[6..9]);
        ip += HEADER;
        if csize > src.len() - ip {
            return bad!(
                "compressed block {block} claims {csize} bytes but only {} remain",
                src.len() - ip
            );
        }
        if usize_ > out.len() - op {
            return bad!(
                "compressed block {block} decompresses to {usize_} bytes, more than the {} \
                 still expected",
                out.len() - op
            );
        }
        if usize_ == 0 {
            return bad!("compressed block {block} has an uncompressed size of 0");
        }
        let input = &src[ip..ip + csize];
        let dst = &mut out[op..op + usize_];
        let n = match &tag {
            b"ZL" => dec.zlib.zlib_decompress(input, dst).map_err(|e| {
                let what = match e {
                    libdeflater::DecompressionError::BadData => "the compressed data is corrupt",
                    libdeflater::DecompressionError::InsufficientSpace => {
                        "it decompresses to more bytes than its header declares"
                    }
                };
                Bad(format!("zlib block {block}: {what}"))
            })?,
            b"XZ" => lzma(input, dst).map_err(|e| e.context(format!("lzma block {block}")))?,
            b"L4" => {
                if input.len() < 8 {
                    return bad!("lz4 block {block} is shorter than its 8-byte checksum");
                }
                let want = u64::from_be_bytes([
                    input[0], input[1], input[2], input[3], input[4], input[5], input[6], input[7],
                ]);
                let got = xxhash_rust::xxh64::xxh64(&input[8..], 0);
                if want != got {
                    return bad!(
                        "lz4 block {block}: checksum mismatch (stored {want:#018x}, computed \
                         {got:#018x})"
                    );
                }
                lz4_flex::block::decompress_into(&input[8..], dst)
                    .map_err(|e| Bad(format!("lz4 block {block}: {e}")))?
            }
            b"ZS" => {
                if dec.zstd.is_none() {
                    dec.zstd = Some(
                        zstd::bulk::Decompressor::new()
                            .map_err(|e| Bad(format!("cannot start zstd: {e}")))?,
                    );
                }
                match dec.zstd.as_mut() {
                    Some(z) => z
                        .decompress_to_buffer(input, dst)
                        .map_err(|e| Bad(format!("zstd block {block}: {e}")))?,
                    None => return bad!("zstd decompressor unavailable"),
                }
            }
            b"CS" => {
                return bad!(
                    "block {block} uses ROOT's old private compression (CS), which is not \
                     supported"
                );
            }
            _ => {
                return bad!(
                    "block {block} has unknown compression tag {:?} (bytes {:02x} {:02x})",
                    String::from_utf8_lossy(&tag),
                    tag[0],
                    tag[1]
                );
            }
        };
        if n != usize_ {
            return bad!(
                "compressed block {block} produced {n} bytes instead of the declared {usize_}"
            );
        }
        ip += csize;
        op += usize_;
        block += 1;
    }
    Ok(())
}

fn lzma(input: &[u8], dst: &mut [u8]) -> Result<usize, Bad> {
    let mut stream = liblzma::stream::Stream::new_stream_decoder(u64::MAX, 0)
        .map_err(|e| Bad(format!("cannot start decoder: {e}")))?;
    let status = stream
        .process(input, dst, liblzma::stream::Action::Finish)
        .map_err(|e| Bad(e.to_string()))?;
    match status {
        liblzma::stream::Status::StreamEnd => Ok(stream.total_out() as usize),
        other => bad!(
            "stream did not end ({other:?}) after {} bytes",
            stream.total_out()
        ),
    }
}

/// Human name of a ROOT compression setting (`fCompress`): `ZLIB-1`, `LZ4-4`, `none`.
pub fn setting_name(fcompress: i32) -> String {
    if fcompress <= 0 {
        return "none".to_string();
    }
    let (alg, level) = (fcompress / 100, fcompress % 100);
    if level == 0 {
        return "none".to_string();
    }
    let name = match alg {
        0 | 1 => "ZLIB",
        2 => "LZMA",
        3 => "OLD",
        4 => "LZ4",
        5 => "ZSTD",
        _ => "unknown",
    };
    format!("{name}-{level}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(tag: &[u8; 2], payload: &[u8], usize_: usize) -> Vec<u8> {
        let c = payload.len();
        let mut v = vec![tag[0], tag[1], 0];
        v.extend_from_slice(&[c as u8, (c >> 8) as u8, (c >> 16) as u8]);
        v.extend_from_slice(&[usize_ as u8, (usize_ >> 8) as u8, (usize_ >> 16) as u8]);
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn zstd_and_lz4_blocks_round_trip_and_checksum_is_verified() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let z = zstd::bulk::compress(&data, 3).unwrap();
        let mut src = frame(b"ZS", &z, data.len());
        let lz = lz4_flex::block::compress(&data);
        let mut l4 = xxhash_rust::xxh64::xxh64(&lz, 0).to_be_bytes().to_vec();
        l4.extend_from_slice(&lz);
        src.extend(frame(b"L4", &l4, data.len()));
        let mut out = vec![0u8; 2 * data.len()];
        let mut dec = Decoders::default();
        decompress(&mut dec, &src, &mut out).unwrap();
        assert_eq!(&out[..5000], &data[..]);
        assert_eq!(&out[5000..], &data[..]);
        // Corrupt the lz4 checksum: must be an error naming the checksum.
        let n = src.len() - lz.len() - 1;
        src[n] ^= 1;
        let err = decompress(&mut dec, &src, &mut out).unwrap_err();
        assert!(err.0.contains("checksum"), "{}", err.0);
        // A declared size larger than the output is refused before decompressing.
        let big = frame(b"ZS", &z, 1 << 20);
        assert!(decompress(&mut dec, &big, &mut out).is_err());
        assert_eq!(setting_name(101), "ZLIB-1");
        assert_eq!(setting_name(404), "LZ4-4");
        assert_eq!(setting_name(0), "none");
    }
}
