//! The few pieces of ROOT's object serialization the reader needs: version headers with byte
//! counts, `TObject`/`TNamed`, and skipping objects it does not model.
//!
//! Newer class versions than the ones known here are tolerated where ROOT wrote a byte count:
//! after reading the members it knows, the reader jumps to the end the byte count gives, so
//! trailing members added by a later ROOT (6.40 files) are skipped, never misread.

use super::cursor::Cursor;
use super::error::{Bad, bad};

pub const K_BYTE_COUNT_MASK: u32 = 0x4000_0000;
pub const K_NEW_CLASS_TAG: u32 = 0xFFFF_FFFF;
pub const K_CLASS_MASK: u32 = 0x8000_0000;
pub const K_MAP_OFFSET: usize = 2;
const K_IS_REFERENCED: u32 = 1 << 4;

/// A version header: the class version and, when ROOT wrote a byte count, the buffer position
/// where the object ends.
#[derive(Debug, Clone, Copy)]
pub struct Header {
    pub version: i16,
    pub end: Option<usize>,
}

/// Reads `[byte count] version`. The byte count is present when its high flag bit is set.
pub fn read_header(c: &mut Cursor) -> Result<Header, Bad> {
    let start = c.pos();
    let first = c.u32()?;
    if first & K_BYTE_COUNT_MASK != 0 && first != K_NEW_CLASS_TAG {
        let count = (first & !K_BYTE_COUNT_MASK) as usize;
        let end = start + 4 + count;
        if end > c.len() {
            return bad!(
                "object at offset {start} claims {count} bytes, beyond the end of its \
                 {}-byte buffer",
                c.len()
            );
        }
        let version = c.i16()?;
        Ok(Header {
            version,
            end: Some(end),
        })
    } else {
        c.seek(start)?;
        let version = c.i16()?;
        Ok(Header { version, end: None })
    }
}

/// Moves to the end of an object whose members have been read; an object that read past its
/// byte count is corrupt (or a layout this reader misunderstands).
pub fn finish(c: &mut Cursor, h: Header, what: &str) -> Result<(), Bad> {
    if let Some(end) = h.end {
        if c.pos() > end {
            return bad!(
                "{what} (version {}) read {} bytes past its byte count",
                h.version,
                c.pos() - end
            );
        }
        c.seek(end)?;
    }
    Ok(())
}

/// Skips a whole versioned object; `fallback` is its size after the version when no byte
/// count was written (old files).
pub fn skip_object(c: &mut Cursor, fallback: Option<usize>, what: &str) -> Result<(), Bad> {
    let h = read_header(c)?;
    match (h.end, fallback) {
        (Some(end), _) => c.seek(end),
        (None, Some(n)) => c.skip(n),
        (None, None) => bad!("{what} has no byte count, cannot skip it"),
    }
}

pub fn read_tobject(c: &mut Cursor) -> Result<(), Bad> {
    let version = c.i16()?;
    if version as u16 & 0x4000 != 0 {
        c.skip(4)?;
    }
    let _unique_id = c.u32()?;
    let bits = c.u32()?;
    if bits & K_IS_REFERENCED != 0 {
        c.skip(2)?;
    }
    Ok(())
}

/// `TNamed`: returns (name, title).
pub fn read_tnamed(c: &mut Cursor) -> Result<(String, String), Bad> {
    let h = read_header(c)?;
    read_tobject(c)?;
    let name = c.string()?;
    let title = c.string()?;
    finish(c, h, "TNamed")?;
    Ok((name, title))
}

/// What an object pointer in the stream designates.
pub enum Pointer {
    Null,
    /// A reference to an object read earlier, by its map position.
    Earlier(usize),
    /// A new object of this class; the cursor is at its data. `end` is where it ends if a
    /// byte count was written; `map_pos` is the position to register it under.
    New {
        class: String,
        end: Option<usize>,
        map_pos: usize,
    },
}

/// Reads the head of an object pointer (`TBufferFile::ReadObjectAny`), resolving class
/// references through `classes` (map position → class name) and registering new class names.
pub fn read_pointer(
    c: &mut Cursor,
    classes: &mut std::collections::HashMap<usize, String>,
) -> Result<Pointer, Bad> {
    let beg = c.displacement();
    let beg_pos = c.pos();
    let first = c.u32()?;
    let (tag, end, tag_disp) = if first & K_BYTE_COUNT_MASK == 0 || first == K_NEW_CLASS_TAG {
        (first, None, beg)
    } else {
        let count = (first & !K_BYTE_COUNT_MASK) as usize;
        let end = beg_pos + 4 + count;
        if end > c.len() {
            return bad!(
                "object at offset {beg_pos} claims {count} bytes, beyond the end of its \
                 {}-byte buffer",
                c.len()
            );
        }
        let tag_disp = c.displacement();
        (c.u32()?, Some(end), tag_disp)
    };
    if tag & K_CLASS_MASK == 0 {
        if tag == 0 {
            return Ok(Pointer::Null);
        }
        if let Some(end) = end {
            c.seek(end)?;
        }
        return Ok(Pointer::Earlier(tag as usize));
    }
    let class = if tag == K_NEW_CLASS_TAG {
        let name = c.cstring()?;
        classes.insert(tag_disp + K_MAP_OFFSET, name.clone());
        name
    } else {
        let pos = (tag & !K_CLASS_MASK) as usize;
        match classes.get(&pos) {
            Some(name) => name.clone(),
            None => {
                return bad!(
                    "object at offset {beg_pos} refers to an unknown class (reference {pos})"
                );
            }
        }
    };
    Ok(Pointer::New {
        class,
        end,
        map_pos: beg + K_MAP_OFFSET,
    })
}
