//! Reading 1-D histograms (`TH1D`, `TH1F`, `TH1I`, `TH1S`, `TH1C`) from a file's directories: what
//! `anac validate` needs to compare a bare `histograms.root` (anac's or another tool's) with a
//! reference.
//!
//! Layout (ROOT's streamer info, as uproot models it): a `TH1x` object is `[byte count] version`,
//! then its `TH1` base, then its `TArrayx` base (`fN`, then `fN` values, no header). `TH1` holds
//! `TNamed`, three attribute objects, `fNcells`, the three `TAxis` (each: `TNamed`, `TAttAxis`,
//! `fNbins`, `fXmin`, `fXmax`, `fXbins` as a `TArrayD`, then members skipped by byte count), bar
//! settings, eight statistics, `fContour` and `fSumw2` (`TArrayD`), then members skipped by byte
//! count. Every object read here carries a byte count; one that does not is refused.

use std::collections::HashSet;

use super::compression::Decoders;
use super::cursor::Cursor;
use super::error::{Bad, RootError, bad};
use super::file::{Key, RootFile};
use super::streamer::{finish, read_header, read_tnamed, skip_object};

/// A 1-D histogram as stored: cells include the underflow (first) and overflow (last) bins.
#[derive(Debug, Clone, PartialEq)]
pub struct Hist1 {
    /// `dir/name` for histograms in subdirectories.
    pub name: String,
    pub title: String,
    /// `nbins + 1` bin edges.
    pub edges: Vec<f64>,
    /// Sums of weights per cell, `nbins + 2`.
    pub sumw: Vec<f64>,
    /// Sums of squared weights per cell, when the histogram kept them (`Sumw2()`).
    pub sumw2: Option<Vec<f64>>,
    pub entries: f64,
}

fn f64_of(c: &mut Cursor) -> Result<f64, Bad> {
    Ok(f64::from_bits(c.u64()?))
}

/// A `TArrayD` member or base: `fN`, then `fN` doubles.
fn array_d(c: &mut Cursor) -> Result<Vec<f64>, Bad> {
    let n = c.i32()?;
    if n < 0 || n as usize > c.remaining() / 8 {
        return bad!("an array claims {n} doubles, more than its buffer holds");
    }
    (0..n).map(|_| f64_of(c)).collect()
}

/// The values of a `TArrayx` base of the given element class letter, as doubles.
fn array_values(c: &mut Cursor, kind: u8) -> Result<Vec<f64>, Bad> {
    let n = c.i32()?;
    let size = match kind {
        b'D' => 8,
        b'F' | b'I' => 4,
        b'S' => 2,
        _ => 1,
    };
    if n < 0 || n as usize > c.remaining() / size {
        return bad!("the bin contents claim {n} values, more than the object holds");
    }
    (0..n)
        .map(|_| {
            Ok(match kind {
                b'D' => f64_of(c)?,
                b'F' => f32::from_bits(c.u32()?) as f64,
                b'I' => c.i32()? as f64,
                b'S' => c.i16()? as f64,
                _ => c.u8()? as i8 as f64,
            })
        })
        .collect()
}

/// A header that must carry a byte count (every class read here has one since ROOT 3).
fn counted(c: &mut Cursor, what: &str) -> Result<super::streamer::Header, Bad> {
    let h = read_header(c)?;
    if h.end.is_none() {
        return bad!("{what} (version {}) has no byte count", h.version);
    }
    Ok(h)
}

/// `TAxis`: (number of bins, edges).
fn axis(c: &mut Cursor) -> Result<(usize, Vec<f64>), Bad> {
    let h = counted(c, "TAxis")?;
    read_tnamed(c)?;
    skip_object(c, None, "TAttAxis")?;
    let nbins = c.i32()?;
    let (lo, hi) = (f64_of(c)?, f64_of(c)?);
    let xbins = array_d(c)?;
    finish(c, h, "TAxis")?;
    if nbins <= 0 {
        return bad!("an axis has {nbins} bins");
    }
    let n = nbins as usize;
    let edges = if xbins.is_empty() {
        // As numpy's `linspace` (and so uproot): `lo + i * step`, the last edge exactly `hi`.
        let step = (hi - lo) / n as f64;
        (0..=n)
            .map(|i| if i == n { hi } else { lo + i as f64 * step })
            .collect()
    } else if xbins.len() == n + 1 {
        xbins
    } else {
        return bad!("an axis of {n} bins lists {} edges", xbins.len());
    };
    Ok((n, edges))
}

/// Parses a `TH1x` object (`kind` is the class's last letter).
fn parse_th1(buf: &[u8], kind: u8) -> Result<Hist1, Bad> {
    let mut c = Cursor::new(buf);
    let top = counted(&mut c, "TH1 class")?;
    let th1 = counted(&mut c, "TH1")?;
    let (name, title) = read_tnamed(&mut c)?;
    for what in ["TAttLine", "TAttFill", "TAttMarker"] {
        skip_object(&mut c, None, what)?;
    }
    let ncells = c.i32()?;
    let (nbins, edges) = axis(&mut c)?;
    axis(&mut c)?;
    axis(&mut c)?;
    let _bar_offset = c.i16()?;
    let _bar_width = c.i16()?;
    let entries = f64_of(&mut c)?;
    for _ in 0..7 {
        f64_of(&mut c)?; // fTsumw .. fNormFactor
    }
    array_d(&mut c)?; // fContour
    let sumw2 = array_d(&mut c)?;
    finish(&mut c, th1, "TH1")?;
    let sumw = array_values(&mut c, kind)?;
    finish(&mut c, top, "TH1 class")?;
    if ncells as usize != nbins + 2 || sumw.len() != nbins + 2 {
        return bad!(
            "{} bins but {ncells} cells and {} contents (expected {})",
            nbins,
            sumw.len(),
            nbins + 2
        );
    }
    let sumw2 = match sumw2.len() {
        0 => None,
        n if n == nbins + 2 => Some(sumw2),
        n => return bad!("{nbins} bins but {n} sums of squared weights"),
    };
    Ok(Hist1 {
        name,
        title,
        edges,
        sumw,
        sumw2,
        entries,
    })
}

/// The element letter of a 1-D histogram class (`TH1D` → `D`), or `None` for anything else.
fn th1_kind(class: &str) -> Option<u8> {
    match class.as_bytes() {
        [b'T', b'H', b'1', k @ (b'D' | b'F' | b'I' | b'S' | b'C')] => Some(*k),
        _ => None,
    }
}

impl RootFile {
    /// Every 1-D histogram of the file, subdirectories included (named `dir/name`), highest
    /// cycle of each name, in file order. Other objects are passed over.
    pub fn histograms_1d(&self) -> Result<Vec<Hist1>, RootError> {
        let keys = self.keys_in("")?;
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut dec = Decoders::default();
        self.collect_hists(&keys, "", 0, &mut seen, &mut dec, &mut out)?;
        Ok(out)
    }

    fn collect_hists(
        &self,
        keys: &[Key],
        prefix: &str,
        depth: usize,
        seen: &mut HashSet<u64>,
        dec: &mut Decoders,
        out: &mut Vec<Hist1>,
    ) -> Result<(), RootError> {
        for k in keys {
            let full = format!("{prefix}{}", k.name);
            if let Some(kind) = th1_kind(&k.class_name) {
                let newest = keys
                    .iter()
                    .filter(|o| o.name == k.name && th1_kind(&o.class_name).is_some())
                    .all(|o| o.cycle <= k.cycle);
                if !newest {
                    continue;
                }
                let parsed = self
                    .read_object(k, dec)
                    .and_then(|buf| parse_th1(&buf, kind))
                    .map_err(|b| {
                        b.context(format!("histogram `{full}` ({})", k.class_name))
                            .into_invalid(self.path())
                    })?;
                out.push(Hist1 {
                    name: full,
                    ..parsed
                });
            } else if matches!(k.class_name.as_str(), "TDirectory" | "TDirectoryFile")
                && depth < 32
                && seen.insert(k.seek_key)
            {
                let sub = self.keys_in(&full)?;
                self.collect_hists(&sub, &format!("{full}/"), depth + 1, seen, dec, out)?;
            }
        }
        Ok(())
    }
}
