//! A tree's public metadata: its leaf branches flattened in file order, what each decodes to,
//! its baskets (free and embedded), and its clusters.
//!
//! Input: [`RawTree`] from `meta`. Output: [`Tree`] (cheap to clone, `Send + Sync`). Invariant:
//! each branch's baskets are sorted, contiguous and cover exactly `[0, branch entries)`, checked
//! here once so reading never has to guess.

use super::compression::setting_name;
use super::error::{Bad, RootError};
use super::file::RootFile;
use super::meta::{EmbeddedBasket, RawBranch, RawTree, parse_tree};
use crate::io::schema::{ScalarType, Shape};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

/// One basket of a branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasketInfo {
    pub entry_start: u64,
    pub entry_stop: u64,
    /// File offset of the basket key (0 for embedded baskets).
    pub seek: u64,
    /// Bytes on disk (key + compressed data), or the data size of an embedded basket.
    pub bytes: u32,
    /// Stored inside the TTree metadata rather than as its own key.
    pub embedded: bool,
}

/// What a branch decodes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnKind {
    pub ty: ScalarType,
    pub shape: Shape,
    /// The counter branch of a `T[n]` array.
    pub counter: Option<String>,
}

/// A leaf branch of a tree.
#[derive(Debug, Clone)]
pub struct BranchInfo {
    pub name: String,
    /// C++ type: `Float_t[nJet]`, `Int_t`, `vector<float>`, `char*`.
    pub type_name: String,
    /// Err(reason) when this reader cannot decode the branch.
    pub kind: Result<ColumnKind, String>,
    /// Whether `kind` is an Err because the file is damaged (an inconsistent basket table,
    /// unreadable streamer info) rather than because the layout is unsupported.
    pub damaged: bool,
    pub compressed_bytes: u64,
    pub uncompressed_bytes: u64,
    pub baskets: Vec<BasketInfo>,
    /// e.g. `ZLIB-1`, `LZ4-4`, `none`.
    pub compression: String,
    /// The dimensions of a fixed array of three or more (`c[2][3][4]/F` → [2, 3, 4]), whose
    /// values are read flat (`Shape::Fixed` of their product) in row-major order, the last
    /// index fastest; empty for every other branch (`m[2][3]` keeps its shape as a list of
    /// rows).
    pub dims: Vec<usize>,
}

/// How the bytes of one entry are laid out (internal counterpart of [`ColumnKind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `n` values per entry, no per-entry header (scalars n = 1, fixed arrays).
    Fixed { ty: ScalarType, n: usize },
    /// A two-dimensional fixed array (`m[2][3]/D`): `rows × cols` values per entry, given as a
    /// list of `rows` lists of `cols` values (the shape of a `Jagged2` column).
    Fixed2 {
        ty: ScalarType,
        rows: usize,
        cols: usize,
    },
    /// Variable count per entry; `header` bytes before the values (10 for a streamed
    /// `std::vector`: byte count, version, size).
    Jagged { ty: ScalarType, header: usize },
    /// `std::vector<std::vector<T>>`.
    Jagged2 { ty: ScalarType },
    /// Length-prefixed strings (`char*`, `std::string`).
    Str,
    /// A `std::string` member of a split object: a 6-byte header (byte count, version), then
    /// the length-prefixed string, per entry.
    MemberStr,
    /// `std::vector<std::string>`: a vector header, then length-prefixed strings.
    StrList,
    /// One leaf of a leaf list (`x/F:y/F:n/I`): `n` values at byte `offset` of every entry's
    /// `stride`-byte record.
    Member {
        ty: ScalarType,
        n: usize,
        offset: usize,
        stride: usize,
    },
    /// `Double32_t` / `Float16_t` leaves, decoded to `ty` (f64 / f32): `n` values per entry,
    /// or a counter-sized array when `jagged`.
    Packed {
        enc: Packed,
        ty: ScalarType,
        n: usize,
        jagged: bool,
    },
}

/// How a `Double32_t` or `Float16_t` value is stored (ROOT's `TBufferFile::WriteDouble32` and
/// `WriteFloat16`; read as ROOT reads them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Packed {
    /// A big-endian `float` (Double32_t without a range).
    F32,
    /// A big-endian `uint32` `r`: the value is `low + r / (2^bits / (high - low))`.
    Range { low: f64, high: f64, bits: u32 },
    /// An exponent byte and a 16-bit mantissa of `bits` bits (no range, or `[0, 0, bits]`).
    Truncated { bits: u32 },
}

/// The range bounds are finite (checked when the title is read), so equality is reflexive.
impl Eq for Packed {}

impl Packed {
    /// Bytes per stored value.
    pub(crate) fn size(self) -> usize {
        match self {
            Packed::F32 | Packed::Range { .. } => 4,
            Packed::Truncated { .. } => 3,
        }
    }

    /// The value of one stored item (`b` holds [`Packed::size`] bytes).
    pub(crate) fn value(self, b: &[u8]) -> f64 {
        match self {
            Packed::F32 => f32::from_be_bytes([b[0], b[1], b[2], b[3]]) as f64,
            Packed::Range { low, high, bits } => {
                let raw = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                // As ROOT reads it (`TBufferFile::ReadWithFactor`): raw / factor + low, with
                // factor = 2^bits / (high - low) and 2^32 - 1 for 32 bits. (uproot multiplies
                // by the inverse: the last bit may differ for ranges like [-pi, pi].)
                let steps = if bits < 32 {
                    (1u64 << bits) as f64
                } else {
                    u32::MAX as f64
                };
                raw as f64 / (steps / (high - low)) + low
            }
            Packed::Truncated { bits } => {
                let exponent = b[0] as u32;
                let mantissa = u16::from_be_bytes([b[1], b[2]]) as u32;
                let mask = (1u32 << (bits + 1)) - 1;
                let word = (exponent << 23) | ((mantissa & mask) << (23 - bits));
                let sign = if mantissa & (1 << (bits + 1)) != 0 {
                    -1.0
                } else {
                    1.0
                };
                (f32::from_bits(word) * sign) as f64
            }
        }
    }
}

#[derive(Debug)]
pub(crate) struct BranchData {
    pub layout: Option<Layout>,
    /// Baskets embedded in the metadata, by index into `BranchInfo::baskets`.
    pub embedded: HashMap<usize, EmbeddedBasket>,
}

#[derive(Debug)]
pub(crate) struct TreeInner {
    pub name: String,
    pub entries: u64,
    pub branches: Vec<BranchInfo>,
    pub data: Vec<BranchData>,
    pub index: HashMap<String, usize>,
    pub clusters: Vec<Range<u64>>,
}

/// A TTree's metadata; read data with [`Tree::read`].
#[derive(Debug, Clone)]
pub struct Tree {
    pub(crate) inner: Arc<TreeInner>,
}

impl RootFile {
    /// The tree `name` (`dir/name` for trees in subdirectories), highest cycle.
    pub fn tree(&self, name: &str) -> Result<Tree, RootError> {
        let key = self.tree_key(name)?;
        let mut dec = super::compression::Decoders::default();
        let ctx = |b: Bad| {
            b.context(format!("tree `{name}`"))
                .into_invalid(self.path())
        };
        let buf = self.read_object(&key, &mut dec).map_err(ctx)?;
        let raw = parse_tree(&buf, key.keylen as usize, &key.class_name).map_err(ctx)?;
        // Only members of split objects need the streamer info; read it only then.
        let needs_streamers = raw.branches.iter().any(|b| {
            b.element
                .as_ref()
                .is_some_and(|e| matches!(e.streamer_type, 9 | 19 | 300))
        });
        let classes = if needs_streamers {
            self.streamer_classes()
        } else {
            Err("not read".to_string())
        };
        let classes = classes.as_deref().map_err(|e| e.as_str());
        build(raw, name, self.compression(), classes).map_err(ctx)
    }
}

fn build(
    raw: RawTree,
    name: &str,
    file_compress: i32,
    classes: Result<&super::streamers::Classes, &str>,
) -> Result<Tree, Bad> {
    if raw.entries < 0 {
        return Err(Bad(format!("negative entry count {}", raw.entries)));
    }
    let entries = raw.entries as u64;
    let mut order = Vec::new();
    let mut stack: Vec<(usize, usize)> = raw.top.iter().rev().map(|&b| (b, 0)).collect();
    let mut seen = vec![false; raw.branches.len()];
    while let Some((b, depth)) = stack.pop() {
        if b >= raw.branches.len() || seen[b] || depth > 64 {
            continue;
        }
        seen[b] = true;
        let br = &raw.branches[b];
        if br.children.is_empty() {
            order.push(b);
        } else {
            for &ch in br.children.iter().rev() {
                stack.push((ch, depth + 1));
            }
        }
    }
    let mut branches = Vec::with_capacity(order.len());
    let mut data = Vec::with_capacity(order.len());
    let mut index = HashMap::new();
    for &b in &order {
        let br = &raw.branches[b];
        let members = super::kinds::leaf_list(&raw, b);
        let (type_name, mut kind, mut layout) = match &members {
            Some(Ok(m)) => {
                let names: Vec<String> = m
                    .iter()
                    .map(|(n, ..)| format!("`{}.{n}`", br.name))
                    .collect();
                (
                    br.title.clone(),
                    Err(format!(
                        "a leaf list: the reader gives its leaves as {} (`anac inspect \
                         --scan` shows them); analyses cannot name them yet",
                        names.join(", ")
                    )),
                    None,
                )
            }
            Some(Err(why)) => (br.title.clone(), Err(why.clone()), None),
            None => super::kinds::classify(&raw, b, classes),
        };
        // A branch whose basket table is inconsistent is refused alone; the tree still opens.
        let mut damaged = matches!(&kind, Err(r) if r.starts_with(super::kinds::NO_STREAMER_INFO));
        let (baskets, embedded) = match basket_table(br, entries) {
            Ok(t) => t,
            Err(e) => {
                damaged = true;
                kind = Err(format!("its basket table is invalid: {}", e.0));
                layout = None;
                (Vec::new(), HashMap::new())
            }
        };
        let compress = if br.compress < 0 {
            file_compress
        } else {
            br.compress
        };
        index.entry(br.name.clone()).or_insert(branches.len());
        branches.push(BranchInfo {
            name: br.name.clone(),
            type_name,
            kind,
            damaged,
            compressed_bytes: br.zip_bytes.max(0) as u64,
            uncompressed_bytes: br.tot_bytes.max(0) as u64,
            baskets,
            compression: setting_name(compress),
            dims: super::kinds::fixed_dims(&raw, b),
        });
        data.push(BranchData { layout, embedded });
        // The leaves of a leaf list: one branch each, `branch.leaf`, sharing its baskets.
        if let Some(Ok(members)) = members {
            let parent = branches.len() - 1;
            let table_ok = basket_table(br, entries).is_ok();
            for (leaf, type_name, member_kind, member_layout) in members {
                let name = format!("{}.{leaf}", br.name);
                index.entry(name.clone()).or_insert(branches.len());
                let p = &branches[parent];
                let info = BranchInfo {
                    name,
                    type_name,
                    kind: if table_ok {
                        Ok(member_kind)
                    } else {
                        Err("its branch's basket table is invalid".into())
                    },
                    damaged: !table_ok,
                    compressed_bytes: p.compressed_bytes,
                    uncompressed_bytes: p.uncompressed_bytes,
                    baskets: p.baskets.clone(),
                    compression: p.compression.clone(),
                    dims: Vec::new(),
                };
                branches.push(info);
                let embedded = data[parent].embedded.clone();
                data.push(BranchData {
                    layout: Some(member_layout),
                    embedded,
                });
            }
        }
    }
    let clusters = clusters(&raw, entries, &branches);
    Ok(Tree {
        inner: Arc::new(TreeInner {
            name: name.to_string(),
            entries,
            branches,
            data,
            index,
            clusters,
        }),
    })
}

/// Free baskets from the fBasket* tables, then the embedded ones, checked to tile
/// `[0, entries)` of the branch, which must cover the tree's entries (it may hold more).
fn basket_table(
    br: &RawBranch,
    tree_entries: u64,
) -> Result<(Vec<BasketInfo>, HashMap<usize, EmbeddedBasket>), Bad> {
    let n = br.write_basket as usize;
    if br.basket_bytes.len() < n || br.basket_entry.len() < n || br.basket_seek.len() < n {
        return Err(Bad(format!(
            "basket tables are shorter than the {n} written baskets"
        )));
    }
    let mut out = Vec::with_capacity(n + br.embedded.len());
    let mut next = 0u64;
    for i in 0..n {
        let start = br.basket_entry[i];
        let stop = if i + 1 < br.basket_entry.len() {
            br.basket_entry[i + 1]
        } else {
            br.entries
        };
        let (seek, bytes) = (br.basket_seek[i], br.basket_bytes[i]);
        if start < 0 || stop < start || start as u64 != next || seek <= 0 || bytes <= 0 {
            return Err(Bad(format!(
                "basket {i} has an invalid table entry (entries {start}..{stop}, expected \
                 start {next}; seek {seek}; {bytes} bytes)"
            )));
        }
        next = stop as u64;
        out.push(BasketInfo {
            entry_start: start as u64,
            entry_stop: stop as u64,
            seek: seek as u64,
            bytes: bytes as u32,
            embedded: false,
        });
    }
    let mut embedded = HashMap::new();
    for b in &br.embedded {
        if b.nevbuf == 0 {
            continue;
        }
        let stop = next + b.nevbuf as u64;
        embedded.insert(out.len(), b.clone());
        out.push(BasketInfo {
            entry_start: next,
            entry_stop: stop,
            seek: 0,
            bytes: b.data.len() as u32,
            embedded: true,
        });
        next = stop;
    }
    if br.entries < 0 || next != br.entries as u64 {
        return Err(Bad(format!(
            "baskets hold {next} entries but the branch has {}",
            br.entries
        )));
    }
    // A branch filled on its own (`TBranch::Fill`) past the tree's `SetEntries` holds more
    // entries than the tree: ROOT reads the tree's entries and so does this reader (reads are
    // bounded by the tree's entry count). Fewer entries than the tree cannot be read.
    if next < tree_entries {
        return Err(Bad(format!(
            "branch has {next} entries but the tree has {tree_entries}"
        )));
    }
    Ok((out, embedded))
}

/// Cluster ranges: from fClusterRangeEnd/fClusterSize, then fAutoFlush; when the tree records
/// no entry-based clustering, the entry boundaries shared by all branches' baskets.
fn clusters(raw: &RawTree, entries: u64, branches: &[BranchInfo]) -> Vec<Range<u64>> {
    let mut out = Vec::new();
    let mut start = 0u64;
    let push_steps = |from: &mut u64, until: u64, size: u64, out: &mut Vec<Range<u64>>| {
        while *from < until && size > 0 {
            let stop = (*from + size).min(until);
            out.push(*from..stop);
            *from = stop;
        }
    };
    for (i, &end) in raw.cluster_range_end.iter().enumerate() {
        let until = ((end + 1).max(0) as u64).min(entries);
        let size = raw.cluster_size.get(i).copied().unwrap_or(0);
        let size = if size > 0 { size } else { raw.auto_flush };
        if size <= 0 {
            break;
        }
        push_steps(&mut start, until, size as u64, &mut out);
    }
    if raw.auto_flush > 0 {
        push_steps(&mut start, entries, raw.auto_flush as u64, &mut out);
    }
    if start < entries {
        // Boundaries common to every branch (a cluster never splits a basket of any branch).
        let mut common: Option<Vec<u64>> = None;
        for b in branches {
            let ends: Vec<u64> = b
                .baskets
                .iter()
                .map(|k| k.entry_stop)
                .filter(|&e| e > start && e < entries)
                .collect();
            common = Some(match common {
                None => ends,
                Some(c) => c
                    .into_iter()
                    .filter(|e| ends.binary_search(e).is_ok())
                    .collect(),
            });
        }
        // Zero-entry baskets repeat a boundary: each cluster is pushed once, never empty.
        for e in common.into_iter().flatten() {
            if e > start {
                out.push(start..e);
                start = e;
            }
        }
        out.push(start..entries);
    }
    out
}

impl Tree {
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    pub fn entries(&self) -> u64 {
        self.inner.entries
    }

    pub fn branches(&self) -> &[BranchInfo] {
        &self.inner.branches
    }

    pub fn branch(&self, name: &str) -> Option<&BranchInfo> {
        self.inner.index.get(name).map(|&i| &self.inner.branches[i])
    }

    pub fn clusters(&self) -> Vec<Range<u64>> {
        self.inner.clusters.clone()
    }

    pub fn schema(&self) -> crate::io::schema::TreeSchema {
        super::schema::schema_of(self)
    }

    /// File byte ranges of the baskets (keys included) that reading `names` over `entries`
    /// touches, sorted and merged; embedded baskets and unknown names add nothing. A counter
    /// array's counter branch is added over its baskets' whole entry spans: a basket written
    /// without entry offsets takes its sizes from there.
    pub fn byte_ranges(&self, names: &[&str], entries: Range<u64>) -> Vec<Range<u64>> {
        let mut out = Vec::new();
        let mut add = |b: &BranchInfo, span: &Range<u64>| {
            for k in &b.baskets {
                if k.embedded || k.entry_stop <= span.start || k.entry_start >= span.end {
                    continue;
                }
                out.push(k.seek..k.seek + u64::from(k.bytes));
            }
        };
        for name in names {
            let Some(b) = self.branch(name) else { continue };
            add(b, &entries);
            let counter = b.kind.as_ref().ok().and_then(|k| k.counter.as_deref());
            if let Some(c) = counter.and_then(|c| self.branch(c)) {
                let touched = b
                    .baskets
                    .iter()
                    .filter(|k| k.entry_stop > entries.start && k.entry_start < entries.end);
                let span = touched.fold(entries.clone(), |s, k| {
                    s.start.min(k.entry_start)..s.end.max(k.entry_stop)
                });
                add(c, &span);
            }
        }
        crate::io::dataset::merge_ranges(out)
    }
}
