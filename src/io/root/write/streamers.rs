//! The file's streamer-info record: a `TList` of `TStreamerInfo`, one per class whose objects the
//! file holds (and every class those are built from).
//!
//! Input: the class names a writer used. Output: the serialized `TList` payload.
//!
//! The class descriptions come from [`super::classes`], anac's own table of each class's members,
//! versions and checksums (facts about ROOT's format). A reader such as ROOT compares the checksum
//! with its compiled class and only then trusts the layout; uproot uses the records to read classes
//! it has no built-in model for.

use super::buffer::Buf;
use super::classes::{ClassInfo, Elem, Kind, class_info};

/// `TStreamerInfo` class version written by current ROOT.
const STREAMER_INFO_VERSION: i16 = 9;
/// `TStreamerElement` class version.
const ELEMENT_VERSION: i16 = 4;
/// `TStreamerInfo` objects carry ROOT's "compiled" status bit on file; readers reset it.
const STREAMER_INFO_BITS: u32 = 0x0001_0000;

/// The classes to describe for `roots` (in order), followed by everything they are built from,
/// each once. Unknown names are skipped by construction: callers only pass table entries.
pub fn closure(roots: &[&'static str]) -> Vec<&'static ClassInfo> {
    let mut out: Vec<&'static ClassInfo> = Vec::new();
    let mut stack: Vec<&'static str> = roots.iter().rev().copied().collect();
    while let Some(name) = stack.pop() {
        if out.iter().any(|c| c.name == name) {
            continue;
        }
        if let Some(info) = class_info(name) {
            out.push(info);
            for dep in info.needs.iter().rev() {
                stack.push(dep);
            }
        }
    }
    out
}

/// Serializes the `TList` of streamer infos for `classes` into a payload that will follow a key
/// header of `keylen` bytes.
pub fn streamer_list(classes: &[&ClassInfo], keylen: u32) -> Vec<u8> {
    let mut b = Buf::new(keylen);
    let list = b.begin_section(5);
    b.tobject(0);
    b.tstring("");
    b.i32(classes.len() as i32);
    for info in classes {
        write_info(&mut b, info);
        b.tstring(""); // the TList entry's option string
    }
    b.end_section(list);
    b.data
}

fn write_info(b: &mut Buf, info: &ClassInfo) {
    let (ptr, _) = b.begin_pointer("TStreamerInfo");
    let s = b.begin_section(STREAMER_INFO_VERSION);
    b.tnamed(info.name, "", STREAMER_INFO_BITS);
    b.u32(info.checksum);
    b.i32(info.version);
    let (arr_ptr, _) = b.begin_pointer("TObjArray");
    let arr = b.begin_section(3);
    b.tobject(0);
    b.tstring("");
    b.i32(info.elems.len() as i32);
    b.i32(0); // fLowerBound
    for e in info.elems {
        write_element(b, e);
    }
    b.end_section(arr);
    b.end_pointer(arr_ptr);
    b.end_section(s);
    b.end_pointer(ptr);
}

/// Element class name, its class version, and the (type code, size, type name) it records.
fn element_header(e: &Elem) -> (&'static str, i16, i32, i32, &'static str) {
    match e.kind {
        Kind::Base { type_code, .. } => ("TStreamerBase", 3, type_code, 0, "BASE"),
        Kind::Basic {
            ty,
            size,
            type_name,
        } => ("TStreamerBasicType", 2, ty, size, type_name),
        Kind::Object { size, type_name } => ("TStreamerObject", 2, 61, size, type_name),
        Kind::ObjectAny { size, type_name } => ("TStreamerObjectAny", 2, 62, size, type_name),
        Kind::ObjectPointer { owned, type_name } => (
            "TStreamerObjectPointer",
            2,
            if owned { 63 } else { 64 },
            8,
            type_name,
        ),
        Kind::BasicPointer { ty, type_name, .. } => {
            ("TStreamerBasicPointer", 2, 40 + ty, 8, type_name)
        }
        Kind::String => ("TStreamerString", 2, 65, 24, "TString"),
    }
}

fn write_element(b: &mut Buf, e: &Elem) {
    let (class, version, ty, size, type_name) = element_header(e);
    let (ptr, _) = b.begin_pointer(class);
    let outer = b.begin_section(version);
    let inner = b.begin_section(ELEMENT_VERSION);
    b.tnamed(e.name, e.title, 0);
    b.i32(ty);
    b.i32(size);
    b.i32(0); // fArrayLength
    b.i32(0); // fArrayDim
    let base_checksum = match e.kind {
        Kind::Base { checksum, .. } => checksum,
        _ => 0,
    };
    // fMaxIndex[5]; for a base class ROOT keeps the base's checksum in slot 1.
    for v in [0, base_checksum, 0, 0, 0] {
        b.u32(v);
    }
    b.tstring(type_name);
    b.end_section(inner);
    match e.kind {
        Kind::Base { version, .. } => b.i32(version),
        Kind::BasicPointer {
            count_name,
            count_class,
            count_version,
            ..
        } => {
            b.i32(count_version);
            b.tstring(count_name);
            b.tstring(count_class);
        }
        _ => {}
    }
    b.end_section(outer);
    b.end_pointer(ptr);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closure_lists_each_class_once_roots_first() {
        let c = closure(&["TH1D", "TH2D"]);
        let names: Vec<&str> = c.iter().map(|c| c.name).collect();
        assert_eq!(names[0], "TH1D");
        assert!(names.contains(&"TAttAxis"));
        assert!(names.contains(&"TH2"));
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
    }

    #[test]
    fn list_header_counts_entries() {
        let c = closure(&["TObject"]);
        let bytes = streamer_list(&c, 64);
        // byte count, version 5, TObject (10 bytes), empty name, then the entry count.
        assert_eq!(&bytes[4..6], &[0, 5]);
        assert_eq!(&bytes[17..21], &1i32.to_be_bytes());
    }
}
