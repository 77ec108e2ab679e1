//! A results store: finished work units' partial results on disk, so that a run that is killed
//! continues where it stopped (`anac run ... --store DIR`).
//!
//! Layout: `DIR/store.json` (the store's identity: a hash of the optimised plan, the inputs —
//! paths, sizes, UUIDs — and the anac version, plus the list of unit ids), `DIR/units/ID.unit`
//! (one finished unit's partial accumulators, binary, with an xxh64 checksum).
//!
//! Invariants: a unit file is written under a temporary name, flushed to disk and renamed, so it
//! is either complete or absent (a process killed at any moment leaves no half-written unit); a
//! unit file whose checksum or id does not match is an error naming the file, never a silent
//! partial; a store made for another plan or other inputs is refused. Partials encode every float
//! by its bits, so a resumed run merges exactly the numbers an uninterrupted one would.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::accum::{CVal, CollectAcc, CounterAcc, Cutflow, HistAcc, OutputSet};
use super::units::RunPlan;
use crate::ir::Plan;

const MAGIC: &[u8; 8] = b"ANACUNIT";
const VERSION: u32 = 1;

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

/// An open store.
#[derive(Debug, Clone)]
pub struct Store {
    pub dir: PathBuf,
    pub identity: String,
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
        })
    }

    /// Whether unit `id` is committed.
    pub fn has(&self, id: &str) -> bool {
        self.unit_path(id).is_file()
    }

    fn unit_path(&self, id: &str) -> PathBuf {
        self.dir.join("units").join(format!("{id}.unit"))
    }

    /// The stored partial of unit `id`, if it finished in an earlier run.
    pub fn load(&self, id: &str) -> Result<Option<Partial>, String> {
        let p = self.unit_path(id);
        if !p.is_file() {
            return Ok(None);
        }
        let bytes = std::fs::read(&p).map_err(io(&p))?;
        decode(&bytes, id)
            .map(Some)
            .map_err(|e| format!("store unit `{}` is damaged: {e}", p.display()))
    }

    /// Commits a finished unit: written, flushed and renamed into place.
    pub fn save(&self, id: &str, part: &Partial) -> Result<(), String> {
        write_atomic(&self.unit_path(id), &encode(id, part))
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
        let w = Worker::current();
        let secs = started.elapsed().map_or(0.0, |d| d.as_secs_f64());
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

fn decode(bytes: &[u8], id: &str) -> Result<Partial, String> {
    if bytes.len() < 20 || &bytes[..8] != MAGIC {
        return Err("not an anac unit file".into());
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    let mut s = [0u8; 8];
    s.copy_from_slice(sum);
    if xxhash_rust::xxh64::xxh64(body, 0) != u64::from_le_bytes(s) {
        return Err("checksum mismatch".into());
    }
    let mut r = Reader { b: body, at: 8 };
    let v = r.take(4)?;
    if v != VERSION.to_le_bytes() {
        return Err("written by another anac version".into());
    }
    let stored = r.str()?;
    if stored != id {
        return Err(format!("holds unit {stored}, not {id}"));
    }
    let n_out = r.count(24)?;
    let mut outputs = Vec::with_capacity(n_out);
    for _ in 0..n_out {
        let nh = r.count(40)?;
        let mut hists = Vec::with_capacity(nh);
        for _ in 0..nh {
            let sumw = r.f64s()?;
            let sumw2 = r.f64s()?;
            hists.push(HistAcc {
                sumw,
                sumw2,
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
        outputs.push(OutputSet {
            hists,
            counters,
            collects,
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
    if r.at != body.len() {
        return Err(format!("{} bytes left over", body.len() - r.at));
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
