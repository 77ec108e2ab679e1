//! The file's streamer info (the `TList` of `TStreamerInfo` at the header's `fSeekInfo`), as far
//! as the reader needs it: for each class, its elements in order — name, title (which carries
//! the packing range of a `Double32_t` member), type code and type name — so that members of
//! split objects (`Double32_t`, `std::vector<T>`) can be decoded. Elements the reader does not
//! model keep their place (a member's `fID` indexes this list) as `None`.

use std::collections::HashMap;
use std::sync::Arc;

use super::compression::Decoders;
use super::cursor::Cursor;
use super::error::{Bad, bad};
use super::file::{RootFile, read_key_header};
use super::streamer::{Pointer, finish, read_header, read_pointer, read_tnamed, read_tobject};

/// One element of a class's streamer info.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ElementInfo {
    pub name: String,
    pub title: String,
    /// `TStreamerElement::fType` (9 Double32_t, 19 Float16_t, 300 an STL container, ...).
    pub ftype: i32,
    pub type_name: String,
}

/// Class name → its elements, in streamer order.
pub(crate) type Classes = HashMap<String, Vec<Option<ElementInfo>>>;

impl RootFile {
    /// The file's streamer info, parsed once.
    pub(crate) fn streamer_classes(&self) -> Result<Arc<Classes>, String> {
        self.streamers
            .get_or_init(|| self.read_streamers().map(Arc::new).map_err(|b| b.0))
            .clone()
    }

    fn read_streamers(&self) -> Result<Classes, Bad> {
        if self.seek_info == 0 {
            return bad!("the file has no streamer info");
        }
        let raw = self.read_vec(self.seek_info, self.nbytes_info as usize)?;
        let key = read_key_header(&mut Cursor::new(&raw))?;
        let buf = self.read_object(&key, &mut Decoders::default())?;
        let mut c = Cursor::with_origin(&buf, key.keylen as usize);
        let mut classes = HashMap::new();
        let mut tags = HashMap::new();
        let h = read_header(&mut c)?;
        if h.version > 3 {
            read_tobject(&mut c)?;
            c.string()?;
        }
        let n = c.i32()?;
        if n < 0 || n as usize > c.remaining() {
            return bad!("the streamer list claims {n} entries");
        }
        for _ in 0..n {
            match read_pointer(&mut c, &mut tags)? {
                Pointer::New { class, end, .. } if class == "TStreamerInfo" => {
                    let (name, elements) = streamer_info(&mut c, &mut tags)?;
                    classes.insert(name, elements);
                    if let Some(end) = end {
                        c.seek(end)?;
                    }
                }
                Pointer::New { end: Some(end), .. } => c.seek(end)?,
                Pointer::New {
                    class, end: None, ..
                } => {
                    return bad!("a {class} in the streamer list has no byte count");
                }
                Pointer::Null | Pointer::Earlier(_) => {}
            }
            // The option string of each list entry.
            let len = c.u8()? as usize;
            let len = if len == 255 {
                c.i32()?.max(0) as usize
            } else {
                len
            };
            c.skip(len)?;
        }
        finish(&mut c, h, "TList")?;
        Ok(classes)
    }
}

/// A `TStreamerInfo`: its class name and elements.
fn streamer_info(
    c: &mut Cursor,
    tags: &mut HashMap<usize, String>,
) -> Result<(String, Vec<Option<ElementInfo>>), Bad> {
    let h = read_header(c)?;
    let (name, _title) = read_tnamed(c)?;
    let _checksum = c.u32()?;
    let _class_version = c.i32()?;
    let mut elements = Vec::new();
    if let Pointer::New { end, .. } = read_pointer(c, tags)? {
        // The TObjArray of elements.
        let ah = read_header(c)?;
        if ah.version > 2 {
            read_tobject(c)?;
        }
        if ah.version > 1 {
            c.string()?;
        }
        let n = c.i32()?;
        let _lower = c.i32()?;
        if n < 0 || n as usize > c.remaining() {
            return bad!("class `{name}` claims {n} streamer elements");
        }
        for _ in 0..n {
            elements.push(match read_pointer(c, tags)? {
                Pointer::New {
                    class,
                    end: Some(end),
                    ..
                } => {
                    let e = element(c, &class).ok();
                    c.seek(end)?;
                    e
                }
                Pointer::New {
                    class, end: None, ..
                } => {
                    return bad!("a {class} of class `{name}` has no byte count");
                }
                Pointer::Null | Pointer::Earlier(_) => None,
            });
        }
        finish(c, ah, "TObjArray")?;
        if let Some(end) = end {
            c.seek(end)?;
        }
    }
    finish(c, h, "TStreamerInfo")?;
    Ok((name, elements))
}

/// A `TStreamerElement` subclass object: its own header (and `TStreamerSTL`'s, for
/// `TStreamerSTLstring`), then the `TStreamerElement` part.
fn element(c: &mut Cursor, class: &str) -> Result<ElementInfo, Bad> {
    let _own = read_header(c)?;
    if class == "TStreamerSTLstring" {
        let _stl = read_header(c)?;
    }
    let h = read_header(c)?;
    let (name, title) = read_tnamed(c)?;
    let ftype = c.i32()?;
    let _size = c.i32()?;
    let _array_length = c.i32()?;
    let _array_dim = c.i32()?;
    if h.version == 1 {
        let n = c.i32()?.clamp(0, 5) as usize;
        c.skip(4 * n)?;
    } else {
        c.skip(4 * 5)?;
    }
    let type_name = c.string()?;
    finish(c, h, "TStreamerElement")?;
    Ok(ElementInfo {
        name,
        title,
        ftype,
        type_name,
    })
}
