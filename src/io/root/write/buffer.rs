//! Big-endian object buffer: the bytes of one ROOT key payload, with ROOT's object-stream framing.
//!
//! Input: typed values, strings, versioned object sections, class names of polymorphic pointers.
//! Output: the uncompressed payload bytes.
//!
//! Invariants:
//! - Every versioned section starts with a 4-byte byte count (`0x40000000 | n`, n counting the bytes
//!   after the count itself) and a 2-byte class version; [`Buf::end_section`] patches the count.
//! - Class tags and object references are offsets into the *whole* key buffer, which ROOT lays out
//!   as the key header followed by the object; so every offset adds the key length (`origin`) and
//!   ROOT's `kMapOffset` (2), which keeps 0 free to mean a null pointer.

use std::collections::HashMap;

/// Byte-count flag ROOT sets on every byte count, so a count is never mistaken for a version.
const BYTE_COUNT_FLAG: u32 = 0x4000_0000;
/// Tag that introduces a class name the first time a class appears in a buffer.
const NEW_CLASS_TAG: u32 = 0xFFFF_FFFF;
/// Flag on a tag that refers back to a class already named in this buffer.
const CLASS_MASK: u32 = 0x8000_0000;
/// ROOT adds this to every stored offset so that 0 stays the null pointer.
const MAP_OFFSET: u32 = 2;

/// A growing big-endian buffer for one key payload.
pub struct Buf {
    pub data: Vec<u8>,
    /// Length of the key header that precedes this payload in the file (offset base for tags).
    origin: u32,
    /// Tag offset of each class already named in this buffer.
    classes: HashMap<String, u32>,
}

/// Where an object's byte count was reserved; pass back to [`Buf::end_section`].
#[must_use]
pub struct Section(usize);

impl Buf {
    /// An empty buffer whose payload will follow a key header of `origin` bytes.
    pub fn new(origin: u32) -> Self {
        Buf {
            data: Vec::new(),
            origin,
            classes: HashMap::new(),
        }
    }

    pub fn u8(&mut self, v: u8) {
        self.data.push(v);
    }
    pub fn bool(&mut self, v: bool) {
        self.data.push(u8::from(v));
    }
    pub fn i16(&mut self, v: i16) {
        self.data.extend_from_slice(&v.to_be_bytes());
    }
    pub fn u16(&mut self, v: u16) {
        self.data.extend_from_slice(&v.to_be_bytes());
    }
    pub fn i32(&mut self, v: i32) {
        self.data.extend_from_slice(&v.to_be_bytes());
    }
    pub fn u32(&mut self, v: u32) {
        self.data.extend_from_slice(&v.to_be_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.data.extend_from_slice(&v.to_be_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.data.extend_from_slice(&v.to_be_bytes());
    }
    pub fn f32(&mut self, v: f32) {
        self.data.extend_from_slice(&v.to_be_bytes());
    }
    pub fn f64(&mut self, v: f64) {
        self.data.extend_from_slice(&v.to_be_bytes());
    }
    pub fn bytes(&mut self, v: &[u8]) {
        self.data.extend_from_slice(v);
    }

    /// A `TString`: one length byte, or 255 and a 4-byte length for long strings.
    pub fn tstring(&mut self, s: &str) {
        put_tstring(&mut self.data, s);
    }

    /// A `TArrayD` / `TArrayI`-style array: 4-byte count then the values.
    pub fn array_f64(&mut self, v: &[f64]) {
        self.i32(len_i32(v.len()));
        for x in v {
            self.f64(*x);
        }
    }

    /// Starts a versioned section: reserves the byte count and writes the class version.
    pub fn begin_section(&mut self, version: i16) -> Section {
        let at = self.data.len();
        self.u32(0);
        self.i16(version);
        Section(at)
    }

    /// Closes a section opened by [`Buf::begin_section`], patching its byte count.
    pub fn end_section(&mut self, s: Section) {
        let n = self.data.len() - s.0 - 4;
        let count = BYTE_COUNT_FLAG | (n as u32 & !BYTE_COUNT_FLAG);
        self.data[s.0..s.0 + 4].copy_from_slice(&count.to_be_bytes());
    }

    /// `TObject` base: version 1, fUniqueID, fBits (never a byte count).
    pub fn tobject(&mut self, bits: u32) {
        self.i16(1);
        self.u32(0);
        self.u32(bits);
    }

    /// `TNamed` base: a section holding `TObject`, fName and fTitle.
    pub fn tnamed(&mut self, name: &str, title: &str, bits: u32) {
        let s = self.begin_section(1);
        self.tobject(bits);
        self.tstring(name);
        self.tstring(title);
        self.end_section(s);
    }

    /// Starts an object written through a pointer (`TBuffer::WriteObjectAny`): byte count, then the
    /// class (named the first time, referenced afterwards). Returns the section and the object's
    /// reference tag, usable later by [`Buf::object_ref`].
    pub fn begin_pointer(&mut self, class: &str) -> (Section, u32) {
        let at = self.data.len();
        let object_tag = self.origin + at as u32 + MAP_OFFSET;
        self.u32(0);
        let tag_at = self.origin + self.data.len() as u32 + MAP_OFFSET;
        match self.classes.get(class) {
            Some(&tag) => self.u32(tag | CLASS_MASK),
            None => {
                self.u32(NEW_CLASS_TAG);
                self.bytes(class.as_bytes());
                self.u8(0);
                self.classes.insert(class.to_string(), tag_at);
            }
        }
        (Section(at), object_tag)
    }

    /// Closes an object opened by [`Buf::begin_pointer`].
    pub fn end_pointer(&mut self, s: Section) {
        self.end_section(s);
    }

    /// A pointer to an object already written in this buffer.
    pub fn object_ref(&mut self, tag: u32) {
        self.u32(tag);
    }

    /// A null pointer.
    pub fn null_pointer(&mut self) {
        self.u32(0);
    }
}

/// Appends a `TString` to raw bytes (used for key headers, which are not object buffers).
pub fn put_tstring(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    if b.len() < 255 {
        out.push(b.len() as u8);
    } else {
        out.push(255);
        out.extend_from_slice(&len_i32(b.len()).to_be_bytes());
    }
    out.extend_from_slice(b);
}

/// Bytes a `TString` of `s` takes.
pub fn tstring_len(s: &str) -> usize {
    let n = s.len();
    if n < 255 { n + 1 } else { n + 5 }
}

/// Array lengths are stored as `Int_t`; callers validate sizes before serializing, so saturating
/// here only guards arithmetic and never silently truncates validated data.
pub fn len_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_patch_byte_counts() {
        let mut b = Buf::new(0);
        let s = b.begin_section(3);
        b.i32(7);
        b.end_section(s);
        assert_eq!(b.data, vec![0x40, 0, 0, 6, 0, 3, 0, 0, 0, 7]);
    }

    #[test]
    fn classes_are_named_once_then_referenced() {
        let mut b = Buf::new(64);
        b.bytes(&[0; 10]);
        let (s, _) = b.begin_pointer("TFoo");
        b.end_pointer(s);
        let (s, _) = b.begin_pointer("TFoo");
        b.end_pointer(s);
        // First tag sits at payload offset 14; reference = 0x80000000 | (64 + 14 + 2).
        assert_eq!(&b.data[14..18], &[0xff; 4]);
        let second = &b.data[b.data.len() - 4..];
        assert_eq!(second, &(0x8000_0000u32 | 80).to_be_bytes());
    }

    #[test]
    fn long_strings_use_the_escape_length() {
        let s = "x".repeat(300);
        let mut v = Vec::new();
        put_tstring(&mut v, &s);
        assert_eq!(v[0], 255);
        assert_eq!(&v[1..5], &300i32.to_be_bytes());
        assert_eq!(tstring_len(&s), v.len());
    }
}
