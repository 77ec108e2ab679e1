//! Benchmark: read the AGC branch set from a NanoAOD fileset with anac's ROOT reader, one work
//! unit per (file, cluster), with rayon at the given thread count; and a decoder-only baseline
//! that decompresses the same baskets, preloaded in memory, by calling the codecs directly
//! (libdeflater for ZLIB, zstd, lz4_flex) — the floor any reader pays.
//!
//! Usage: `cargo bench --bench read_agc -- DIR [THREADS] [REPS] [read|decode]` (DIR holds
//! `*.root` files with tree `Events`; default 1 thread, 5 repetitions, both modes). Prints one line per repetition and a median
//! line per mode, `events/s` counted over all files. Not run by `cargo test`.

use anac::io::root::{Column, RootFile, Scratch, Tree};
use rayon::prelude::*;
use std::cell::RefCell;
use std::path::PathBuf;
use std::time::Instant;

const BRANCHES: &[&str] = &[
    "nJet",
    "Jet_pt",
    "Jet_eta",
    "Jet_phi",
    "Jet_mass",
    "Jet_btagCSVV2",
    "Jet_jetId",
    "nElectron",
    "Electron_pt",
    "Electron_eta",
    "Electron_cutBased",
    "Electron_sip3d",
    "nMuon",
    "Muon_pt",
    "Muon_eta",
    "Muon_tightId",
    "Muon_sip3d",
    "Muon_pfRelIso04_all",
];

type Failure = Box<dyn std::error::Error + Send + Sync>;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

thread_local! {
    /// Per-thread buffers reused across units and passes, as the engine's worker threads keep
    /// theirs (`runtime::engine`): a `Scratch` and one column per branch.
    static BUFFERS: RefCell<(Scratch, Vec<Column>)> = RefCell::new((
        Scratch::default(),
        BRANCHES.iter().map(|_| Column::default()).collect(),
    ));
}

/// One pass of the reader over every (file, cluster) unit; returns the number of values read
/// (so the work cannot be optimised away).
fn read_pass(files: &[(RootFile, Tree)]) -> Result<u64, Failure> {
    let units: Vec<(usize, std::ops::Range<u64>)> = files
        .iter()
        .enumerate()
        .flat_map(|(i, (_, t))| t.clusters().into_iter().map(move |c| (i, c)))
        .collect();
    units
        .par_iter()
        .map(|(i, range)| -> Result<u64, Failure> {
            BUFFERS.with_borrow_mut(|(scratch, cols)| {
                let (file, tree) = &files[*i];
                let mut n = 0u64;
                for (&b, col) in BRANCHES.iter().zip(cols.iter_mut()) {
                    tree.read_into(file, b, range.clone(), col, scratch)?;
                    n += col.offsets.as_ref().map_or(1, |o| o.len() as u64);
                }
                Ok(n)
            })
        })
        .try_reduce(|| 0, |a, b| Ok(a + b))
}

/// A basket's compressed payload (key stripped) and its uncompressed size.
struct RawBasket {
    payload: Vec<u8>,
    objlen: usize,
}

fn be_u32(b: &[u8], at: usize) -> Result<u32, Failure> {
    let s = b.get(at..at + 4).ok_or("short key header")?;
    Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Reads the AGC branches' baskets (normal, not embedded ones) into memory.
fn load_baskets(files: &[(RootFile, Tree)]) -> Result<Vec<RawBasket>, Failure> {
    use std::os::unix::fs::FileExt;
    let mut out = Vec::new();
    for (file, tree) in files {
        let f = std::fs::File::open(file.path())?;
        for &b in BRANCHES {
            let info = tree.branch(b).ok_or_else(|| format!("no branch {b}"))?;
            for bk in info.baskets.iter().filter(|k| !k.embedded) {
                let mut buf = vec![0u8; bk.bytes as usize];
                f.read_exact_at(&mut buf, bk.seek)?;
                // Key header: Nbytes(4) Version(2) ObjLen(4) Datime(4) KeyLen(2) ...
                let objlen = be_u32(&buf, 6)? as usize;
                let kl = buf.get(14..16).ok_or("short key header")?;
                let keylen = u16::from_be_bytes([kl[0], kl[1]]) as usize;
                let payload = buf.get(keylen..).ok_or("key longer than basket")?.to_vec();
                out.push(RawBasket { payload, objlen });
            }
        }
    }
    Ok(out)
}

/// Decompresses one basket (ROOT blocks: 9-byte header "ZL"/"ZS"/"L4", method, 3-byte
/// compressed and uncompressed sizes) into `out`.
fn decode(
    bk: &RawBasket,
    dec: &mut libdeflater::Decompressor,
    zdec: &mut zstd::bulk::Decompressor<'static>,
    out: &mut Vec<u8>,
) -> Result<usize, Failure> {
    out.resize(bk.objlen, 0);
    if bk.payload.len() == bk.objlen {
        out.copy_from_slice(&bk.payload);
        return Ok(bk.objlen);
    }
    let (mut src, mut dst) = (0usize, 0usize);
    while dst < bk.objlen {
        let h = bk
            .payload
            .get(src..src + 9)
            .ok_or("truncated block header")?;
        let c = h[3] as usize | (h[4] as usize) << 8 | (h[5] as usize) << 16;
        let u = h[6] as usize | (h[7] as usize) << 8 | (h[8] as usize) << 16;
        let body = bk
            .payload
            .get(src + 9..src + 9 + c)
            .ok_or("truncated block")?;
        let target = out
            .get_mut(dst..dst + u)
            .ok_or("block larger than basket")?;
        let got = match &h[..2] {
            b"ZL" => dec.zlib_decompress(body, target)?,
            b"ZS" => zdec.decompress_to_buffer(body, target)?,
            b"L4" => lz4_flex::block::decompress_into(body.get(8..).ok_or("lz4 block")?, target)?,
            other => return Err(format!("codec {other:?} not in the baseline").into()),
        };
        if got != u {
            return Err("short block".into());
        }
        src += 9 + c;
        dst += u;
    }
    Ok(dst)
}

fn decode_pass(baskets: &[RawBasket]) -> Result<u64, Failure> {
    baskets
        .par_iter()
        .map_init(
            // Reused decompressors, as the reader's `Scratch` reuses them: creating a zstd
            // context per basket is not the floor.
            || {
                (
                    libdeflater::Decompressor::new(),
                    zstd::bulk::Decompressor::new(),
                    Vec::new(),
                )
            },
            |(dec, zdec, out), bk| {
                let zdec = zdec.as_mut().map_err(|e| format!("zstd: {e}"))?;
                decode(bk, dec, zdec, out).map(|n| n as u64)
            },
        )
        .try_reduce(|| 0, |a, b| Ok(a + b))
}

fn main() -> Result<(), Failure> {
    // `cargo bench` passes `--bench`; everything else is ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let dir = PathBuf::from(args.first().ok_or("usage: read_agc DIR [THREADS] [REPS]")?);
    let threads: usize = args.get(1).map_or(Ok(1), |s| s.parse())?;
    let reps: usize = args.get(2).map_or(Ok(5), |s| s.parse())?;
    // `read` or `decode` runs one mode only (for a profile of it); default both.
    let only = args.get(3).map(String::as_str);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "root"))
        .collect();
    paths.sort();
    let t_open = Instant::now();
    let files = paths
        .iter()
        .map(|p| {
            let f = RootFile::open(p)?;
            let t = f.tree("Events")?;
            Ok((f, t))
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    let open_secs = t_open.elapsed().as_secs_f64();
    let events: u64 = files.iter().map(|(_, t)| t.entries()).sum();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    println!(
        "fileset {} : {} files, {events} events, {} branches, {threads} thread(s)",
        dir.display(),
        files.len(),
        BRANCHES.len()
    );

    println!("  anac open + tree metadata: {open_secs:.3} s");

    let baskets = load_baskets(&files)?;
    let compressed: usize = baskets.iter().map(|b| b.payload.len()).sum();
    let raw: usize = baskets.iter().map(|b| b.objlen).sum();
    println!(
        "baskets: {} ({:.1} MB compressed, {:.1} MB uncompressed)",
        baskets.len(),
        compressed as f64 / 1e6,
        raw as f64 / 1e6
    );

    for (mode, pass) in [("anac-read", 0), ("decode-only", 1)] {
        if only.is_some_and(|o| !mode.contains(o)) {
            continue;
        }
        let mut rates = Vec::new();
        // One warm-up pass (page cache, allocations), then the timed repetitions.
        for rep in 0..=reps {
            let t0 = Instant::now();
            let check = pool.install(|| match pass {
                0 => read_pass(&files),
                _ => decode_pass(&baskets),
            })?;
            let secs = t0.elapsed().as_secs_f64();
            if rep > 0 {
                rates.push(events as f64 / secs);
                println!(
                    "  {mode} threads={threads} rep={rep}: {secs:.3} s, {:.0} events/s (check {check})",
                    events as f64 / secs
                );
            }
        }
        println!(
            "MEDIAN {mode} threads={threads}: {:.0} events/s",
            median(rates)
        );
    }
    Ok(())
}
