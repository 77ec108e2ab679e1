//! A results store: finished work units' partial results on disk, so that a run that is killed
//! continues where it stopped (`anac run ... --store DIR`).
//!
//! Layout: `DIR/store.json` (the store's identity: a hash of the optimised plan, the inputs —
//! paths, sizes, UUIDs, and those of their friend trees' files — and the anac version, plus the list of unit ids), and commit files in
//! `DIR/units/`: `ID.unit` (one finished unit's partial accumulators, binary, with an xxh64
//! checksum) or `ID.batch` (several small units committed together, each record a unit file's
//! bytes, the whole checksummed; named after its first unit, which no other commit holds).
//! Batching: a run commits finished units at most about once a second per store (and every
//! unit alone that took longer), or every N units with `--batch N`, so small units cost one
//! flush to disk per batch, not per unit; on a kill, at most the last batch is computed again.
//!
//! Invariants: a commit file is written under a temporary name, flushed to disk and renamed, so it
//! is either complete or absent (a process killed at any moment leaves no half-written unit); a
//! unit file whose checksum or id does not match is an error naming the file, never a silent
//! partial; a store made for another plan or other inputs is refused. Partials encode every float
//! by its bits, so a resumed run merges exactly the numbers an uninterrupted one would.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::accum::{CVal, CollectAcc, CounterAcc, Cutflow, HistAcc, OutputSet, SkimAcc, SkimData};
use super::units::RunPlan;
use crate::ir::Plan;

const MAGIC: &[u8; 8] = b"ANACUNIT";
const BATCH_MAGIC: &[u8; 8] = b"ANACBTCH";
/// Without `--batch`, a batch is committed once it holds this much computing time ...
const BATCH_SECONDS: f64 = 1.0;
/// ... or this many units, or is this old.
const BATCH_MAX_UNITS: usize = 256;
/// The unit file layout (3: a histogram also holds a profile's Σw·y and Σw·y²; a unit also
/// holds its skims' rows).
const VERSION: u32 = 3;

/// What a store was made from, so that `anac merge` can name the results again.
#[derive(Debug, Clone)]
pub struct Origin {
    pub analysis: PathBuf,
    pub samples: PathBuf,
}

/// A store's description (`DIR/store.json`): identity, analysis, samples and units.
pub fn describe(dir: &Path) -> Result<serde_json::Value, crate::io::text::JsonError> {
    crate::io::text::read_json(&dir.join("store.json"))
}

/// An open store. Clones share the index and the batch being filled.
#[derive(Debug, Clone)]
pub struct Store {
    pub dir: PathBuf,
    pub identity: String,
    /// The units committed when the store was opened: id → commit file.
    committed: std::sync::Arc<std::collections::HashMap<String, PathBuf>>,
    /// Finished units not yet committed.
    pending: std::sync::Arc<std::sync::Mutex<Batch>>,
    /// Units per commit (`--batch N`); `None`: by time.
    batch_units: Option<usize>,
    /// The last batch file read by [`Store::load`] (a merge reads its units one after another).
    last_read: std::sync::Arc<std::sync::Mutex<Option<ReadBatch>>>,
}

/// A batch file's path and bytes.
type ReadBatch = (PathBuf, std::sync::Arc<Vec<u8>>);

#[derive(Debug)]
struct Batch {
    /// (unit id, encoded partial, events, seconds it ran).
    items: Vec<(String, Vec<u8>, u64, f64)>,
    /// Computing time of the items, seconds.
    work: f64,
    /// When the last commit was written (or the store opened).
    since: std::time::Instant,
}

/// The committed units of the store in `dir`: id → commit file. A damaged commit file is an
/// error naming it.
pub fn committed_units(dir: &Path) -> Result<std::collections::HashMap<String, PathBuf>, String> {
    let mut out = std::collections::HashMap::new();
    let units = dir.join("units");
    let Ok(entries) = std::fs::read_dir(&units) else {
        return Ok(out);
    };
    for e in entries {
        let e = e.map_err(io(&units))?;
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue; // a commit being written
        }
        let path = e.path();
        if let Some(id) = name.strip_suffix(".unit") {
            out.insert(id.to_string(), path);
        } else if name.ends_with(".batch") {
            let bytes = std::fs::read(&path).map_err(io(&path))?;
            let records = batch_records(&bytes)
                .map_err(|e| format!("store commit `{}` is damaged: {e}", path.display()))?;
            for (id, _) in records {
                out.insert(id, path.clone());
            }
        }
    }
    Ok(out)
}

/// The (unit id, unit bytes) records of a batch file, checksum verified.
fn batch_records(bytes: &[u8]) -> Result<Vec<(String, &[u8])>, String> {
    let mut r = checked(bytes, BATCH_MAGIC, "batch")?;
    let body = r.b;
    let n = r.count(8)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let len = r.count(1)?;
        let start = r.at;
        let unit = r.take(len)?;
        // The unit's id follows its magic and version.
        let mut u = Reader { b: unit, at: 12 };
        let id = u
            .str()
            .map_err(|e| format!("record at byte {start}: {e}"))?;
        out.push((id, &body[start..start + len]));
    }
    Ok(out)
}

/// A unit's partial results, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Partial {
    pub outputs: Vec<OutputSet>,
    pub cutflow: Cutflow,
    pub events: u64,
    pub max_weight: f64,
}

/// The identity of a run: plan, inputs and anac version.
pub fn identity(plan: &Plan, rp: &RunPlan) -> String {
    let mut text = format!("anac {}\n{plan}\n", env!("CARGO_PKG_VERSION"));
    for j in &rp.jobs {
        // Everything per sample that changes what a unit fills: its weights' inputs, which
        // outputs it fills, and which events a luminosity mask keeps.
        text.push_str(&format!(
            "job {}/{} data {} xsec {:x} nevts {} sumw {:?} outputs {:?} mask {:?}\n",
            j.process,
            j.variation,
            j.is_data,
            j.xsec.to_bits(),
            j.nevts,
            j.sumw.map(f64::to_bits),
            j.outputs.iter().map(|o| &o.name).collect::<Vec<_>>(),
            j.lumi_mask.as_ref().map(|m| &m.runs)
        ));
        for f in &j.files {
            // The file's identity, not how its path was spelled (relative or absolute).
            let path = std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone());
            text.push_str(&format!(
                "{}/{} {} {} {}\n",
                j.process,
                j.variation,
                path.display(),
                f.size,
                super::units::hex(&f.uuid)
            ));
            // Its friends' files fill the same unit: another friend file is another run.
            for (friend, ff) in j.friends.iter().zip(&f.friends) {
                let path = std::fs::canonicalize(&ff.path).unwrap_or_else(|_| ff.path.clone());
                text.push_str(&format!(
                    "  friend {} tree {} {} {} {}\n",
                    friend.name,
                    friend.tree,
                    path.display(),
                    ff.size,
                    super::units::hex(&ff.uuid)
                ));
            }
        }
    }
    for u in &rp.units {
        text.push_str(&format!("unit {}\n", u.id));
    }
    format!("{:016x}", xxhash_rust::xxh64::xxh64(text.as_bytes(), 0))
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("`{}`: {e}", path.display())
}

impl Store {
    /// Opens (or creates) the store in `dir` for a run of identity `id`. A store of another
    /// identity is refused unless `force_new`, which empties it.
    pub fn open(
        dir: &Path,
        id: &str,
        rp: &RunPlan,
        origin: &Origin,
        force_new: bool,
    ) -> Result<Store, String> {
        let meta = dir.join("store.json");
        if meta.is_file() {
            let text = crate::io::text::read_text(&meta)
                .map_err(|e| format!("`{}`: {e}", meta.display()))?;
            let v: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| format!("`{}` is not a store description: {e}", meta.display()))?;
            let theirs = v["identity"].as_str().unwrap_or("");
            if theirs != id {
                if !force_new {
                    return Err(format!(
                        "store `{}` belongs to another run (identity {theirs}, this run {id}): the \
                         analysis, its inputs or the anac version differ; use another folder or \
                         --force-new to start it afresh",
                        dir.display()
                    ));
                }
                let units = dir.join("units");
                if units.is_dir() {
                    std::fs::remove_dir_all(&units).map_err(io(&units))?;
                }
            }
        }
        std::fs::create_dir_all(dir.join("units")).map_err(io(dir))?;
        let absolute = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let desc = serde_json::json!({
            "identity": id,
            "anac_version": env!("CARGO_PKG_VERSION"),
            "analysis": absolute(&origin.analysis).display().to_string(),
            "samples": absolute(&origin.samples).display().to_string(),
            "units": rp.units.iter().map(|u| serde_json::json!({
                "id": u.id,
                "process": rp.jobs[u.job].process,
                "variation": rp.jobs[u.job].variation,
                "file": rp.jobs[u.job].files[u.file].path.display().to_string(),
                "entries": [u.range.start, u.range.end],
            })).collect::<Vec<_>>(),
        });
        write_atomic(&meta, &crate::io::outputs::pretty(&desc))?;
        Ok(Store {
            dir: dir.to_path_buf(),
            identity: id.to_string(),
            committed: std::sync::Arc::new(committed_units(dir)?),
            pending: std::sync::Arc::new(std::sync::Mutex::new(Batch {
                items: Vec::new(),
                work: 0.0,
                since: std::time::Instant::now(),
            })),
            batch_units: None,
            last_read: Default::default(),
        })
    }

    /// Commits every `n` finished units together instead of by time.
    pub fn with_batch(mut self, n: Option<usize>) -> Store {
        self.batch_units = n.map(|n| n.max(1));
        self
    }

    /// Whether unit `id` was committed when the store was opened.
    pub fn has(&self, id: &str) -> bool {
        self.committed.contains_key(id)
    }

    fn unit_path(&self, id: &str) -> PathBuf {
        self.dir.join("units").join(format!("{id}.unit"))
    }

    /// The stored partial of unit `id`, if it finished in an earlier run.
    pub fn load(&self, id: &str) -> Result<Option<Partial>, String> {
        let Some(p) = self.committed.get(id) else {
            return Ok(None);
        };
        let damaged = |e: String| format!("store unit `{id}` in `{}` is damaged: {e}", p.display());
        if p.extension().is_some_and(|e| e == "unit") {
            let bytes = std::fs::read(p).map_err(io(p))?;
            return decode(&bytes, id).map(Some).map_err(damaged);
        }
        let bytes = {
            let mut last = self.last_read.lock().map_err(|_| "store lock poisoned")?;
            match &*last {
                Some((q, b)) if q == p => b.clone(),
                _ => {
                    let b = std::sync::Arc::new(std::fs::read(p).map_err(io(p))?);
                    *last = Some((p.clone(), b.clone()));
                    b
                }
            }
        };
        let records = batch_records(&bytes).map_err(damaged)?;
        let Some((_, unit)) = records.iter().find(|(u, _)| u == id) else {
            return Err(damaged("the unit is not in it".into()));
        };
        decode(unit, id).map(Some).map_err(damaged)
    }

    /// Adds a finished unit to the batch and commits the batch when it is due (see the module
    /// notes). Returns how many units this call committed.
    pub fn commit(
        &self,
        id: &str,
        part: &Partial,
        started: std::time::SystemTime,
    ) -> Result<usize, String> {
        let bytes = encode(id, part);
        let secs = started.elapsed().map_or(0.0, |d| d.as_secs_f64());
        let mut b = self.pending.lock().map_err(|_| "store lock poisoned")?;
        b.work += secs;
        b.items.push((id.to_string(), bytes, part.events, secs));
        let due = match self.batch_units {
            Some(n) => b.items.len() >= n,
            None => {
                b.work >= BATCH_SECONDS
                    || b.items.len() >= BATCH_MAX_UNITS
                    || b.since.elapsed().as_secs_f64() >= BATCH_SECONDS
            }
        };
        if due { self.write_batch(&mut b) } else { Ok(0) }
    }

    /// Commits the units still in the batch (at the end of a run, also a failed or interrupted
    /// one: finished units are whole). Returns how many.
    pub fn flush(&self) -> Result<usize, String> {
        let mut b = self.pending.lock().map_err(|_| "store lock poisoned")?;
        self.write_batch(&mut b)
    }

    fn write_batch(&self, b: &mut Batch) -> Result<usize, String> {
        let items = std::mem::take(&mut b.items);
        b.work = 0.0;
        b.since = std::time::Instant::now();
        let n = items.len();
        match items.as_slice() {
            [] => return Ok(0),
            [(id, bytes, _, _)] => write_atomic(&self.unit_path(id), bytes)?,
            [(first, ..), ..] => {
                let mut out = Vec::new();
                out.extend_from_slice(BATCH_MAGIC);
                out.extend_from_slice(&VERSION.to_le_bytes());
                put_u64(&mut out, n as u64);
                for (_, bytes, _, _) in &items {
                    put_u64(&mut out, bytes.len() as u64);
                    out.extend_from_slice(bytes);
                }
                let sum = xxhash_rust::xxh64::xxh64(&out, 0);
                put_u64(&mut out, sum);
                let path = self.dir.join("units").join(format!("{first}.batch"));
                write_atomic(&path, &out)?;
            }
        }
        for (id, _, events, secs) in &items {
            self.record_end(id, *secs, Ok(*events));
        }
        Ok(n)
    }

    /// The history marker of unit `id` in `state` (`running`, `done`, `failed`) by this process.
    fn marker(&self, id: &str, state: &str) -> PathBuf {
        let w = Worker::current();
        self.dir
            .join("history")
            .join(format!("{id}.{state}.{}.{}.json", w.host, w.pid))
    }

    /// Records that this process started unit `id` (shown as running by `anac status`).
    pub fn started(&self, id: &str) -> Result<(), String> {
        std::fs::create_dir_all(self.dir.join("history")).map_err(io(&self.dir))?;
        let rec = Worker::current().record(id, None, None);
        write_replacing(
            &self.marker(id, "running"),
            &crate::io::outputs::pretty(&rec),
            false,
        )
    }

    /// Records how unit `id` ended: `Ok(events)` when committed, `Err(message)` when it failed.
    pub fn ended(&self, id: &str, started: std::time::SystemTime, outcome: Result<u64, &str>) {
        let secs = started.elapsed().map_or(0.0, |d| d.as_secs_f64());
        self.record_end(id, secs, outcome);
    }

    /// The history marker of a unit that ran `secs` seconds and ended with `outcome`.
    fn record_end(&self, id: &str, secs: f64, outcome: Result<u64, &str>) {
        let w = Worker::current();
        let (state, rec) = match outcome {
            Ok(events) => (
                "done",
                w.record(id, Some(secs), Some(serde_json::json!({"events": events}))),
            ),
            Err(m) => (
                "failed",
                w.record(id, Some(secs), Some(serde_json::json!({"error": m}))),
            ),
        };
        // The history is advisory: a failure to write it never fails the run.
        let _ = std::fs::create_dir_all(self.dir.join("history"));
        let _ = write_replacing(
            &self.marker(id, state),
            &crate::io::outputs::pretty(&rec),
            false,
        );
        let _ = std::fs::remove_file(self.marker(id, "running"));
    }
}

/// Who runs a unit: host, process, batch job, anac version.
pub struct Worker {
    pub host: String,
    pub pid: u32,
    pub slurm: Option<String>,
}

impl Worker {
    pub fn current() -> Worker {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| {
                !h.is_empty()
                    && h.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            })
            .unwrap_or_else(|| "unknown-host".into());
        let slurm = match (
            std::env::var("SLURM_ARRAY_JOB_ID"),
            std::env::var("SLURM_ARRAY_TASK_ID"),
            std::env::var("SLURM_JOB_ID"),
        ) {
            (Ok(a), Ok(t), _) => Some(format!("{a}_{t}")),
            (_, _, Ok(j)) => Some(j),
            _ => None,
        };
        Worker {
            host,
            pid: std::process::id(),
            slurm,
        }
    }

    fn record(
        &self,
        id: &str,
        secs: Option<f64>,
        extra: Option<serde_json::Value>,
    ) -> serde_json::Value {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let mut v = serde_json::json!({
            "unit": id, "host": self.host, "pid": self.pid, "slurm_job": self.slurm,
            "anac_version": env!("CARGO_PKG_VERSION"), "time": now, "seconds": secs,
        });
        if let (Some(obj), Some(serde_json::Value::Object(x))) = (v.as_object_mut(), extra) {
            obj.extend(x);
        }
        v
    }
}

/// Writes `bytes` to `path` whole or not at all: a temporary file, flushed to disk, renamed.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    write_replacing(path, bytes, true)
}

/// As [`write_atomic`]; `durable: false` skips the flush to disk (history markers: a crash of
/// the machine may lose one, never half-write one).
fn write_replacing(path: &Path, bytes: &[u8], durable: bool) -> Result<(), String> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("unit");
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        if durable {
            f.sync_all().map_err(io(&tmp))?;
        }
    }
    std::fs::rename(&tmp, path).map_err(io(path))
}

// ---- binary encoding --------------------------------------------------------------------------

fn encode(id: &str, p: &Partial) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(MAGIC);
    b.extend_from_slice(&VERSION.to_le_bytes());
    put_str(&mut b, id);
    put_u64(&mut b, p.outputs.len() as u64);
    for o in &p.outputs {
        put_u64(&mut b, o.hists.len() as u64);
        for h in &o.hists {
            put_f64s(&mut b, &h.sumw);
            put_f64s(&mut b, &h.sumw2);
            put_f64s(&mut b, &h.sumwy);
            put_f64s(&mut b, &h.sumwy2);
            put_u64(&mut b, h.skipped);
            put_u64(&mut b, h.nan);
            put_u64(&mut b, h.entries);
        }
        put_u64(&mut b, o.counters.len() as u64);
        for c in &o.counters {
            put_u64(&mut b, c.events);
            put_u64(&mut b, c.sumw.to_bits());
            put_u64(&mut b, c.sumw2.to_bits());
        }
        put_u64(&mut b, o.collects.len() as u64);
        for c in &o.collects {
            put_u64(&mut b, c.seen);
            put_u64(&mut b, c.rows.len() as u64);
            for row in &c.rows {
                put_u64(&mut b, row.len() as u64);
                for v in row {
                    match v {
                        CVal::Null => b.push(0),
                        CVal::I(i) => {
                            b.push(1);
                            put_u64(&mut b, *i as u64);
                        }
                        CVal::F(x) => {
                            b.push(2);
                            put_u64(&mut b, x.to_bits());
                        }
                        CVal::B(x) => {
                            b.push(3);
                            b.push(*x as u8);
                        }
                        CVal::S(s) => {
                            b.push(4);
                            put_str(&mut b, s);
                        }
                    }
                }
            }
        }
        put_u64(&mut b, o.skims.len() as u64);
        for k in &o.skims {
            put_f64s(&mut b, &k.weight);
            put_u64(&mut b, k.lengths.len() as u64);
            for (lens, cols) in k.lengths.iter().zip(&k.columns) {
                put_u64(&mut b, lens.len() as u64);
                for n in lens {
                    put_u64(&mut b, u64::from(*n));
                }
                put_u64(&mut b, cols.len() as u64);
                for c in cols {
                    match c {
                        SkimData::I(v) => {
                            b.push(0);
                            put_u64(&mut b, v.len() as u64);
                            v.iter().for_each(|x| put_u64(&mut b, *x as u64));
                        }
                        SkimData::F(v) => {
                            b.push(1);
                            put_f64s(&mut b, v);
                        }
                        SkimData::B(v) => {
                            b.push(2);
                            put_u64(&mut b, v.len() as u64);
                            b.extend(v.iter().map(|x| u8::from(*x)));
                        }
                    }
                }
            }
        }
    }
    let rows = |b: &mut Vec<u8>, rows: &[(u64, f64)]| {
        put_u64(b, rows.len() as u64);
        for (n, w) in rows {
            put_u64(b, *n);
            put_u64(b, w.to_bits());
        }
    };
    rows(&mut b, &p.cutflow.common);
    put_u64(&mut b, p.cutflow.regions.len() as u64);
    for r in &p.cutflow.regions {
        rows(&mut b, r);
    }
    put_u64(&mut b, p.events);
    put_u64(&mut b, p.max_weight.to_bits());
    let sum = xxhash_rust::xxh64::xxh64(&b, 0);
    put_u64(&mut b, sum);
    b
}

fn put_u64(b: &mut Vec<u8>, x: u64) {
    b.extend_from_slice(&x.to_le_bytes());
}

fn put_str(b: &mut Vec<u8>, s: &str) {
    put_u64(b, s.len() as u64);
    b.extend_from_slice(s.as_bytes());
}

fn put_f64s(b: &mut Vec<u8>, v: &[f64]) {
    put_u64(b, v.len() as u64);
    for x in v {
        put_u64(b, x.to_bits());
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or_else(|| format!("cut off at byte {}", self.at))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u64(&mut self) -> Result<u64, String> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    /// A count that must fit in what is left (each item at least `min` bytes).
    fn count(&mut self, min: usize) -> Result<usize, String> {
        let n = self.u64()? as usize;
        if n > (self.b.len() - self.at) / min.max(1) {
            return Err(format!("a count of {n} cannot fit at byte {}", self.at));
        }
        Ok(n)
    }
    fn f64s(&mut self) -> Result<Vec<f64>, String> {
        let n = self.count(8)?;
        (0..n).map(|_| self.u64().map(f64::from_bits)).collect()
    }
    fn str(&mut self) -> Result<String, String> {
        let n = self.count(1)?;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| "a string is not UTF-8".to_string())
    }
}

/// A reader past the magic and version of a commit file (`what`: "unit" or "batch") whose
/// trailing xxh64 checksum matches.
fn checked<'a>(bytes: &'a [u8], magic: &[u8; 8], what: &str) -> Result<Reader<'a>, String> {
    if bytes.len() < 20 || &bytes[..8] != magic {
        return Err(format!("not an anac {what} file"));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    let mut s = [0u8; 8];
    s.copy_from_slice(sum);
    if xxhash_rust::xxh64::xxh64(body, 0) != u64::from_le_bytes(s) {
        return Err("checksum mismatch".into());
    }
    let mut r = Reader { b: body, at: 8 };
    if r.take(4)? != VERSION.to_le_bytes() {
        return Err("written by another anac version".into());
    }
    Ok(r)
}

fn decode(bytes: &[u8], id: &str) -> Result<Partial, String> {
    let mut r = checked(bytes, MAGIC, "unit")?;
    let stored = r.str()?;
    if stored != id {
        return Err(format!("holds unit {stored}, not {id}"));
    }
    let n_out = r.count(24)?;
    let mut outputs = Vec::with_capacity(n_out);
    for _ in 0..n_out {
        let nh = r.count(56)?;
        let mut hists = Vec::with_capacity(nh);
        for _ in 0..nh {
            let sumw = r.f64s()?;
            let sumw2 = r.f64s()?;
            let sumwy = r.f64s()?;
            let sumwy2 = r.f64s()?;
            hists.push(HistAcc {
                sumw,
                sumw2,
                sumwy,
                sumwy2,
                skipped: r.u64()?,
                nan: r.u64()?,
                entries: r.u64()?,
            });
        }
        let nc = r.count(24)?;
        let mut counters = Vec::with_capacity(nc);
        for _ in 0..nc {
            counters.push(CounterAcc {
                events: r.u64()?,
                sumw: f64::from_bits(r.u64()?),
                sumw2: f64::from_bits(r.u64()?),
            });
        }
        let nl = r.count(16)?;
        let mut collects = Vec::with_capacity(nl);
        for _ in 0..nl {
            let seen = r.u64()?;
            let nrows = r.count(8)?;
            let mut rows = Vec::with_capacity(nrows);
            for _ in 0..nrows {
                let ncol = r.count(1)?;
                let mut row = Vec::with_capacity(ncol);
                for _ in 0..ncol {
                    row.push(match r.u8()? {
                        0 => CVal::Null,
                        1 => CVal::I(r.u64()? as i64),
                        2 => CVal::F(f64::from_bits(r.u64()?)),
                        3 => CVal::B(r.u8()? != 0),
                        4 => CVal::S(r.str()?),
                        t => return Err(format!("unknown value tag {t}")),
                    });
                }
                rows.push(row);
            }
            collects.push(CollectAcc { rows, seen });
        }
        let nk = r.count(16)?;
        let mut skims = Vec::with_capacity(nk);
        for _ in 0..nk {
            let weight = r.f64s()?;
            let ng = r.count(16)?;
            let (mut lengths, mut columns) = (Vec::with_capacity(ng), Vec::with_capacity(ng));
            for _ in 0..ng {
                let nl = r.count(8)?;
                let lens = (0..nl)
                    .map(|_| {
                        let n = r.u64()?;
                        u32::try_from(n).map_err(|_| format!("a list length of {n}"))
                    })
                    .collect::<Result<Vec<u32>, String>>()?;
                lengths.push(lens);
                let ncol = r.count(9)?;
                let mut cols = Vec::with_capacity(ncol);
                for _ in 0..ncol {
                    cols.push(match r.u8()? {
                        0 => {
                            let n = r.count(8)?;
                            SkimData::I(
                                (0..n)
                                    .map(|_| r.u64().map(|x| x as i64))
                                    .collect::<Result<_, _>>()?,
                            )
                        }
                        1 => SkimData::F(r.f64s()?),
                        2 => {
                            let n = r.count(1)?;
                            SkimData::B(r.take(n)?.iter().map(|x| *x != 0).collect())
                        }
                        t => return Err(format!("unknown skim column tag {t}")),
                    });
                }
                columns.push(cols);
            }
            skims.push(SkimAcc {
                weight,
                lengths,
                columns,
            });
        }
        outputs.push(OutputSet {
            hists,
            counters,
            collects,
            skims,
        });
    }
    let rows = |r: &mut Reader| -> Result<Vec<(u64, f64)>, String> {
        let n = r.count(16)?;
        (0..n)
            .map(|_| Ok((r.u64()?, f64::from_bits(r.u64()?))))
            .collect()
    };
    let common = rows(&mut r)?;
    let nreg = r.count(8)?;
    let regions = (0..nreg).map(|_| rows(&mut r)).collect::<Result<_, _>>()?;
    let events = r.u64()?;
    let max_weight = f64::from_bits(r.u64()?);
    if r.at != r.b.len() {
        return Err(format!("{} bytes left over", r.b.len() - r.at));
    }
    Ok(Partial {
        outputs,
        cutflow: Cutflow { common, regions },
        events,
        max_weight,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partials_round_trip_exactly_and_damage_is_detected() {
        let p = Partial {
            outputs: vec![OutputSet {
                hists: vec![HistAcc {
                    sumw: vec![1.5, f64::NAN, -0.0, f64::INFINITY],
                    sumw2: vec![2.25, 0.0, 0.0, 1e300],
                    sumwy: vec![3.0, -1.0, 0.0, 2.5],
                    sumwy2: vec![6.0, 1.0, 0.0, 6.25],
                    skipped: 3,
                    nan: 1,
                    entries: 7,
                }],
                counters: vec![CounterAcc {
                    events: 2,
                    sumw: 0.1,
                    sumw2: 0.01,
                }],
                collects: vec![CollectAcc {
                    rows: vec![vec![
                        CVal::I(-4),
                        CVal::F(2.5),
                        CVal::B(true),
                        CVal::S("GG".into()),
                        CVal::Null,
                    ]],
                    seen: 9,
                }],
                skims: vec![SkimAcc {
                    weight: vec![0.5, -1.0],
                    lengths: vec![vec![], vec![2, 0]],
                    columns: vec![
                        vec![
                            SkimData::I(vec![i64::MIN, 7]),
                            SkimData::B(vec![true, false]),
                        ],
                        vec![SkimData::F(vec![1.5, f64::NAN])],
                    ],
                }],
            }],
            cutflow: Cutflow {
                common: vec![(10, 1.25), (4, 0.5)],
                regions: vec![vec![(2, 0.25)]],
            },
            events: 10,
            max_weight: 0.125,
        };
        let bytes = encode("abc", &p);
        let q = decode(&bytes, "abc").unwrap();
        assert_eq!(format!("{p:?}"), format!("{q:?}"));
        assert!(q.outputs[0].hists[0].sumw[1].is_nan());
        assert!(
            decode(&bytes, "xyz")
                .unwrap_err()
                .contains("holds unit abc")
        );
        let mut bad = bytes.clone();
        bad[30] ^= 1;
        assert!(decode(&bad, "abc").unwrap_err().contains("checksum"));
        assert!(decode(&bytes[..bytes.len() - 3], "abc").is_err());
    }
}
