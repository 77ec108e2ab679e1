//! A toy fileset in the NanoAOD layout of the AGC ttbar analysis, written by anac's own ROOT
//! writer, so that the analysis runs on a fresh clone without any other data.
//!
//! Output: `DIR/toy/{process}__{variation}__{k}.root` (tree `Events`, the branches the AGC
//! analysis reads, with NanoAOD's types: `nJet` uint32 + `Jet_pt[nJet]` float, ...) and
//! `DIR/toy.yaml` listing them with cross sections. Events carry `genWeight` (some negative, as an
//! NLO generator gives them) and each file a `Runs` tree with `genEventSumw`, for `sumw`. The events are toy physics, plausible in
//! shape only: ttbar has four or more jets with two b-tagged ones and often one lepton, W+jets
//! mostly fewer jets and rarely a b tag, single top in between; the ttbar sample variations shift
//! the jets a little. Labelled toy data in the tree title and the YAML.
//!
//! Invariant: the bytes depend on nothing but this code: every number is a counter-based draw
//! (`runtime::random`) keyed by the file's name, the entry and the draw's place, and every file
//! gets a fixed timestamp and a UUID derived from its name.

use std::f64::consts::PI;
use std::path::Path;

use crate::io::root::write::{Branch, BranchData, Column, RootWriter, Tree, WriteError};
use crate::ir::ops::normal_quantile;
use crate::runtime::random::uniform01;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Ttbar,
    SingleTop,
    Wjets,
}

struct Sample {
    process: &'static str,
    variation: &'static str,
    files: usize,
    events: usize,
    xsec: f64,
    kind: Kind,
    /// Multiplies every jet pt (scale variations).
    jet_scale: f64,
    /// Added to the probability of each extra jet (ME / PS variations).
    extra_jets: f64,
}

const SAMPLES: &[Sample] = &[
    Sample {
        process: "ttbar",
        variation: "nominal",
        files: 2,
        events: 2500,
        xsec: 729.84,
        kind: Kind::Ttbar,
        jet_scale: 1.0,
        extra_jets: 0.0,
    },
    Sample {
        process: "ttbar",
        variation: "scaledown",
        files: 1,
        events: 1000,
        xsec: 729.84,
        kind: Kind::Ttbar,
        jet_scale: 0.98,
        extra_jets: 0.0,
    },
    Sample {
        process: "ttbar",
        variation: "scaleup",
        files: 1,
        events: 1000,
        xsec: 729.84,
        kind: Kind::Ttbar,
        jet_scale: 1.02,
        extra_jets: 0.0,
    },
    Sample {
        process: "ttbar",
        variation: "ME_var",
        files: 1,
        events: 1000,
        xsec: 729.84,
        kind: Kind::Ttbar,
        jet_scale: 1.0,
        extra_jets: 0.08,
    },
    Sample {
        process: "ttbar",
        variation: "PS_var",
        files: 1,
        events: 1000,
        xsec: 729.84,
        kind: Kind::Ttbar,
        jet_scale: 0.99,
        extra_jets: -0.05,
    },
    Sample {
        process: "single_top_s_chan",
        variation: "nominal",
        files: 1,
        events: 800,
        xsec: 3.2944,
        kind: Kind::SingleTop,
        jet_scale: 1.0,
        extra_jets: 0.0,
    },
    Sample {
        process: "single_top_t_chan",
        variation: "nominal",
        files: 1,
        events: 800,
        xsec: 234.7937,
        kind: Kind::SingleTop,
        jet_scale: 1.0,
        extra_jets: 0.05,
    },
    Sample {
        process: "single_top_tW",
        variation: "nominal",
        files: 1,
        events: 800,
        xsec: 75.842,
        kind: Kind::SingleTop,
        jet_scale: 1.0,
        extra_jets: 0.15,
    },
    Sample {
        process: "wjets",
        variation: "nominal",
        files: 2,
        events: 1500,
        xsec: 15487.164,
        kind: Kind::Wjets,
        jet_scale: 1.0,
        extra_jets: 0.0,
    },
];

/// Draws for one event: a counter over the draws keyed by (file, entry).
struct Draws {
    file: u64,
    entry: u64,
    n: u32,
}

impl Draws {
    fn u(&mut self) -> f64 {
        self.n += 1;
        uniform01(self.file, self.entry, Some(self.n), 0)
    }
    fn range(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.u()
    }
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.u()).ln()
    }
    fn normal(&mut self, m: f64, s: f64) -> f64 {
        m + s * normal_quantile(self.u())
    }
    fn chance(&mut self, p: f64) -> bool {
        self.u() < p
    }
}

/// The columns of one file, filled event by event.
#[derive(Default)]
struct Cols {
    n_jet: Vec<u32>,
    jet: [Vec<f32>; 5], // pt, eta, phi, mass, btagCSVV2
    jet_id: Vec<i32>,
    n_el: Vec<u32>,
    el: [Vec<f32>; 5], // pt, eta, phi, mass, sip3d
    el_cut: Vec<i32>,
    n_mu: Vec<u32>,
    mu: [Vec<f32>; 6], // pt, eta, phi, mass, sip3d, pfRelIso04_all
    mu_tight: Vec<bool>,
    met: [Vec<f32>; 2],
    event: Vec<u64>,
    gen_weight: Vec<f32>,
}

fn event(c: &mut Cols, d: &mut Draws, s: &Sample, number: u64) {
    // Leptons: one tight lepton in most events, sometimes an extra loose one.
    let p_lepton = match s.kind {
        Kind::Ttbar => 0.6,
        Kind::SingleTop => 0.55,
        Kind::Wjets => 0.65,
    };
    let mut els = 0u32;
    let mut mus = 0u32;
    let tight = d.chance(p_lepton);
    let loose = d.chance(0.25);
    for (i, is_tight) in [(0, tight), (1, loose)] {
        if !is_tight && i == 0 {
            continue;
        }
        let pt = if is_tight && i == 0 {
            32.0 + d.exp(35.0)
        } else {
            d.range(8.0, 28.0)
        };
        let (eta, phi) = (d.range(-2.0, 2.0), d.range(-PI, PI));
        if d.chance(0.5) {
            els += 1;
            let good = i == 0;
            c.el[0].push(pt as f32);
            c.el[1].push(eta as f32);
            c.el[2].push(phi as f32);
            c.el[3].push(0.000511);
            c.el[4].push(if good {
                d.range(0.2, 3.5)
            } else {
                d.range(0.5, 9.0)
            } as f32);
            c.el_cut.push(if good { 4 } else { (d.u() * 4.0) as i32 });
        } else {
            mus += 1;
            let good = i == 0;
            c.mu[0].push(pt as f32);
            c.mu[1].push(eta as f32);
            c.mu[2].push(phi as f32);
            c.mu[3].push(0.10566);
            c.mu[4].push(if good {
                d.range(0.2, 3.5)
            } else {
                d.range(0.5, 9.0)
            } as f32);
            c.mu[5].push(if good {
                d.range(0.0, 0.12)
            } else {
                d.range(0.1, 1.5)
            } as f32);
            c.mu_tight.push(good || d.chance(0.3));
        }
    }
    c.n_el.push(els);
    c.n_mu.push(mus);
    // Jets: a base multiplicity, extra jets with a falling probability, b jets by process.
    let (base, p_extra, b_jets) = match s.kind {
        Kind::Ttbar => (4, 0.45, if d.chance(0.55) { 2 } else { 1 }),
        Kind::SingleTop => (2, 0.45, 1),
        Kind::Wjets => (1, 0.42, usize::from(d.chance(0.12))),
    };
    let mut n = base;
    while n < 9 && d.chance((p_extra + s.extra_jets).clamp(0.0, 0.95)) {
        n += 1;
    }
    let mut pts: Vec<f64> = (0..n)
        .map(|_| (25.0 + d.exp(45.0)) * s.jet_scale * d.normal(1.0, 0.02))
        .collect();
    pts.sort_by(|a, b| b.total_cmp(a));
    let b_at: Vec<usize> = {
        let mut v = Vec::new();
        while v.len() < b_jets.min(n) {
            let k = (d.u() * n as f64) as usize % n;
            if !v.contains(&k) {
                v.push(k);
            }
        }
        v
    };
    for (k, pt) in pts.iter().enumerate() {
        let btag = if b_at.contains(&k) {
            d.range(0.55, 1.0)
        } else if d.chance(0.04) {
            d.range(0.5, 0.8)
        } else {
            d.range(0.0, 0.5)
        };
        c.jet[0].push(*pt as f32);
        c.jet[1].push(d.range(-2.7, 2.7) as f32);
        c.jet[2].push(d.range(-PI, PI) as f32);
        c.jet[3].push((pt * d.range(0.08, 0.2)) as f32);
        c.jet[4].push(btag as f32);
        c.jet_id.push(if d.chance(0.95) { 6 } else { 2 });
    }
    c.n_jet.push(n as u32);
    c.met[0].push(d.exp(40.0) as f32);
    c.met[1].push(d.range(-PI, PI) as f32);
    c.event.push(number);
    // Generator weights as an NLO generator gives them: a fixed size, some negative (the last
    // draw of the event, so that the others do not depend on it).
    let negative = match s.kind {
        Kind::Ttbar => 0.0,
        Kind::SingleTop => 0.15,
        Kind::Wjets => 0.25,
    };
    let size = match s.kind {
        Kind::Wjets => 0.75,
        _ => 1.0,
    };
    c.gen_weight
        .push(if d.chance(negative) { -size } else { size } as f32);
}

/// The `Runs` tree of a file: one run, with the counts and sums of generator weights NanoAOD
/// keeps (`genEventCount`, `genEventSumw`, `genEventSumw2`).
fn runs_tree(weights: &[f32]) -> Tree {
    let scalar = |name: &str, col: Column| Branch {
        name: name.into(),
        data: BranchData::Scalar(col),
    };
    let sumw: f64 = weights.iter().map(|&w| f64::from(w)).sum();
    let sumw2: f64 = weights.iter().map(|&w| f64::from(w) * f64::from(w)).sum();
    Tree {
        name: "Runs".into(),
        title: "anac toy runs (not real data)".into(),
        branches: vec![
            scalar("run", Column::U32(vec![1])),
            scalar("genEventCount", Column::I64(vec![weights.len() as i64])),
            scalar("genEventSumw", Column::F64(vec![sumw])),
            scalar("genEventSumw2", Column::F64(vec![sumw2])),
        ],
        cluster_size: 0,
    }
}

fn tree(c: Cols) -> Tree {
    let scalar = |name: &str, col: Column| Branch {
        name: name.into(),
        data: BranchData::Scalar(col),
    };
    let counted = |name: &str, counter: &str, col: Column| Branch {
        name: name.into(),
        data: BranchData::Counted {
            counter: counter.into(),
            values: col,
        },
    };
    let [jpt, jeta, jphi, jmass, jbtag] = c.jet;
    let [ept, eeta, ephi, emass, esip] = c.el;
    let [mpt, meta, mphi, mmass, msip, miso] = c.mu;
    let [met, met_phi] = c.met;
    Tree {
        name: "Events".into(),
        title: "anac toy events (not real data)".into(),
        branches: vec![
            scalar("event", Column::U64(c.event)),
            scalar("nElectron", Column::U32(c.n_el)),
            counted("Electron_pt", "nElectron", Column::F32(ept)),
            counted("Electron_eta", "nElectron", Column::F32(eeta)),
            counted("Electron_phi", "nElectron", Column::F32(ephi)),
            counted("Electron_mass", "nElectron", Column::F32(emass)),
            counted("Electron_sip3d", "nElectron", Column::F32(esip)),
            counted("Electron_cutBased", "nElectron", Column::I32(c.el_cut)),
            scalar("nMuon", Column::U32(c.n_mu)),
            counted("Muon_pt", "nMuon", Column::F32(mpt)),
            counted("Muon_eta", "nMuon", Column::F32(meta)),
            counted("Muon_phi", "nMuon", Column::F32(mphi)),
            counted("Muon_mass", "nMuon", Column::F32(mmass)),
            counted("Muon_sip3d", "nMuon", Column::F32(msip)),
            counted("Muon_pfRelIso04_all", "nMuon", Column::F32(miso)),
            counted("Muon_tightId", "nMuon", Column::Bool(c.mu_tight)),
            scalar("nJet", Column::U32(c.n_jet)),
            counted("Jet_pt", "nJet", Column::F32(jpt)),
            counted("Jet_eta", "nJet", Column::F32(jeta)),
            counted("Jet_phi", "nJet", Column::F32(jphi)),
            counted("Jet_mass", "nJet", Column::F32(jmass)),
            counted("Jet_btagCSVV2", "nJet", Column::F32(jbtag)),
            counted("Jet_jetId", "nJet", Column::I32(c.jet_id)),
            scalar("MET_pt", Column::F32(met)),
            scalar("MET_phi", Column::F32(met_phi)),
            scalar("genWeight", Column::F32(c.gen_weight)),
        ],
        cluster_size: 0,
    }
}

/// Writes the toy fileset: the files under `dir/toy/` and `dir/toy.yaml`. Returns the number
/// of files written.
pub fn write(dir: &Path) -> Result<usize, WriteError> {
    let files_dir = dir.join("toy");
    std::fs::create_dir_all(&files_dir).map_err(|source| WriteError::Io {
        path: files_dir.clone(),
        source,
    })?;
    let mut yaml = String::from(
        "# anac's toy AGC-layout fileset (made by `anac generate toy`; toy physics, not real data):\n\
         # {process: {variation: {files: [{path, nevts}], nevts_total, xsec}}}. Paths relative to this file.\n",
    );
    let mut written = 0;
    let mut last_process = "";
    let mut number = 1u64;
    for s in SAMPLES {
        if s.process != last_process {
            yaml.push_str(&format!("{}:\n", s.process));
            last_process = s.process;
        }
        yaml.push_str(&format!("  {}:\n    files:\n", s.variation));
        for k in 0..s.files {
            let name = format!("{}__{}__{k:04}.root", s.process, s.variation);
            let key = xxhash_rust::xxh64::xxh64(format!("anac toy v1 {name}").as_bytes(), 0);
            let mut cols = Cols::default();
            for e in 0..s.events {
                let mut d = Draws {
                    file: key,
                    entry: e as u64,
                    n: 0,
                };
                event(&mut cols, &mut d, s, number);
                number += 1;
            }
            let path = files_dir.join(&name);
            let mut w = RootWriter::create_reproducible(&path, name.as_bytes())?;
            let runs = runs_tree(&cols.gen_weight);
            w.write_tree(&tree(cols))?;
            w.write_tree(&runs)?;
            w.finish()?;
            yaml.push_str(&format!(
                "    - path: toy/{name}\n      nevts: {}\n",
                s.events
            ));
            written += 1;
        }
        yaml.push_str(&format!(
            "    nevts_total: {}\n    xsec: {}\n",
            s.files * s.events,
            s.xsec
        ));
    }
    let y = dir.join("toy.yaml");
    std::fs::write(&y, yaml).map_err(|source| WriteError::Io { path: y, source })?;
    Ok(written)
}
