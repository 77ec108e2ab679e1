//! The file container: header, top directory, keys, and the closing records.
//!
//! Input: serialized object payloads with their key names. Output: a ROOT file on disk.
//!
//! Layout (all numbers big-endian):
//! ```text
//! 0     header ("root", version, fBEGIN = 100, fEND, fSeekFree, ..., fSeekInfo, UUID)
//! 100   key "TFile": the top directory's names and TDirectory record (rewritten on finish)
//! ...   object keys (histograms, tree baskets, trees, subdirectories), in write order
//! end   streamer-info key, one keys-list key per directory, free-segments key
//! ```
//! Invariants: the payload of every key is written once at the end of the file and never moved, so
//! each key's `fSeekKey` is its final position; the header and the top directory record are the
//! only bytes rewritten (on [`Sink::finish`]), with the `TDirectory` records of subdirectories,
//! and all keep their size. Positions past ROOT's
//! "big file" threshold switch the affected records to 64-bit seeks, as ROOT does.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::WriteError;
use super::buffer::{put_tstring, tstring_len};
use super::compress::{ZLIB_SETTING, compress};

/// Where the first key starts (`fBEGIN`).
const BEGIN: u64 = 100;
/// ROOT switches a record to 64-bit seeks once a position passes this.
const BIG_FILE: u64 = 2_000_000_000;
/// Version number anac writes in the header (ROOT 6.30 numbering; big files add 1,000,000).
const FILE_VERSION: i32 = 63000;
/// Size of the top directory's `TDirectory` record, padded so the 64-bit form fits in place.
const DIR_RECORD: usize = 60;

/// Where a key landed: what the directory and a tree's branch tables need.
#[derive(Debug, Clone)]
pub struct KeyPlace {
    pub seek: u64,
    pub nbytes: u32,
    pub objlen: u32,
    pub keylen: u32,
}

/// What a key's header says apart from sizes and position.
pub struct KeyName<'a> {
    pub class: &'a str,
    pub name: &'a str,
    pub title: &'a str,
    pub cycle: i16,
}

/// Index of a directory in a [`Sink`]; 0 is the top directory.
pub type DirId = usize;

/// One directory: where its key is and which keys it lists.
struct Dir {
    name: String,
    title: String,
    /// Position of the directory's own key (`fSeekDir`); `BEGIN` for the top directory.
    seek: u64,
    /// Length of that key's header (subdirectories; the record follows it).
    keylen: usize,
    parent: DirId,
    /// Headers of the keys listed in this directory, in write order.
    listed: Vec<Vec<u8>>,
}

/// An open output: a temporary file beside the target, renamed into place by [`Sink::finish`].
pub struct Sink {
    out: BufWriter<File>,
    tmp: PathBuf,
    target: PathBuf,
    /// The file name stored in the top directory (the target's, never the temporary one's).
    name: String,
    end: u64,
    datime: u32,
    uuid: [u8; 16],
    /// Directories, the top one first.
    dirs: Vec<Dir>,
}

impl Sink {
    pub fn create(target: &Path) -> Result<Self, WriteError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Self::create_with(target, datime(now.as_secs()), uuid(now.as_nanos(), target))
    }

    /// A sink whose timestamp and UUID are given, so that the same objects give the same bytes.
    pub fn create_reproducible(target: &Path, seed: &[u8]) -> Result<Self, WriteError> {
        let a = xxhash_rust::xxh64::xxh64(seed, 1);
        let b = xxhash_rust::xxh64::xxh64(seed, 2);
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&a.to_be_bytes());
        id[8..].copy_from_slice(&b.to_be_bytes());
        // 2000-01-01 00:00:00 UTC: a fixed, valid ROOT date.
        Self::create_with(target, datime(946_684_800), id)
    }

    fn create_with(target: &Path, datime: u32, uuid: [u8; 16]) -> Result<Self, WriteError> {
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| WriteError::BadPath(target.to_path_buf()))?
            .to_string();
        let tmp = target.with_file_name(format!(".{name}.anac-tmp-{}", std::process::id()));
        let file = File::create(&tmp).map_err(|e| WriteError::io(&tmp, e))?;
        let mut sink = Sink {
            out: BufWriter::new(file),
            tmp,
            target: target.to_path_buf(),
            name,
            end: 0,
            datime,
            uuid,
            dirs: Vec::new(),
        };
        // Header and top directory are placeholders until finish; write them now so the first
        // object lands after them.
        sink.dirs.push(Dir {
            name: sink.name.clone(),
            title: String::new(),
            seek: BEGIN,
            keylen: 0,
            parent: 0,
            listed: Vec::new(),
        });
        sink.put(&[0u8; BEGIN as usize])?;
        let top = sink.top_directory(0, 0, 0);
        sink.put(&top)?;
        Ok(sink)
    }

    /// Length of a key header at the current position (`big` forces 64-bit seeks, as baskets use).
    pub fn keylen(&self, k: &KeyName, big: bool) -> usize {
        let seeks = if big || self.end > BIG_FILE { 16 } else { 8 };
        18 + seeks + tstring_len(k.class) + tstring_len(k.name) + tstring_len(k.title)
    }

    /// Writes one key: header, `extra` header bytes (a basket's own header), then `payload`,
    /// compressed when that saves space. `listed` keys go into the key list of directory `dir`,
    /// which every key names as its parent.
    pub fn write_key(
        &mut self,
        k: &KeyName,
        big: bool,
        extra: &[u8],
        payload: &[u8],
        listed: bool,
        dir: DirId,
    ) -> Result<KeyPlace, WriteError> {
        let keylen = self.keylen(k, big) + extra.len();
        let stored = compress(payload);
        let body: &[u8] = stored.as_deref().unwrap_or(payload);
        let objlen = to_u32(payload.len(), "object")?;
        let nbytes = to_u32(keylen + body.len(), "key")?;
        let seek = self.end;
        let pdir = self.dirs[dir].seek;
        let mut header = key_header(k, big, nbytes, objlen, keylen, seek, pdir, self.datime);
        if listed {
            self.dirs[dir].listed.push(header.clone());
        }
        header.extend_from_slice(extra);
        self.put(&header)?;
        self.put(body)?;
        Ok(KeyPlace {
            seek,
            nbytes,
            objlen,
            keylen: keylen as u32,
        })
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), WriteError> {
        self.out
            .write_all(bytes)
            .map_err(|e| WriteError::io(&self.tmp, e))?;
        self.end += bytes.len() as u64;
        Ok(())
    }

    /// Creates subdirectory `name` of `parent`: its key now, its record filled in on finish.
    pub fn mkdir(&mut self, parent: DirId, name: &str, title: &str) -> Result<DirId, WriteError> {
        let k = KeyName {
            class: "TDirectory",
            name,
            title,
            cycle: 1,
        };
        let keylen = self.keylen(&k, false);
        let seek = self.end;
        let record = self.dir_record(0, 0, seek, 0, 0);
        let nbytes = to_u32(keylen + record.len(), "directory")?;
        let pdir = self.dirs[parent].seek;
        let objlen = record.len() as u32;
        let header = key_header(&k, false, nbytes, objlen, keylen, seek, pdir, self.datime);
        self.dirs[parent].listed.push(header.clone());
        self.put(&header)?;
        self.put(&record)?;
        self.dirs.push(Dir {
            name: name.to_string(),
            title: title.to_string(),
            seek,
            keylen,
            parent,
            listed: Vec::new(),
        });
        Ok(self.dirs.len() - 1)
    }

    /// A `TDirectory` record, padded so the 64-bit form fits in the same space.
    fn dir_record(
        &self,
        nbytes_keys: u32,
        nbytes_name: u32,
        seek_dir: u64,
        seek_parent: u64,
        seek_keys: u64,
    ) -> Vec<u8> {
        let big = seek_keys > BIG_FILE || seek_dir > BIG_FILE;
        let mut rec = Vec::with_capacity(DIR_RECORD);
        rec.extend_from_slice(&(if big { 1005i16 } else { 5 }).to_be_bytes());
        rec.extend_from_slice(&self.datime.to_be_bytes());
        rec.extend_from_slice(&self.datime.to_be_bytes());
        rec.extend_from_slice(&nbytes_keys.to_be_bytes());
        rec.extend_from_slice(&nbytes_name.to_be_bytes());
        for seek in [seek_dir, seek_parent, seek_keys] {
            put_seek(&mut rec, seek, big);
        }
        rec.extend_from_slice(&1u16.to_be_bytes());
        rec.extend_from_slice(&self.uuid);
        rec.resize(DIR_RECORD, 0);
        rec
    }

    /// Writes directory `d`'s key list; returns its place.
    fn write_key_list(&mut self, d: DirId) -> Result<KeyPlace, WriteError> {
        let listed = std::mem::take(&mut self.dirs[d].listed);
        let mut payload = (listed.len() as i32).to_be_bytes().to_vec();
        for h in &listed {
            payload.extend_from_slice(h);
        }
        let (name, title) = (self.dirs[d].name.clone(), self.dirs[d].title.clone());
        let k = KeyName {
            class: if d == 0 { "TFile" } else { "TDirectory" },
            name: &name,
            title: &title,
            cycle: 1,
        };
        self.write_raw_key(&k, &payload, self.dirs[d].seek)
    }

    /// The key at `fBEGIN` holding the top directory: its names and its `TDirectory` record.
    fn top_directory(&self, seek_keys: u64, nbytes_keys: u32, nbytes_name: u32) -> Vec<u8> {
        let k = KeyName {
            class: "TFile",
            name: &self.name,
            title: "",
            cycle: 1,
        };
        let keylen = 18 + 8 + tstring_len(k.class) + tstring_len(k.name) + tstring_len(k.title);
        let mut payload = Vec::new();
        put_tstring(&mut payload, &self.name);
        put_tstring(&mut payload, "");
        let rec = self.dir_record(nbytes_keys, nbytes_name, BEGIN, 0, seek_keys);
        payload.extend_from_slice(&rec);
        let objlen = payload.len() as u32;
        let nbytes = keylen as u32 + objlen;
        let mut out = key_header(&k, false, nbytes, objlen, keylen, BEGIN, 0, self.datime);
        out.extend_from_slice(&payload);
        out
    }

    /// Writes the streamer infos, key list and free list, rewrites header and top directory, and
    /// renames the temporary file onto the target.
    pub fn finish(
        mut self,
        streamer_payload: impl FnOnce(u32) -> Vec<u8>,
    ) -> Result<(), WriteError> {
        let info_name = KeyName {
            class: "TList",
            name: "StreamerInfo",
            title: "Doubly linked list",
            cycle: 1,
        };
        let info_keylen = self.keylen(&info_name, false) as u32;
        let payload = streamer_payload(info_keylen);
        let info = self.write_key(&info_name, false, &[], &payload, false, 0)?;

        // Subdirectories' key lists, then their records (rewritten in place below).
        let mut records = Vec::new();
        for d in 1..self.dirs.len() {
            let keys = self.write_key_list(d)?;
            let dir = &self.dirs[d];
            let parent_seek = self.dirs[dir.parent].seek;
            let (seek, keylen) = (dir.seek, dir.keylen);
            let rec = self.dir_record(keys.nbytes, keylen as u32, seek, parent_seek, keys.seek);
            records.push((seek + keylen as u64, rec));
        }

        let keys = self.write_key_list(0)?;
        let dir_name = KeyName {
            class: "TFile",
            name: &self.name.clone(),
            title: "",
            cycle: 1,
        };

        // The free list names the one free segment: everything after the file's end.
        let free_keylen = self.keylen(&dir_name, false);
        let big_free = self.end + 64 > BIG_FILE;
        let free_objlen = if big_free { 2 + 16 } else { 2 + 8 };
        let file_end = self.end + (free_keylen + free_objlen) as u64;
        let mut free = Vec::new();
        if big_free {
            free.extend_from_slice(&1001i16.to_be_bytes());
            free.extend_from_slice(&file_end.to_be_bytes());
            free.extend_from_slice(&(BIG_FILE * 1000).to_be_bytes());
        } else {
            free.extend_from_slice(&1i16.to_be_bytes());
            free.extend_from_slice(&(file_end as u32).to_be_bytes());
            free.extend_from_slice(&(BIG_FILE as u32).to_be_bytes());
        }
        let free_key = self.write_raw_key(&dir_name, &free, BEGIN)?;

        // fNbytesName: the top key's header plus the directory's name and title.
        let names = tstring_len(&self.name) + tstring_len("");
        let nbytes_name = (18 + 8 + tstring_len("TFile") + 2 * names) as u32;
        let top = self.top_directory(keys.seek, keys.nbytes, nbytes_name);
        let header = self.header(&info, &free_key, nbytes_name);
        let tmp = self.tmp.clone();
        let mut file = self
            .out
            .into_inner()
            .map_err(|e| WriteError::io(&tmp, e.into_error()))?;
        let io = |e| WriteError::io(&tmp, e);
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(&header).map_err(io)?;
        file.seek(SeekFrom::Start(BEGIN)).map_err(io)?;
        file.write_all(&top).map_err(io)?;
        for (at, rec) in &records {
            file.seek(SeekFrom::Start(*at)).map_err(io)?;
            file.write_all(rec).map_err(io)?;
        }
        file.sync_all().map_err(io)?;
        drop(file);
        std::fs::rename(&tmp, &self.target).map_err(|e| WriteError::io(&self.target, e))?;
        Ok(())
    }

    /// A key whose payload is stored uncompressed (ROOT never compresses key and free lists).
    fn write_raw_key(
        &mut self,
        k: &KeyName,
        payload: &[u8],
        pdir: u64,
    ) -> Result<KeyPlace, WriteError> {
        let keylen = self.keylen(k, false);
        let objlen = to_u32(payload.len(), "record")?;
        let nbytes = to_u32(keylen + payload.len(), "record")?;
        let seek = self.end;
        let header = key_header(k, false, nbytes, objlen, keylen, seek, pdir, self.datime);
        self.put(&header)?;
        self.put(payload)?;
        Ok(KeyPlace {
            seek,
            nbytes,
            objlen,
            keylen: keylen as u32,
        })
    }

    fn header(&self, info: &KeyPlace, free: &KeyPlace, nbytes_name: u32) -> Vec<u8> {
        let end = self.end;
        let big = end > BIG_FILE;
        let mut h = b"root".to_vec();
        let version = if big {
            FILE_VERSION + 1_000_000
        } else {
            FILE_VERSION
        };
        h.extend_from_slice(&version.to_be_bytes());
        h.extend_from_slice(&(BEGIN as i32).to_be_bytes());
        put_seek(&mut h, end, big);
        put_seek(&mut h, free.seek, big);
        h.extend_from_slice(&free.nbytes.to_be_bytes());
        h.extend_from_slice(&1i32.to_be_bytes()); // number of free segments
        h.extend_from_slice(&nbytes_name.to_be_bytes());
        h.push(if big { 8 } else { 4 });
        h.extend_from_slice(&ZLIB_SETTING.to_be_bytes());
        put_seek(&mut h, info.seek, big);
        h.extend_from_slice(&info.nbytes.to_be_bytes());
        h.extend_from_slice(&1u16.to_be_bytes());
        h.extend_from_slice(&self.uuid);
        h.resize(BEGIN as usize, 0);
        h
    }

    /// Removes the temporary file of an output that was abandoned before `finish`.
    /// The temporary name the file is written under until [`Sink::finish`] renames it.
    pub fn tmp_path(&self) -> &Path {
        &self.tmp
    }

    pub fn abandon(self) {
        let tmp = self.tmp.clone();
        drop(self.out);
        // Best effort: the output was never complete, so there is nothing else to preserve.
        let _ = std::fs::remove_file(tmp);
    }
}

#[allow(clippy::too_many_arguments)]
fn key_header(
    k: &KeyName,
    big: bool,
    nbytes: u32,
    objlen: u32,
    keylen: usize,
    seek: u64,
    pdir: u64,
    datime: u32,
) -> Vec<u8> {
    let big = big || seek > BIG_FILE;
    let mut h = Vec::with_capacity(keylen);
    h.extend_from_slice(&nbytes.to_be_bytes());
    h.extend_from_slice(&(if big { 1004i16 } else { 4 }).to_be_bytes());
    h.extend_from_slice(&objlen.to_be_bytes());
    h.extend_from_slice(&datime.to_be_bytes());
    h.extend_from_slice(&(keylen as i16).to_be_bytes());
    h.extend_from_slice(&k.cycle.to_be_bytes());
    put_seek(&mut h, seek, big);
    put_seek(&mut h, pdir, big);
    put_tstring(&mut h, k.class);
    put_tstring(&mut h, k.name);
    put_tstring(&mut h, k.title);
    h
}

fn put_seek(out: &mut Vec<u8>, seek: u64, big: bool) {
    if big {
        out.extend_from_slice(&seek.to_be_bytes());
    } else {
        out.extend_from_slice(&(seek as u32).to_be_bytes());
    }
}

fn to_u32(n: usize, what: &'static str) -> Result<u32, WriteError> {
    u32::try_from(n)
        .ok()
        .filter(|&n| n < 0x4000_0000)
        .ok_or(WriteError::TooLarge(what))
}

/// ROOT's packed date: years since 1995, month, day, hour, minute, second (UTC).
fn datime(unix: u64) -> u32 {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    // Days since 1970-01-01 to a civil date (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as u32;
    let (h, m, s) = (
        (secs / 3600) as u32,
        (secs / 60 % 60) as u32,
        (secs % 60) as u32,
    );
    (year.saturating_sub(1995) << 26) | (month << 22) | (day << 17) | (h << 12) | (m << 6) | s
}

/// A file identifier: unique enough to tell two outputs apart, not a cryptographic value.
fn uuid(nanos: u128, path: &Path) -> [u8; 16] {
    let seed = format!("{nanos}:{}:{}", std::process::id(), path.display());
    let a = xxhash_rust::xxh64::xxh64(seed.as_bytes(), 1);
    let b = xxhash_rust::xxh64::xxh64(seed.as_bytes(), 2);
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&a.to_be_bytes());
    out[8..].copy_from_slice(&b.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datime_packs_utc_fields() {
        // 2024-03-05 06:07:08 UTC
        let d = datime(1_709_618_828);
        assert_eq!(d >> 26, 2024 - 1995);
        assert_eq!((d >> 22) & 0xf, 3);
        assert_eq!((d >> 17) & 0x1f, 5);
        assert_eq!((d >> 12) & 0x1f, 6);
        assert_eq!((d >> 6) & 0x3f, 7);
        assert_eq!(d & 0x3f, 8);
    }
}
