//! A ROOT file on disk: the header, directories and their key lists, and reading one key's
//! object (decompressed) — the layer under trees.
//!
//! Reads are positional, through a [`ByteSource`] (a local file today), so one `RootFile` serves
//! many threads. Every seek and length from the file is checked against the file size before
//! anything is allocated.

use super::compression::{Decoders, decompress};
use super::cursor::Cursor;
use super::error::{Bad, RootError, bad};
use super::source::{ByteSource, LocalFile};
use std::path::{Path, PathBuf};

/// Largest object or basket this reader accepts (ROOT's own buffer limit is 1 GiB).
pub const MAX_OBJECT: usize = 1 << 30;
/// How deep subdirectories are followed (bounds the walk on a corrupt, self-referencing file).
const MAX_DEPTH: usize = 32;

/// One entry of a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub name: String,
    pub class_name: String,
    pub cycle: i16,
    pub title: String,
}

/// A key header as stored before each object.
#[derive(Debug, Clone)]
pub(crate) struct Key {
    pub nbytes: u32,
    pub objlen: u32,
    pub keylen: u16,
    pub cycle: i16,
    pub seek_key: u64,
    pub class_name: String,
    pub name: String,
    pub title: String,
}

/// An open ROOT file.
pub struct RootFile {
    path: PathBuf,
    source: Box<dyn ByteSource>,
    size: u64,
    /// Where the top directory's key list is, and its size.
    seek_keys: u64,
    nbytes_keys: u32,
    compress: i32,
    /// The file's UUID (from its top directory): its identity, whatever its path.
    uuid: [u8; 16],
    /// Where the streamer-info record is, and its size (0 when absent).
    pub(crate) seek_info: u64,
    pub(crate) nbytes_info: u32,
    /// The streamer info, read on first use (`streamers.rs`).
    pub(crate) streamers:
        std::sync::OnceLock<Result<std::sync::Arc<super::streamers::Classes>, String>>,
}

impl std::fmt::Debug for RootFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RootFile")
            .field("path", &self.path)
            .finish()
    }
}

pub(crate) fn read_key_header(c: &mut Cursor) -> Result<Key, Bad> {
    let nbytes = c.i32()?;
    let version = c.i16()?;
    let objlen = c.i32()?;
    let _datime = c.u32()?;
    let keylen = c.i16()?;
    let cycle = c.i16()?;
    let (seek_key, _seek_pdir) = if version > 1000 {
        (c.i64()?, c.i64()?)
    } else {
        (c.i32()? as i64, c.i32()? as i64)
    };
    let class_name = c.string()?;
    let name = c.string()?;
    let title = c.string()?;
    if nbytes < 0 || objlen < 0 || keylen < 0 || seek_key < 0 {
        return bad!(
            "key `{name}` has a negative size or position (nbytes {nbytes}, objlen {objlen}, \
             keylen {keylen}, seek {seek_key})"
        );
    }
    Ok(Key {
        nbytes: nbytes as u32,
        objlen: objlen as u32,
        keylen: keylen as u16,
        cycle,
        seek_key: seek_key as u64,
        class_name,
        name,
        title,
    })
}

impl RootFile {
    pub fn open(path: impl AsRef<Path>) -> Result<RootFile, RootError> {
        let path = path.as_ref().to_path_buf();
        let source = LocalFile::open(&path).map_err(|source| RootError::Io {
            path: path.clone(),
            source,
        })?;
        RootFile::from_source(path, Box::new(source))
    }

    /// Opens a ROOT file whose bytes come from `source`; `path` names it in messages.
    pub fn from_source(path: PathBuf, source: Box<dyn ByteSource>) -> Result<RootFile, RootError> {
        let size = source.size();
        let mut f = RootFile {
            path,
            source,
            size,
            seek_keys: 0,
            nbytes_keys: 0,
            compress: 0,
            uuid: [0; 16],
            seek_info: 0,
            nbytes_info: 0,
            streamers: std::sync::OnceLock::new(),
        };
        f.read_header().map_err(|b| b.into_invalid(&f.path))?;
        Ok(f)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Tells the byte source which ranges are about to be read (a remote source fetches them
    /// in few requests; a local file ignores it).
    pub fn prefetch(&self, ranges: &[std::ops::Range<u64>]) {
        if !ranges.is_empty() {
            self.source.prefetch(ranges);
        }
    }

    /// The file's UUID, read from its top directory record (all zero when the record is too
    /// short to hold one, as in files written by very old ROOT versions).
    pub fn uuid(&self) -> [u8; 16] {
        self.uuid
    }

    /// The file-level compression setting (`fCompress`).
    pub fn compression(&self) -> i32 {
        self.compress
    }

    /// Reads `len` bytes at `offset` into `buf` (resized), after checking they lie in the file.
    pub(crate) fn read_into(&self, offset: u64, len: usize, buf: &mut Vec<u8>) -> Result<(), Bad> {
        if offset > self.size || len as u64 > self.size - offset {
            return bad!(
                "{len} bytes at offset {offset} run past the end of the {}-byte file",
                self.size
            );
        }
        buf.clear();
        buf.resize(len, 0);
        self.source
            .read_at(offset, buf)
            .map_err(|e| Bad(format!("reading {len} bytes at offset {offset}: {e}")))
    }

    /// Reads `len` bytes at `offset` into the front of `buf` and returns them. `buf` only ever
    /// grows (a reused buffer already long enough is not zero-filled first), so its length is
    /// not the read's: use the returned slice.
    pub(crate) fn read_front<'b>(
        &self,
        offset: u64,
        len: usize,
        buf: &'b mut Vec<u8>,
    ) -> Result<&'b [u8], Bad> {
        if offset > self.size || len as u64 > self.size - offset {
            return bad!(
                "{len} bytes at offset {offset} run past the end of the {}-byte file",
                self.size
            );
        }
        if buf.len() < len {
            buf.resize(len, 0);
        }
        self.source
            .read_at(offset, &mut buf[..len])
            .map_err(|e| Bad(format!("reading {len} bytes at offset {offset}: {e}")))?;
        Ok(&buf[..len])
    }

    pub(crate) fn read_vec(&self, offset: u64, len: usize) -> Result<Vec<u8>, Bad> {
        let mut v = Vec::new();
        self.read_into(offset, len, &mut v)?;
        Ok(v)
    }

    fn read_header(&mut self) -> Result<(), Bad> {
        let head = self.read_vec(0, (self.size.min(128)) as usize)?;
        let mut c = Cursor::new(&head);
        if c.bytes(4).ok() != Some(b"root".as_slice()) {
            return bad!("it does not start with the ROOT magic bytes `root`");
        }
        let version = c.i32()?;
        let begin = c.i32()?;
        let large = version >= 1_000_000;
        if large {
            let _end = c.i64()?;
            let _seek_free = c.i64()?;
        } else {
            let _end = c.i32()?;
            let _seek_free = c.i32()?;
        }
        let _nbytes_free = c.i32()?;
        let _nfree = c.i32()?;
        let nbytes_name = c.i32()?;
        let _units = c.u8()?;
        self.compress = c.i32()?;
        let (seek_info, nbytes_info) = if large {
            (c.i64()?, c.i32()?)
        } else {
            (c.i32()? as i64, c.i32()?)
        };
        if seek_info > 0 && nbytes_info > 0 {
            self.seek_info = seek_info as u64;
            self.nbytes_info = nbytes_info as u32;
        }
        if begin <= 0 || nbytes_name < 0 {
            return bad!("header has an invalid start ({begin}) or name length ({nbytes_name})");
        }
        let dir_at = begin as u64 + nbytes_name as u64;
        let (seek_keys, nbytes_keys) = self
            .read_directory(dir_at)
            .map_err(|e| e.context("top directory"))?;
        self.uuid = self.read_uuid(dir_at).unwrap_or([0; 16]);
        self.seek_keys = seek_keys;
        self.nbytes_keys = nbytes_keys;
        Ok(())
    }

    /// The UUID stored after a TDirectory record's seek fields (version u16, then 16 bytes).
    fn read_uuid(&self, at: u64) -> Option<[u8; 16]> {
        let len = (self.size.checked_sub(at)?).min(64) as usize;
        let buf = self.read_vec(at, len).ok()?;
        let version = i16::from_be_bytes([*buf.first()?, *buf.get(1)?]);
        let skip = if version > 1000 {
            2 + 4 * 4 + 3 * 8
        } else {
            2 + 4 * 4 + 3 * 4
        };
        let bytes = buf.get(skip + 2..skip + 18)?;
        let mut out = [0u8; 16];
        out.copy_from_slice(bytes);
        Some(out)
    }

    /// Reads a TDirectory record at `at`: returns (seek of key list, its size).
    fn read_directory(&self, at: u64) -> Result<(u64, u32), Bad> {
        if at >= self.size {
            return bad!("directory record at {at} is beyond the end of the file");
        }
        let len = (self.size - at).min(64) as usize;
        let buf = self.read_vec(at, len)?;
        let mut c = Cursor::new(&buf);
        let version = c.i16()?;
        let _datime_c = c.u32()?;
        let _datime_m = c.u32()?;
        let nbytes_keys = c.i32()?;
        let _nbytes_name = c.i32()?;
        let seek_keys = if version > 1000 {
            let _seek_dir = c.i64()?;
            let _seek_parent = c.i64()?;
            c.i64()?
        } else {
            let _seek_dir = c.i32()?;
            let _seek_parent = c.i32()?;
            c.i32()? as i64
        };
        if nbytes_keys < 0 || seek_keys < 0 {
            return bad!("directory has an invalid key list ({nbytes_keys} bytes at {seek_keys})");
        }
        Ok((seek_keys as u64, nbytes_keys as u32))
    }

    fn read_key_list(&self, seek: u64, nbytes: u32) -> Result<Vec<Key>, Bad> {
        if seek == 0 {
            return Ok(Vec::new());
        }
        let buf = self.read_vec(seek, nbytes as usize)?;
        let mut c = Cursor::new(&buf);
        let head = read_key_header(&mut c)?;
        c.seek(head.keylen as usize)?;
        let n = c.i32()?;
        // A key header takes at least 26 bytes: this bounds the count before allocating.
        if n < 0 || n as usize > c.remaining() / 26 {
            return bad!(
                "key list at {seek} claims {n} keys, which cannot fit in its {nbytes} bytes"
            );
        }
        let mut keys = Vec::with_capacity(n as usize);
        for i in 0..n {
            keys.push(read_key_header(&mut c).map_err(|e| e.context(format!("key {i}")))?);
        }
        Ok(keys)
    }

    fn top_keys(&self) -> Result<Vec<Key>, RootError> {
        self.read_key_list(self.seek_keys, self.nbytes_keys)
            .map_err(|b| b.context("top directory key list").into_invalid(&self.path))
    }

    /// Top-level keys, in file order.
    pub fn keys(&self) -> Result<Vec<KeyInfo>, RootError> {
        Ok(self
            .top_keys()?
            .into_iter()
            .map(|k| KeyInfo {
                name: k.name,
                class_name: k.class_name,
                cycle: k.cycle,
                title: k.title,
            })
            .collect())
    }

    /// Keys of the directory at `path` (`""` for the top; `a/b` for subdirectories).
    pub(crate) fn keys_in(&self, dir: &str) -> Result<Vec<Key>, RootError> {
        let mut keys = self.top_keys()?;
        for (depth, part) in dir.split('/').filter(|p| !p.is_empty()).enumerate() {
            if depth >= MAX_DEPTH {
                return Err(RootError::NotFound {
                    path: self.path.clone(),
                    what: format!("directory `{dir}` is nested too deeply"),
                });
            }
            let Some(k) = highest_cycle(&keys, part, is_directory) else {
                return Err(RootError::NotFound {
                    path: self.path.clone(),
                    what: format!("no directory `{part}` in `{dir}`"),
                });
            };
            keys = self.subdirectory_keys(&k).map_err(|b| {
                b.context(format!("directory `{part}`"))
                    .into_invalid(&self.path)
            })?;
        }
        Ok(keys)
    }

    fn subdirectory_keys(&self, k: &Key) -> Result<Vec<Key>, Bad> {
        let (seek, nbytes) = self.read_directory(k.seek_key + k.keylen as u64)?;
        self.read_key_list(seek, nbytes)
    }

    /// Names of all trees, subdirectories included (`dir/name`), highest cycles, file order.
    pub fn trees(&self) -> Result<Vec<String>, RootError> {
        let mut out = Vec::new();
        let keys = self.top_keys()?;
        let mut visited = std::collections::HashSet::new();
        self.collect_trees(&keys, "", 0, &mut visited, &mut out)?;
        Ok(out)
    }

    fn collect_trees(
        &self,
        keys: &[Key],
        prefix: &str,
        depth: usize,
        visited: &mut std::collections::HashSet<u64>,
        out: &mut Vec<String>,
    ) -> Result<(), RootError> {
        for k in keys {
            let full = format!("{prefix}{}", k.name);
            if is_tree_class(&k.class_name) {
                if !out.contains(&full) {
                    out.push(full);
                }
            } else if is_directory(&k.class_name) && depth < MAX_DEPTH && visited.insert(k.seek_key)
            {
                // `visited`: a corrupt file whose directories contain each other ends here.
                let sub = self.subdirectory_keys(k).map_err(|b| {
                    b.context(format!("directory `{full}`"))
                        .into_invalid(&self.path)
                })?;
                self.collect_trees(&sub, &format!("{full}/"), depth + 1, visited, out)?;
            }
        }
        Ok(())
    }

    /// The key of the tree `name` (`dir/name` allowed), highest cycle.
    pub(crate) fn tree_key(&self, name: &str) -> Result<Key, RootError> {
        let (dir, base) = match name.rfind('/') {
            Some(i) => (&name[..i], &name[i + 1..]),
            None => ("", name),
        };
        let keys = self.keys_in(dir)?;
        match highest_cycle(&keys, base, is_tree_class) {
            Some(k) => Ok(k),
            None => {
                let trees = match self.trees() {
                    Ok(t) if t.is_empty() => "the file holds no trees".to_string(),
                    Ok(t) => format!("trees in the file: {}", t.join(", ")),
                    Err(e) => format!("its trees cannot be listed: {e}"),
                };
                Err(RootError::NotFound {
                    path: self.path.clone(),
                    what: format!("no tree named `{name}` ({trees})"),
                })
            }
        }
    }

    /// The class name and decompressed object bytes of the key `name` (`dir/name` allowed),
    /// highest cycle among the keys whose class `accept` takes (the RNTuple reader's anchor).
    pub(crate) fn object_of_class(
        &self,
        name: &str,
        accept: fn(&str) -> bool,
    ) -> Result<(String, Vec<u8>), RootError> {
        let (dir, base) = match name.rfind('/') {
            Some(i) => (&name[..i], &name[i + 1..]),
            None => ("", name),
        };
        let keys = self.keys_in(dir)?;
        let Some(k) = highest_cycle(&keys, base, accept) else {
            return Err(RootError::NotFound {
                path: self.path.clone(),
                what: format!("no RNTuple named `{name}`"),
            });
        };
        let mut dec = Decoders::default();
        let buf = self
            .read_object(&k, &mut dec)
            .map_err(|b| b.context(format!("key `{name}`")).into_invalid(&self.path))?;
        Ok((k.class_name, buf))
    }

    /// The decompressed object bytes of a key.
    pub(crate) fn read_object(&self, k: &Key, dec: &mut Decoders) -> Result<Vec<u8>, Bad> {
        if k.nbytes < k.keylen as u32 {
            return bad!("key `{}` is shorter ({}) than its header", k.name, k.nbytes);
        }
        let raw = self.read_vec(k.seek_key, k.nbytes as usize)?;
        let payload = &raw[k.keylen as usize..];
        let objlen = k.objlen as usize;
        if objlen > MAX_OBJECT {
            return bad!("object `{}` claims {objlen} bytes, more than 1 GiB", k.name);
        }
        if payload.len() == objlen {
            return Ok(payload.to_vec());
        }
        check_frames(payload, objlen)?;
        let mut out = vec![0u8; objlen];
        decompress(dec, payload, &mut out)?;
        Ok(out)
    }
}

/// Sums the uncompressed sizes in the block headers without decompressing, so a corrupt size is
/// refused before a buffer of that size is allocated.
pub(crate) fn check_frames(src: &[u8], expected: usize) -> Result<(), Bad> {
    let (mut ip, mut total) = (0usize, 0usize);
    while total < expected {
        if src.len() - ip < 9 {
            return bad!(
                "compressed data ends after {total} of {expected} bytes (block headers cut off)"
            );
        }
        let h = &src[ip..ip + 9];
        let c = h[3] as usize | (h[4] as usize) << 8 | (h[5] as usize) << 16;
        let u = h[6] as usize | (h[7] as usize) << 8 | (h[8] as usize) << 16;
        ip += 9 + c;
        total += u;
        if ip > src.len() {
            return bad!(
                "a compressed block runs {} bytes past its data",
                ip - src.len()
            );
        }
    }
    if total != expected {
        return bad!("compressed blocks hold {total} bytes, not the declared {expected}");
    }
    Ok(())
}

fn is_tree_class(c: &str) -> bool {
    matches!(c, "TTree" | "TNtuple" | "TNtupleD")
}

fn is_directory(c: &str) -> bool {
    matches!(c, "TDirectory" | "TDirectoryFile")
}

fn highest_cycle(keys: &[Key], name: &str, class: fn(&str) -> bool) -> Option<Key> {
    keys.iter()
        .filter(|k| k.name == name && class(&k.class_name))
        .max_by_key(|k| k.cycle)
        .cloned()
}
