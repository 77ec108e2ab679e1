//! Histograms as ROOT stores them: `TH1D`, `TH2D`, `TH3D`, and the profiles `TProfile` and
//! `TProfile2D`, with their axes and statistics.
//!
//! Input: [`Hist1D`] / [`Hist2D`] / [`Hist3D`] / [`Profile1D`] / [`Profile2D`] (bin contents
//! including flow bins, in ROOT's bin order). Output: the serialized object payload for a key of
//! that class.
//!
//! Invariants: contents are validated before serialization (bin counts, monotonic edges, matching
//! variance length), so the bytes always describe a consistent histogram. Drawing attributes get
//! ROOT's defaults, so a file looks as if ROOT itself had written it.

use super::WriteError;
use super::buffer::Buf;

/// Bin edges of one axis.
#[derive(Debug, Clone, PartialEq)]
pub enum AxisEdges {
    /// `n` equal bins from `low` to `high`.
    Regular { n: usize, low: f64, high: f64 },
    /// Explicit edges, strictly increasing; `edges.len() - 1` bins.
    Variable(Vec<f64>),
}

/// One histogram axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub edges: AxisEdges,
    pub title: String,
    /// Bin labels (`TAxis::SetBinLabel`), one per bin from the first, or empty for none.
    pub labels: Vec<String>,
}

impl Axis {
    /// Number of bins, not counting the two flow bins.
    pub fn bins(&self) -> usize {
        match &self.edges {
            AxisEdges::Regular { n, .. } => *n,
            AxisEdges::Variable(e) => e.len().saturating_sub(1),
        }
    }

    fn validate(&self, what: &str) -> Result<(), WriteError> {
        let bad = |msg: String| Err(WriteError::Invalid(format!("{what}: {msg}")));
        match &self.edges {
            AxisEdges::Regular { n, low, high } => {
                if *n == 0 || *n > i32::MAX as usize / 4 {
                    return bad(format!("{n} bins (need at least 1)"));
                }
                if !(low.is_finite() && high.is_finite() && low < high) {
                    return bad(format!(
                        "range [{low}, {high}] is not increasing and finite"
                    ));
                }
            }
            AxisEdges::Variable(e) => {
                if e.len() < 2 || e.len() > i32::MAX as usize / 4 {
                    return bad(format!("{} edges (need at least 2)", e.len()));
                }
                if e.iter().any(|x| !x.is_finite()) || e.windows(2).any(|w| w[0] >= w[1]) {
                    return bad("edges are not finite and strictly increasing".to_string());
                }
            }
        }
        Ok(())
    }

    fn range(&self) -> (f64, f64) {
        match &self.edges {
            AxisEdges::Regular { low, high, .. } => (*low, *high),
            AxisEdges::Variable(e) => (e[0], e[e.len() - 1]),
        }
    }
}

/// A one-dimensional histogram of doubles (`TH1D`).
#[derive(Debug, Clone, PartialEq)]
pub struct Hist1D {
    pub name: String,
    pub title: String,
    pub x: Axis,
    /// Sum of weights per bin, `n + 2` values: underflow, the bins, overflow.
    pub sumw: Vec<f64>,
    /// Sum of squared weights per bin (same length as `sumw`), or empty when the histogram was
    /// filled without weights and errors are `sqrt(content)`.
    pub sumw2: Vec<f64>,
    pub entries: f64,
    pub tsumw: f64,
    pub tsumw2: f64,
    pub tsumwx: f64,
    pub tsumwx2: f64,
}

/// A two-dimensional histogram of doubles (`TH2D`).
#[derive(Debug, Clone, PartialEq)]
pub struct Hist2D {
    pub name: String,
    pub title: String,
    pub x: Axis,
    pub y: Axis,
    /// `(nx + 2) * (ny + 2)` values in ROOT order: bin `(ix, iy)` at `ix + (nx + 2) * iy`, where
    /// index 0 is the underflow and `n + 1` the overflow of each axis.
    pub sumw: Vec<f64>,
    /// Same layout as `sumw`, or empty (see [`Hist1D::sumw2`]).
    pub sumw2: Vec<f64>,
    pub entries: f64,
    pub tsumw: f64,
    pub tsumw2: f64,
    pub tsumwx: f64,
    pub tsumwx2: f64,
    pub tsumwy: f64,
    pub tsumwy2: f64,
    pub tsumwxy: f64,
}

/// A three-dimensional histogram of doubles (`TH3D`).
#[derive(Debug, Clone, PartialEq)]
pub struct Hist3D {
    pub name: String,
    pub title: String,
    pub x: Axis,
    pub y: Axis,
    pub z: Axis,
    /// `(nx + 2) * (ny + 2) * (nz + 2)` values in ROOT order: bin `(ix, iy, iz)` at
    /// `ix + (nx + 2) * (iy + (ny + 2) * iz)`.
    pub sumw: Vec<f64>,
    /// Same layout as `sumw`, or empty (see [`Hist1D::sumw2`]).
    pub sumw2: Vec<f64>,
    pub entries: f64,
    pub tsumw: f64,
    pub tsumw2: f64,
}

/// Statistics shared by every dimension, in `TH1`'s member order.
struct Stats {
    entries: f64,
    tsumw: f64,
    tsumw2: f64,
    tsumwx: f64,
    tsumwx2: f64,
}

fn check_cells(name: &str, sumw: &[f64], sumw2: &[f64], cells: usize) -> Result<(), WriteError> {
    if name.is_empty() {
        return Err(WriteError::Invalid("a histogram needs a name".into()));
    }
    if sumw.len() != cells {
        return Err(WriteError::Invalid(format!(
            "histogram {name}: {} bin contents, expected {cells} (bins plus flow bins)",
            sumw.len()
        )));
    }
    if !sumw2.is_empty() && sumw2.len() != cells {
        return Err(WriteError::Invalid(format!(
            "histogram {name}: {} variances, expected {cells} or none",
            sumw2.len()
        )));
    }
    Ok(())
}

/// A one-dimensional profile (`TProfile`): per bin the mean of a value y. `hist` holds Σw·y as
/// its contents (`sumw`) and Σw·y² as its squared errors (`sumw2`); the statistics are those of
/// the fills' weights (fTsumw, fTsumw2 over the in-range bins).
#[derive(Debug, Clone, PartialEq)]
pub struct Profile1D {
    pub hist: Hist1D,
    /// Σw per bin (ROOT's fBinEntries), same layout as the contents.
    pub bin_entries: Vec<f64>,
    /// Σw² per bin (fBinSumw2).
    pub bin_sumw2: Vec<f64>,
    /// Σw·y and Σw·y² over the in-range bins.
    pub tsumwy: f64,
    pub tsumwy2: f64,
}

/// A two-dimensional profile (`TProfile2D`), as [`Profile1D`] over a [`Hist2D`] (the averaged
/// value is ROOT's z).
#[derive(Debug, Clone, PartialEq)]
pub struct Profile2D {
    pub hist: Hist2D,
    pub bin_entries: Vec<f64>,
    pub bin_sumw2: Vec<f64>,
    pub tsumwz: f64,
    pub tsumwz2: f64,
}

/// The members a profile class adds to its histogram base, in streaming order.
fn profile_tail(
    b: &mut Buf,
    name: &str,
    cells: usize,
    entries: &[f64],
    sumw2: &[f64],
    moments: [f64; 2],
) -> Result<(), WriteError> {
    for (what, v) in [
        ("bin entries", entries),
        ("bin sums of squared weights", sumw2),
    ] {
        if v.len() != cells {
            return Err(WriteError::Invalid(format!(
                "profile {name}: {} {what}, expected {cells}",
                v.len()
            )));
        }
    }
    b.array_f64(entries); // fBinEntries
    b.i32(0); // fErrorMode: kERRORMEAN (the error of the mean)
    b.f64(0.0); // fYmin / fZmin: no limits on the averaged value
    b.f64(0.0); // fYmax / fZmax
    b.f64(moments[0]); // fTsumwy / fTsumwz
    b.f64(moments[1]); // fTsumwy2 / fTsumwz2
    b.array_f64(sumw2); // fBinSumw2
    Ok(())
}

/// Serializes a `TProfile` payload for a key of `keylen` bytes.
pub fn tprofile(p: &Profile1D, keylen: u32) -> Result<Vec<u8>, WriteError> {
    let mut b = Buf::new(keylen);
    let top = b.begin_section(7);
    let cells = th1d_into(&mut b, &p.hist)?;
    let (e, w2) = (&p.bin_entries, &p.bin_sumw2);
    profile_tail(&mut b, &p.hist.name, cells, e, w2, [p.tsumwy, p.tsumwy2])?;
    b.end_section(top);
    Ok(b.data)
}

/// Serializes a `TProfile2D` payload for a key of `keylen` bytes.
pub fn tprofile2d(p: &Profile2D, keylen: u32) -> Result<Vec<u8>, WriteError> {
    let mut b = Buf::new(keylen);
    let top = b.begin_section(8);
    let cells = th2d_into(&mut b, &p.hist)?;
    let (e, w2) = (&p.bin_entries, &p.bin_sumw2);
    profile_tail(&mut b, &p.hist.name, cells, e, w2, [p.tsumwz, p.tsumwz2])?;
    b.end_section(top);
    Ok(b.data)
}

/// Serializes a `TH1D` payload for a key of `keylen` bytes.
pub fn th1d(h: &Hist1D, keylen: u32) -> Result<Vec<u8>, WriteError> {
    let mut b = Buf::new(keylen);
    th1d_into(&mut b, h)?;
    Ok(b.data)
}

/// Writes a `TH1D` (its own section) into `b`; returns its cell count.
fn th1d_into(b: &mut Buf, h: &Hist1D) -> Result<usize, WriteError> {
    h.x.validate(&format!("histogram {} x axis", h.name))?;
    let cells = h.x.bins() + 2;
    check_cells(&h.name, &h.sumw, &h.sumw2, cells)?;
    let top = b.begin_section(3);
    let stats = Stats {
        entries: h.entries,
        tsumw: h.tsumw,
        tsumw2: h.tsumw2,
        tsumwx: h.tsumwx,
        tsumwx2: h.tsumwx2,
    };
    th1(
        b,
        &h.name,
        &h.title,
        [&h.x, &unit_axis(), &unit_axis()],
        cells,
        &stats,
        &h.sumw2,
    );
    b.array_f64(&h.sumw);
    b.end_section(top);
    Ok(cells)
}

/// Serializes a `TH2D` payload for a key of `keylen` bytes.
pub fn th2d(h: &Hist2D, keylen: u32) -> Result<Vec<u8>, WriteError> {
    let mut b = Buf::new(keylen);
    th2d_into(&mut b, h)?;
    Ok(b.data)
}

/// Writes a `TH2D` (its own section) into `b`; returns its cell count.
fn th2d_into(b: &mut Buf, h: &Hist2D) -> Result<usize, WriteError> {
    h.x.validate(&format!("histogram {} x axis", h.name))?;
    h.y.validate(&format!("histogram {} y axis", h.name))?;
    let cells = (h.x.bins() + 2)
        .checked_mul(h.y.bins() + 2)
        .filter(|&c| c < i32::MAX as usize / 8)
        .ok_or_else(|| WriteError::Invalid(format!("histogram {}: too many bins", h.name)))?;
    check_cells(&h.name, &h.sumw, &h.sumw2, cells)?;
    let top = b.begin_section(4);
    let th2 = b.begin_section(5);
    let stats = Stats {
        entries: h.entries,
        tsumw: h.tsumw,
        tsumw2: h.tsumw2,
        tsumwx: h.tsumwx,
        tsumwx2: h.tsumwx2,
    };
    th1(
        b,
        &h.name,
        &h.title,
        [&h.x, &h.y, &unit_axis()],
        cells,
        &stats,
        &h.sumw2,
    );
    b.f64(1.0); // fScalefactor
    b.f64(h.tsumwy);
    b.f64(h.tsumwy2);
    b.f64(h.tsumwxy);
    b.end_section(th2);
    b.array_f64(&h.sumw);
    b.end_section(top);
    Ok(cells)
}

/// Serializes a `TH3D` payload for a key of `keylen` bytes. The moments of the axes' values
/// (fTsumwx, ...) are written as 0, as for [`th2d`]: the contents carry the information.
pub fn th3d(h: &Hist3D, keylen: u32) -> Result<Vec<u8>, WriteError> {
    h.x.validate(&format!("histogram {} x axis", h.name))?;
    h.y.validate(&format!("histogram {} y axis", h.name))?;
    h.z.validate(&format!("histogram {} z axis", h.name))?;
    let cells = (h.x.bins() + 2)
        .checked_mul(h.y.bins() + 2)
        .and_then(|c| c.checked_mul(h.z.bins() + 2))
        .filter(|&c| c < i32::MAX as usize / 8)
        .ok_or_else(|| WriteError::Invalid(format!("histogram {}: too many bins", h.name)))?;
    check_cells(&h.name, &h.sumw, &h.sumw2, cells)?;
    let mut b = Buf::new(keylen);
    let top = b.begin_section(4); // TH3D
    let th3 = b.begin_section(6); // TH3
    let stats = Stats {
        entries: h.entries,
        tsumw: h.tsumw,
        tsumw2: h.tsumw2,
        tsumwx: 0.0,
        tsumwx2: 0.0,
    };
    th1(
        &mut b,
        &h.name,
        &h.title,
        [&h.x, &h.y, &h.z],
        cells,
        &stats,
        &h.sumw2,
    );
    let att3d = b.begin_section(1); // TAtt3D: no members
    b.end_section(att3d);
    for _ in 0..7 {
        b.f64(0.0); // fTsumwy, fTsumwy2, fTsumwxy, fTsumwz, fTsumwz2, fTsumwxz, fTsumwyz
    }
    b.end_section(th3);
    b.array_f64(&h.sumw);
    b.end_section(top);
    Ok(b.data)
}

/// The axis ROOT gives unused dimensions: one bin over [0, 1].
fn unit_axis() -> Axis {
    Axis {
        edges: AxisEdges::Regular {
            n: 1,
            low: 0.0,
            high: 1.0,
        },
        title: String::new(),
        labels: Vec::new(),
    }
}

/// The `TH1` base section shared by all histogram classes.
fn th1(
    b: &mut Buf,
    name: &str,
    title: &str,
    axes: [&Axis; 3],
    cells: usize,
    s: &Stats,
    sumw2: &[f64],
) {
    let sec = b.begin_section(8);
    b.tnamed(name, title, 0);
    att_line(b);
    att_fill(b);
    let marker = b.begin_section(3);
    b.i16(1); // fMarkerColor
    b.i16(1); // fMarkerStyle
    b.f32(1.0); // fMarkerSize
    b.end_section(marker);
    b.i32(cells as i32);
    for (axis, name) in axes.into_iter().zip(["xaxis", "yaxis", "zaxis"]) {
        t_axis(b, name, axis);
    }
    b.i16(0); // fBarOffset
    b.i16(1000); // fBarWidth
    for v in [s.entries, s.tsumw, s.tsumw2, s.tsumwx, s.tsumwx2] {
        b.f64(v);
    }
    b.f64(-1111.0); // fMaximum: ROOT's "not set"
    b.f64(-1111.0); // fMinimum
    b.f64(0.0); // fNormFactor
    b.array_f64(&[]); // fContour
    b.array_f64(sumw2);
    b.tstring(""); // fOption
    // fFunctions: an empty TList, stored in place because the pointer is never null.
    let list = b.begin_section(5);
    b.tobject(0);
    b.tstring("");
    b.i32(0);
    b.end_section(list);
    b.i32(0); // fBufferSize
    b.u8(0); // fBuffer: no array follows
    b.i32(0); // fBinStatErrOpt: kNormal
    b.i32(2); // fStatOverflows: kNeutral (follow the global setting)
    b.end_section(sec);
}

/// `TAttLine` with ROOT's histogram defaults (color 602, solid, width 1).
pub fn att_line(b: &mut Buf) {
    let s = b.begin_section(2);
    b.i16(602);
    b.i16(1);
    b.i16(1);
    b.end_section(s);
}

/// `TAttFill` with ROOT's defaults (no color, solid style 1001).
pub fn att_fill(b: &mut Buf) {
    let s = b.begin_section(2);
    b.i16(0);
    b.i16(1001);
    b.end_section(s);
}

fn t_axis(b: &mut Buf, name: &str, axis: &Axis) {
    let sec = b.begin_section(10);
    b.tnamed(name, &axis.title, 0);
    let att = b.begin_section(4);
    b.i32(510); // fNdivisions
    b.i16(1); // fAxisColor
    b.i16(1); // fLabelColor
    b.i16(42); // fLabelFont
    b.f32(0.005); // fLabelOffset
    b.f32(0.035); // fLabelSize
    b.f32(0.03); // fTickLength
    b.f32(1.0); // fTitleOffset
    b.f32(0.035); // fTitleSize
    b.i16(1); // fTitleColor
    b.i16(42); // fTitleFont
    b.end_section(att);
    let (low, high) = axis.range();
    b.i32(axis.bins() as i32);
    b.f64(low);
    b.f64(high);
    match &axis.edges {
        AxisEdges::Regular { .. } => b.array_f64(&[]),
        AxisEdges::Variable(e) => b.array_f64(e),
    }
    b.i32(0); // fFirst
    b.i32(0); // fLast
    b.u16(0); // fBits2
    b.bool(false); // fTimeDisplay
    b.tstring(""); // fTimeFormat
    if axis.labels.is_empty() {
        b.null_pointer(); // fLabels
    } else {
        // A THashList of TObjStrings whose unique id is the bin number, as SetBinLabel makes.
        let (list, _) = b.begin_pointer("THashList");
        let v = b.begin_section(5); // TList's streamer
        b.tobject(0);
        b.tstring("");
        b.i32(axis.labels.len() as i32);
        for (i, label) in axis.labels.iter().enumerate() {
            let (obj, _) = b.begin_pointer("TObjString");
            let o = b.begin_section(1);
            // TObject: version, fUniqueID = the bin, fBits.
            b.i16(1);
            b.u32(i as u32 + 1);
            b.u32(0x0300_0000);
            b.tstring(label);
            b.end_section(o);
            b.end_pointer(obj);
            b.u8(0); // the option string: empty
        }
        b.end_section(v);
        b.end_pointer(list);
    }
    b.null_pointer(); // fModLabs
    b.end_section(sec);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h1() -> Hist1D {
        Hist1D {
            name: "h".into(),
            title: "t".into(),
            x: Axis {
                edges: AxisEdges::Regular {
                    n: 2,
                    low: 0.0,
                    high: 1.0,
                },
                title: "x".into(),
                labels: Vec::new(),
            },
            sumw: vec![0.0, 1.0, 2.0, 0.0],
            sumw2: vec![],
            entries: 3.0,
            tsumw: 3.0,
            tsumw2: 3.0,
            tsumwx: 1.0,
            tsumwx2: 1.0,
        }
    }

    #[test]
    fn wrong_bin_count_is_an_error() {
        let mut h = h1();
        h.sumw.pop();
        let e = th1d(&h, 40).unwrap_err().to_string();
        assert!(e.contains("3 bin contents, expected 4"), "{e}");
    }

    #[test]
    fn decreasing_edges_are_an_error() {
        let mut h = h1();
        h.x.edges = AxisEdges::Variable(vec![0.0, 2.0, 1.0]);
        h.sumw = vec![0.0; 4];
        assert!(th1d(&h, 40).is_err());
    }

    #[test]
    fn payload_ends_with_the_contents_array() {
        let h = h1();
        let p = th1d(&h, 40).unwrap();
        let tail = &p[p.len() - 36..];
        assert_eq!(&tail[..4], &4i32.to_be_bytes());
        assert_eq!(&tail[4 + 16..4 + 24], &2.0f64.to_be_bytes());
    }
}
