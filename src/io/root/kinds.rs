//! Decides what each leaf branch decodes to, from its leaf class (TLeafF, TLeafI, ...) or, for
//! TBranchElement, its C++ class name (`vector<float>`, `string`, ...).
//!
//! Output per branch: a C++ type name for display, the public [`ColumnKind`] or the reason it is
//! not supported, and the internal [`Layout`] the reader decodes with.

use super::meta::RawTree;
use super::streamers::Classes;
use super::tree::{ColumnKind, Layout, Packed};
use crate::io::schema::{ScalarType, Shape};

type Classified = (String, Result<ColumnKind, String>, Option<Layout>);

fn refuse(type_name: String, reason: impl Into<String>) -> Classified {
    (type_name, Err(reason.into()), None)
}

/// The start of a refusal caused by a damaged file (not by an unsupported layout).
pub(crate) const NO_STREAMER_INFO: &str = "the file's streamer info cannot be read";

pub(crate) fn classify(raw: &RawTree, b: usize, classes: Result<&Classes, &str>) -> Classified {
    let br = &raw.branches[b];
    if let Some(el) = &br.element {
        if matches!(el.streamer_type, 9 | 19 | 300) {
            return classify_member(el, classes);
        }
        return classify_element(&el.class_name, el.ftype, el.streamer_type);
    }
    if br.class == "TBranchObject" {
        return refuse(
            br.title.clone(),
            "objects stored by TBranchObject are not supported",
        );
    }
    let leaf = match br.leaves.as_slice() {
        [l] => match raw.leaves.get(*l) {
            Some(l) => l,
            None => return refuse(String::new(), "the branch's leaf is missing"),
        },
        [] => return refuse(String::new(), "the branch has no leaf"),
        many => {
            return refuse(
                br.title.clone(),
                format!(
                    "a branch with {} leaves (a leaf list) is not supported",
                    many.len()
                ),
            );
        }
    };
    let (cpp, ty) = match leaf.class.as_str() {
        "TLeafC" => ("char*", ScalarType::Str),
        "TLeafF16" | "TLeafD32" => return classify_packed(raw, leaf),
        class if let Some(t) = leaf_scalar(class, leaf.is_unsigned) => t,
        other => {
            return refuse(
                other.to_string(),
                format!("leaf class {other} is not supported"),
            );
        }
    };
    let counter = match counter_branch(raw, leaf) {
        Ok(c) => c,
        Err(why) => return refuse(format!("{cpp}[?]"), why),
    };
    if ty == ScalarType::Str {
        if counter.is_some() {
            return refuse("char*[]".into(), "arrays of strings are not supported");
        }
        let kind = ColumnKind {
            ty,
            shape: Shape::Scalar,
            counter: None,
        };
        return (cpp.into(), Ok(kind), Some(Layout::Str));
    }
    if leaf.len < 1 {
        return refuse(cpp.into(), format!("leaf length {} is invalid", leaf.len));
    }
    let n = leaf.len as usize;
    match counter {
        Some(c) if n == 1 => (
            format!("{cpp}[{c}]"),
            Ok(ColumnKind {
                ty,
                shape: Shape::Jagged,
                counter: Some(c),
            }),
            Some(Layout::Jagged { ty, header: 0 }),
        ),
        Some(c) => refuse(
            format!("{cpp}[{c}][{n}]"),
            "counter arrays with a fixed inner dimension are not supported",
        ),
        None if n == 1 => (
            cpp.into(),
            Ok(ColumnKind {
                ty,
                shape: Shape::Scalar,
                counter: None,
            }),
            Some(Layout::Fixed { ty, n: 1 }),
        ),
        // `m[2][3]`: kept as a list of rows (a list of lists per entry).
        None if let [rows, cols] = dimensions(&leaf.title)[..]
            && rows * cols == n =>
        {
            (
                format!("{cpp}[{rows}][{cols}]"),
                Ok(ColumnKind {
                    ty,
                    shape: Shape::Jagged2,
                    counter: None,
                }),
                Some(Layout::Fixed2 { ty, rows, cols }),
            )
        }
        // `c[2][3][4]` and deeper: the values flat in row-major order (the last index fastest),
        // the dimensions kept in the type name and in `BranchInfo::dims` (`fixed_dims`).
        None => {
            let dims = dimensions(&leaf.title);
            let name = if dims.len() >= 3 && dims.iter().product::<usize>() == n {
                let brackets: String = dims.iter().map(|d| format!("[{d}]")).collect();
                format!("{cpp}{brackets}")
            } else {
                format!("{cpp}[{n}]")
            };
            (
                name,
                Ok(ColumnKind {
                    ty,
                    shape: Shape::Fixed(n),
                    counter: None,
                }),
                Some(Layout::Fixed { ty, n }),
            )
        }
    }
}

/// The dimensions of a fixed array of three or more (`c[2][3][4]/F` → [2, 3, 4]) held by
/// branch `b` (one numeric leaf, no counter, the dimensions' product equal to the leaf's
/// length); empty for any other branch.
pub(crate) fn fixed_dims(raw: &RawTree, b: usize) -> Vec<usize> {
    let br = &raw.branches[b];
    let leaf = match br.leaves.as_slice() {
        [l] if br.element.is_none() && br.class != "TBranchObject" => match raw.leaves.get(*l) {
            Some(l) => l,
            None => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    if leaf.count.is_some() || leaf_scalar(&leaf.class, leaf.is_unsigned).is_none() {
        return Vec::new();
    }
    let dims = dimensions(&leaf.title);
    let n = usize::try_from(leaf.len).unwrap_or(0);
    // Products that overflow are not the leaf's length either.
    let product = dims.iter().try_fold(1usize, |p, &d| p.checked_mul(d));
    if dims.len() >= 3 && product == Some(n) && n > 0 {
        dims
    } else {
        Vec::new()
    }
}

/// The fixed dimensions written after the name in a leaf title (`m[2][3]` → [2, 3]); stops at
/// the first bracket that is not a number (a counter, `x[nJet]`) or at the `/` of the type code.
fn dimensions(title: &str) -> Vec<usize> {
    let head = title.split('/').next().unwrap_or("");
    let mut dims = Vec::new();
    let mut rest = match head.find('[') {
        Some(i) => &head[i..],
        None => return dims,
    };
    while let Some(r) = rest.strip_prefix('[') {
        let Some(end) = r.find(']') else { break };
        match r[..end].trim().parse::<usize>() {
            Ok(d) => dims.push(d),
            Err(_) => break,
        }
        rest = &r[end + 1..];
    }
    dims
}

/// A member of a split object whose decoding needs the file's streamer info: `Double32_t`
/// (type 9) and `Float16_t` (19) members with the packing range of the element's title, and
/// STL-container members (300: `std::vector<T>`, nested vectors, strings) read as the same
/// container at the top level is.
fn classify_member(el: &super::meta::Element, classes: Result<&Classes, &str>) -> Classified {
    let what = format!("{}::?", el.class_name);
    let classes = match classes {
        Ok(c) => c,
        Err(why) => {
            return refuse(what, format!("{NO_STREAMER_INFO}: {why}"));
        }
    };
    let Some(info) = classes
        .get(&el.class_name)
        .and_then(|elements| elements.get(usize::try_from(el.id).ok()?))
        .and_then(|e| e.as_ref())
    else {
        return refuse(
            what,
            format!(
                "element {} of class `{}` is not in the file's streamer info",
                el.id, el.class_name
            ),
        );
    };
    if el.streamer_type == 300 {
        if el.ftype != 0 {
            return refuse(
                info.type_name.clone(),
                format!(
                    "containers inside split collections (branch type {}) are not supported",
                    el.ftype
                ),
            );
        }
        if matches!(info.type_name.trim(), "string" | "std::string") {
            let kind = ColumnKind {
                ty: ScalarType::Str,
                shape: Shape::Scalar,
                counter: None,
            };
            return (info.type_name.clone(), Ok(kind), Some(Layout::MemberStr));
        }
        return classify_element(&info.type_name, -1, -1);
    }
    let float16 = el.streamer_type == 19;
    let (cpp, ty) = if float16 {
        ("Float16_t", ScalarType::F32)
    } else {
        ("Double32_t", ScalarType::F64)
    };
    // The element title is the member's comment: `[low, high, bits]` first, then any text.
    let spec = info.title.find('[').and_then(|open| {
        let close = info.title[open..].find(']')? + open;
        Some(&info.title[open + 1..close])
    });
    let enc = match packing_of_spec(spec.map(str::trim), &info.title, float16) {
        Ok(e) => e,
        Err(e) => return refuse(cpp.into(), e),
    };
    let (name, shape, jagged) = match el.ftype {
        0 => (cpp.to_string(), Shape::Scalar, false),
        31 | 41 => (format!("{cpp}[]"), Shape::Jagged, true),
        t => {
            return refuse(
                cpp.into(),
                format!("members of branch type {t} are not supported"),
            );
        }
    };
    (
        name,
        Ok(ColumnKind {
            ty,
            shape,
            counter: None,
        }),
        Some(Layout::Packed {
            enc,
            ty,
            n: 1,
            jagged,
        }),
    )
}

/// The members of a leaf list (a branch of several leaves, `x/F:y/F:n/I`): `None` for any
/// other branch; for each leaf its name, C++ type, kind and layout within the entry record, or
/// why the list cannot be read (a leaf sized by a counter, strings, packed floats).
pub(crate) type Member = (String, String, ColumnKind, Layout);

pub(crate) fn leaf_list(raw: &RawTree, b: usize) -> Option<Result<Vec<Member>, String>> {
    let br = &raw.branches[b];
    if br.element.is_some() || br.class == "TBranchObject" || br.leaves.len() < 2 {
        return None;
    }
    let mut members = Vec::new();
    let mut offset = 0usize;
    for &l in &br.leaves {
        let Some(leaf) = raw.leaves.get(l) else {
            return Some(Err("a leaf of the leaf list is missing".into()));
        };
        let (cpp, ty) = match leaf_scalar(&leaf.class, leaf.is_unsigned) {
            Some(t) => t,
            None => {
                let other = &leaf.class;
                return Some(Err(format!(
                    "a leaf list with a {other} leaf (`{}`) is not supported",
                    leaf.name
                )));
            }
        };
        if leaf.count.is_some() {
            return Some(Err(format!(
                "a leaf list whose leaf `{}` is sized by a counter is not supported",
                leaf.name
            )));
        }
        if leaf.len < 1 {
            return Some(Err(format!("leaf `{}` has length {}", leaf.name, leaf.len)));
        }
        let n = leaf.len as usize;
        let (type_name, shape) = if n == 1 {
            (cpp.to_string(), Shape::Scalar)
        } else {
            (format!("{cpp}[{n}]"), Shape::Fixed(n))
        };
        let kind = ColumnKind {
            ty,
            shape,
            counter: None,
        };
        members.push((
            leaf.name.clone(),
            type_name,
            kind,
            Layout::Member {
                ty,
                n,
                offset,
                stride: 0,
            },
        ));
        offset += n * super::column::size_of(ty);
    }
    for m in &mut members {
        if let Layout::Member { stride, .. } = &mut m.3 {
            *stride = offset;
        }
    }
    Some(Ok(members))
}

/// The name of the branch holding a leaf's counter (`None`: not a counter array).
fn counter_branch(raw: &RawTree, leaf: &super::meta::RawLeaf) -> Result<Option<String>, String> {
    let counter = leaf
        .count
        .and_then(|c| raw.leaves.get(c))
        .and_then(|l| l.branch)
        .and_then(|bi| raw.branches.get(bi))
        .map(|b| b.name.clone());
    if leaf.count.is_some() && counter.is_none() {
        return Err("its counter branch cannot be found".into());
    }
    Ok(counter)
}

/// The C++ and scalar type of a numeric leaf class (`TLeafF` → `Float_t`).
fn leaf_scalar(class: &str, unsigned: bool) -> Option<(&'static str, ScalarType)> {
    let u = unsigned;
    Some(match class {
        "TLeafO" => ("Bool_t", ScalarType::Bool),
        "TLeafB" if u => ("UChar_t", ScalarType::U8),
        "TLeafB" => ("Char_t", ScalarType::I8),
        "TLeafS" if u => ("UShort_t", ScalarType::U16),
        "TLeafS" => ("Short_t", ScalarType::I16),
        "TLeafI" if u => ("UInt_t", ScalarType::U32),
        "TLeafI" => ("Int_t", ScalarType::I32),
        "TLeafL" | "TLeafG" if u => ("ULong64_t", ScalarType::U64),
        "TLeafL" | "TLeafG" => ("Long64_t", ScalarType::I64),
        "TLeafF" => ("Float_t", ScalarType::F32),
        "TLeafD" => ("Double_t", ScalarType::F64),
        _ => return None,
    })
}

/// A `Double32_t` (`TLeafD32`) or `Float16_t` (`TLeafF16`) leaf: its packing from the range in
/// the leaf title (`x[3]/d[0,10,12]`: after the type code), as ROOT wrote it.
fn classify_packed(raw: &RawTree, leaf: &super::meta::RawLeaf) -> Classified {
    let float16 = leaf.class == "TLeafF16";
    let (cpp, ty) = if float16 {
        ("Float16_t", ScalarType::F32)
    } else {
        ("Double32_t", ScalarType::F64)
    };
    let enc = match packing(&leaf.title, float16) {
        Ok(e) => e,
        Err(e) => return refuse(cpp.into(), e),
    };
    let counter = match counter_branch(raw, leaf) {
        Ok(c) => c,
        Err(why) => return refuse(format!("{cpp}[?]"), why),
    };
    if leaf.len < 1 {
        return refuse(cpp.into(), format!("leaf length {} is invalid", leaf.len));
    }
    let n = leaf.len as usize;
    let (name, shape, jagged) = match (&counter, n) {
        (Some(c), 1) => (format!("{cpp}[{c}]"), Shape::Jagged, true),
        (Some(c), _) => {
            return refuse(
                format!("{cpp}[{c}][{n}]"),
                "counter arrays with a fixed inner dimension are not supported",
            );
        }
        (None, 1) => (cpp.to_string(), Shape::Scalar, false),
        (None, _) => (format!("{cpp}[{n}]"), Shape::Fixed(n), false),
    };
    (
        name,
        Ok(ColumnKind { ty, shape, counter }),
        Some(Layout::Packed { enc, ty, n, jagged }),
    )
}

/// The packing of a Double32_t/Float16_t leaf from its title: `[low, high]` or `[low, high,
/// bits]` after the type code (numbers, `pi`, and `+ - * /`). Without one, Double32_t is a
/// `float` and Float16_t a 12-bit truncated float; `[0, 0, bits]` truncates to `bits`.
pub(crate) fn packing(title: &str, float16: bool) -> Result<Packed, String> {
    // `name[dims]/T[spec]`: the first `/` ends the name (the spec may divide).
    let spec = title
        .find('/')
        .and_then(|slash| {
            let rest = &title[slash..];
            let open = rest.find('[')?;
            let close = rest.rfind(']')?;
            (close > open).then(|| &rest[open + 1..close])
        })
        .map(str::trim);
    packing_of_spec(spec, title, float16)
}

/// The packing given the text between the brackets of a range (`None`: no range).
fn packing_of_spec(spec: Option<&str>, title: &str, float16: bool) -> Result<Packed, String> {
    let Some(spec) = spec else {
        return Ok(if float16 {
            Packed::Truncated { bits: 12 }
        } else {
            Packed::F32
        });
    };
    let parts: Vec<&str> = spec.split(',').map(str::trim).collect();
    let bad = || format!("cannot read the packing range `[{spec}]` of its title `{title}`");
    let num = |t: &str| eval_range_number(t).ok_or_else(bad);
    let (low, high, bits) = match parts.as_slice() {
        [l, h] => (num(l)?, num(h)?, 32u32),
        [l, h, b] => {
            let bits: u32 = b.parse().map_err(|_| bad())?;
            (
                num(l)?,
                num(h)?,
                if (2..=32).contains(&bits) { bits } else { 32 },
            )
        }
        _ => return Err(bad()),
    };
    if low == 0.0 && high == 0.0 {
        if !(2..=22).contains(&bits) {
            return Err(format!(
                "a truncated float of {bits} mantissa bits is not supported"
            ));
        }
        return Ok(Packed::Truncated { bits });
    }
    if high <= low {
        return Err(format!("its packing range [{low}, {high}] is empty"));
    }
    Ok(Packed::Range { low, high, bits })
}

/// A number of a packing range: literals, `pi`, `+ - * /`, unary minus and parentheses (ROOT
/// allows expressions such as `2*pi`).
fn eval_range_number(t: &str) -> Option<f64> {
    let b = t.as_bytes();
    let mut at = 0;
    let x = range_sum(b, &mut at)?;
    while at < b.len() && b[at] == b' ' {
        at += 1;
    }
    (at == b.len() && x.is_finite()).then_some(x)
}

fn skip_spaces(b: &[u8], at: &mut usize) {
    while *at < b.len() && b[*at] == b' ' {
        *at += 1;
    }
}

fn range_sum(b: &[u8], at: &mut usize) -> Option<f64> {
    let mut x = range_product(b, at)?;
    loop {
        skip_spaces(b, at);
        match b.get(*at) {
            Some(b'+') => {
                *at += 1;
                x += range_product(b, at)?;
            }
            Some(b'-') => {
                *at += 1;
                x -= range_product(b, at)?;
            }
            _ => return Some(x),
        }
    }
}

fn range_product(b: &[u8], at: &mut usize) -> Option<f64> {
    let mut x = range_atom(b, at)?;
    loop {
        skip_spaces(b, at);
        match b.get(*at) {
            Some(b'*') => {
                *at += 1;
                x *= range_atom(b, at)?;
            }
            Some(b'/') => {
                *at += 1;
                x /= range_atom(b, at)?;
            }
            _ => return Some(x),
        }
    }
}

fn range_atom(b: &[u8], at: &mut usize) -> Option<f64> {
    skip_spaces(b, at);
    match *b.get(*at)? {
        b'-' => {
            *at += 1;
            range_atom(b, at).map(|x| -x)
        }
        b'(' => {
            *at += 1;
            let x = range_sum(b, at)?;
            skip_spaces(b, at);
            (b.get(*at) == Some(&b')')).then(|| *at += 1)?;
            Some(x)
        }
        c if c.is_ascii_alphabetic() => {
            let start = *at;
            while *at < b.len() && (b[*at].is_ascii_alphanumeric() || b"_:()".contains(&b[*at])) {
                *at += 1;
            }
            let word = std::str::from_utf8(&b[start..*at])
                .ok()?
                .to_ascii_lowercase();
            matches!(word.as_str(), "pi" | "tmath::pi()").then_some(std::f64::consts::PI)
        }
        _ => {
            let start = *at;
            while *at < b.len()
                && (b[*at].is_ascii_digit()
                    || b[*at] == b'.'
                    || matches!(b[*at], b'e' | b'E')
                    || (*at > start
                        && matches!(b[*at], b'+' | b'-')
                        && matches!(b[*at - 1], b'e' | b'E')))
            {
                *at += 1;
            }
            std::str::from_utf8(&b[start..*at]).ok()?.parse().ok()
        }
    }
}

/// A C++ element type name → scalar type (None for Double32_t and anything non-numeric).
fn primitive(name: &str) -> Option<ScalarType> {
    Some(match name {
        "bool" | "Bool_t" => ScalarType::Bool,
        "char" | "Char_t" | "int8_t" | "signed char" => ScalarType::I8,
        "unsigned char" | "UChar_t" | "uint8_t" => ScalarType::U8,
        "short" | "Short_t" | "int16_t" => ScalarType::I16,
        "unsigned short" | "UShort_t" | "uint16_t" => ScalarType::U16,
        "int" | "Int_t" | "int32_t" => ScalarType::I32,
        "unsigned int" | "unsigned" | "UInt_t" | "uint32_t" => ScalarType::U32,
        "long" | "Long_t" | "long long" | "Long64_t" | "int64_t" => ScalarType::I64,
        "unsigned long" | "ULong_t" | "unsigned long long" | "ULong64_t" | "uint64_t" => {
            ScalarType::U64
        }
        "float" | "Float_t" => ScalarType::F32,
        "double" | "Double_t" => ScalarType::F64,
        _ => return None,
    })
}

/// `vector<T>` / `std::vector<T>` / `ROOT::VecOps::RVec<T>` / `ROOT::RVec<T>` → `T`; an
/// allocator argument (`vector<float, ROOT::Detail::VecOps::RAdoptAllocator<float> >`, as
/// RDataFrame snapshots write) does not change the layout and is dropped.
fn list_element(class: &str) -> Option<&str> {
    let c = class.trim();
    // A `std::set` streams as a vector does (header, count, the elements in order).
    for prefix in [
        "vector<",
        "std::vector<",
        "ROOT::VecOps::RVec<",
        "ROOT::RVec<",
        "RVec<",
        "set<",
        "std::set<",
    ] {
        if let Some(rest) = c.strip_prefix(prefix) {
            let inner = rest.strip_suffix('>')?.trim();
            return Some(match top_level_comma(inner) {
                Some(i)
                    if inner[i + 1..].contains("allocator<")
                        || inner[i + 1..].contains("Allocator<") =>
                {
                    inner[..i].trim()
                }
                Some(_) => return None,
                None => inner,
            });
        }
    }
    None
}

/// `bitset<N>` / `std::bitset<N>` with a number N.
fn is_bitset(class: &str) -> bool {
    let c = class.trim();
    let rest = c.strip_prefix("std::").unwrap_or(c);
    rest.strip_prefix("bitset<")
        .and_then(|r| r.strip_suffix('>'))
        .is_some_and(|n| n.trim().parse::<u32>().is_ok())
}

/// `map<K, V>`, `std::map`, `unordered_map`, `multimap` (any associative container of pairs).
fn is_map(class: &str) -> bool {
    let c = class.trim();
    let rest = c.strip_prefix("std::").unwrap_or(c);
    ["map<", "unordered_map<", "multimap<", "unordered_multimap<"]
        .iter()
        .any(|p| rest.starts_with(p))
}

/// The byte position of the first comma of `s` outside angle brackets.
fn top_level_comma(s: &str) -> Option<usize> {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

/// `TStreamerElement` basic type codes of plain numeric members (no Double32/Float16/char*).
fn basic_type(code: i32) -> Option<(ScalarType, &'static str)> {
    Some(match code {
        1 => (ScalarType::I8, "Char_t"),
        2 => (ScalarType::I16, "Short_t"),
        3 | 6 => (ScalarType::I32, "Int_t"),
        4 | 16 => (ScalarType::I64, "Long64_t"),
        5 => (ScalarType::F32, "Float_t"),
        8 => (ScalarType::F64, "Double_t"),
        11 => (ScalarType::U8, "UChar_t"),
        12 => (ScalarType::U16, "UShort_t"),
        13 | 15 => (ScalarType::U32, "UInt_t"),
        14 | 17 => (ScalarType::U64, "ULong64_t"),
        18 => (ScalarType::Bool, "Bool_t"),
        _ => return None,
    })
}

fn classify_element(class: &str, ftype: i32, streamer_type: i32) -> Classified {
    let name = class.to_string();
    // A numeric member of a split object (one value per entry) or of a split collection of
    // objects (ftype 31 TClonesArray, 41 STL: the values of all elements, entry offsets give
    // the per-entry counts).
    if let Some((ty, cpp)) = basic_type(streamer_type) {
        return match ftype {
            0 => (
                cpp.to_string(),
                Ok(ColumnKind {
                    ty,
                    shape: Shape::Scalar,
                    counter: None,
                }),
                Some(Layout::Fixed { ty, n: 1 }),
            ),
            31 | 41 => (
                format!("{cpp}[]"),
                Ok(ColumnKind {
                    ty,
                    shape: Shape::Jagged,
                    counter: None,
                }),
                Some(Layout::Jagged { ty, header: 0 }),
            ),
            _ => refuse(
                name,
                format!("members of branch type {ftype} are not supported"),
            ),
        };
    }
    if ftype != 0 && ftype != -1 {
        return refuse(
            name,
            format!(
                "members of split objects or collections (branch type {ftype}) are not supported"
            ),
        );
    }
    if streamer_type != -1 {
        return refuse(
            name,
            format!("split-object members (streamer type {streamer_type}) are not supported"),
        );
    }
    // A `TString` is streamed like a `std::string`: a 1-byte length (255 then a 4-byte one for
    // long strings) and the bytes, with no header of its own.
    if matches!(class.trim(), "string" | "std::string" | "TString") {
        let kind = ColumnKind {
            ty: ScalarType::Str,
            shape: Shape::Scalar,
            counter: None,
        };
        return (name, Ok(kind), Some(Layout::Str));
    }
    // `std::bitset<N>` streams as a `std::vector<bool>` does (byte count, version, the count N,
    // one byte per bit, bit 0 first): read as a list of N bools, as uproot reads it.
    if is_bitset(class) {
        let kind = ColumnKind {
            ty: ScalarType::Bool,
            shape: Shape::Jagged,
            counter: None,
        };
        let layout = Layout::Jagged {
            ty: ScalarType::Bool,
            header: 10,
        };
        return (name, Ok(kind), Some(layout));
    }
    if is_map(class) {
        return refuse(
            name,
            format!(
                "an unsplit `{}` (key/value records per entry; a split top-level map is read \
                 as its `.first` and `.second` branches) is not supported",
                class.trim()
            ),
        );
    }
    let Some(inner) = list_element(class) else {
        return refuse(name, format!("class `{class}` is not supported"));
    };
    if is_map(inner) {
        return refuse(
            name,
            format!(
                "maps inside a collection (`{}`: a list of key/value records per entry) are \
                 not supported",
                class.trim()
            ),
        );
    }
    if let Some(ty) = primitive(inner) {
        let kind = ColumnKind {
            ty,
            shape: Shape::Jagged,
            counter: None,
        };
        return (name, Ok(kind), Some(Layout::Jagged { ty, header: 10 }));
    }
    let is_vector = class.trim().starts_with("vector<") || class.trim().starts_with("std::vector<");
    if is_vector && let Some(ty) = list_element(inner).and_then(primitive) {
        let kind = ColumnKind {
            ty,
            shape: Shape::Jagged2,
            counter: None,
        };
        return (name, Ok(kind), Some(Layout::Jagged2 { ty }));
    }
    if matches!(inner, "string" | "std::string" | "TString") {
        let kind = ColumnKind {
            ty: ScalarType::Str,
            shape: Shape::Jagged,
            counter: None,
        };
        return (name, Ok(kind), Some(Layout::StrList));
    }
    refuse(name, format!("lists of `{inner}` are not supported"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_classes_map_to_layouts() {
        let (_, k, l) = classify_element("vector<float>", 0, -1);
        assert_eq!(k.unwrap().shape, Shape::Jagged);
        assert_eq!(
            l,
            Some(Layout::Jagged {
                ty: ScalarType::F32,
                header: 10
            })
        );
        let (_, k, _) = classify_element("vector<vector<float> >", 0, -1);
        assert_eq!(k.unwrap().shape, Shape::Jagged2);
        let (_, k, _) = classify_element("ROOT::VecOps::RVec<int>", 0, -1);
        assert_eq!(k.unwrap().ty, ScalarType::I32);
        let (_, k, _) = classify_element("string", -1, -1);
        assert_eq!(k.unwrap().ty, ScalarType::Str);
        assert!(classify_element("vector<Double32_t>", 0, -1).1.is_err());
        assert!(classify_element("TLorentzVector", 0, -1).1.is_err());
        assert!(classify_element("vector<float>", 41, 9).1.is_err());
        let (_, k, _) = classify_element("Track", 41, 5);
        assert_eq!(k.unwrap().shape, Shape::Jagged);
        let (_, k, l) = classify_element("std::bitset<16>", -1, -1);
        assert_eq!(k.unwrap().ty, ScalarType::Bool);
        assert_eq!(
            l,
            Some(Layout::Jagged {
                ty: ScalarType::Bool,
                header: 10
            })
        );
        assert!(classify_element("bitset<N>", -1, -1).1.is_err());
        let (_, k, _) = classify_element("vector<map<int,float> >", 0, -1);
        assert!(k.unwrap_err().contains("maps inside a collection"));
        let (_, k, _) = classify_element("std::unordered_map<int,int>", 0, -1);
        assert!(k.unwrap_err().contains("unsplit"));
    }

    #[test]
    fn packing_ranges_are_read_from_the_leaf_title() {
        use super::super::tree::Packed;
        let pi = std::f64::consts::PI;
        assert_eq!(packing("x", false), Ok(Packed::F32));
        assert_eq!(packing("x", true), Ok(Packed::Truncated { bits: 12 }));
        assert_eq!(
            packing("x[3]/d[0,10,12]", false),
            Ok(Packed::Range {
                low: 0.0,
                high: 10.0,
                bits: 12
            })
        );
        assert_eq!(
            packing("x/d[-2*pi, 2*pi, 10]", false),
            Ok(Packed::Range {
                low: -2.0 * pi,
                high: 2.0 * pi,
                bits: 10
            })
        );
        assert_eq!(
            packing("x/d[1e-5, (1+1)/4]", false),
            Ok(Packed::Range {
                low: 1e-5,
                high: 0.5,
                bits: 32
            })
        );
        assert_eq!(
            packing("x/d[0,0,10]", false),
            Ok(Packed::Truncated { bits: 10 })
        );
        for bad in [
            "x/d[a,b]",
            "x/d[1]",
            "x/d[5,1]",
            "x/d[0,0,30]",
            "x/d[+,1]",
            "x/d[1,2,x]",
        ] {
            assert!(packing(bad, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn allocators_in_vector_type_names_are_dropped() {
        assert_eq!(
            list_element("vector<float,ROOT::Detail::VecOps::RAdoptAllocator<float> >"),
            Some("float")
        );
        assert_eq!(
            list_element("vector<vector<int>, std::allocator<vector<int> > >"),
            Some("vector<int>")
        );
        assert_eq!(
            list_element("vector<pair<int,float> >"),
            Some("pair<int,float>")
        );
        assert_eq!(list_element("vector<int, MyThing>"), None);
        let (_, kind, _) = classify_element(
            "vector<double,ROOT::Detail::VecOps::RAdoptAllocator<double> >",
            -1,
            -1,
        );
        assert_eq!(kind.map(|k| k.ty), Ok(ScalarType::F64));
    }
}
