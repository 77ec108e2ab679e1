//! The whole-event native kernels equal the reference interpreter bit for bit, on random
//! analyses over random jagged columns: empty events and collections, NaN, infinities, −0.0,
//! extreme integers, absent values, sorting ties, combinations and pairs, definitions shared by
//! kinematic variations, weights, regions, counters and event lists.
//!
//! The file is written here by anac's own writer (no `../shared` needed); each analysis is
//! checked and planned as `anac run` does, then run by both engines; their merged results (and
//! their errors, for analyses that fail at run time) must be identical.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use anac::io::root::write::{Branch, BranchData, Column, RootWriter, Tree};
use anac::runtime::engine::EngineOptions;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let x = self.0;
        (x ^ (x >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (x >> 32)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A float with the awkward values mixed in.
fn wild(r: &mut Rng, scale: f64) -> f64 {
    match r.below(40) {
        0 => f64::NAN,
        1 => f64::INFINITY,
        2 => f64::NEG_INFINITY,
        3 => -0.0,
        4 => 0.0,
        5 => 1e300,
        6 => -1e-300,
        7 => 30.0, // ties with cut values
        _ => (r.unit() - 0.2) * scale,
    }
}

fn write_file(path: &Path, entries: usize) {
    let mut r = Rng(0x5eed);
    let n_a: Vec<u32> = (0..entries)
        .map(|_| if r.chance(25) { 0 } else { r.below(7) as u32 })
        .collect();
    let ta: usize = n_a.iter().map(|&n| n as usize).sum();
    let lens_b: Vec<usize> = (0..entries)
        .map(|_| if r.chance(30) { 0 } else { r.below(5) as usize })
        .collect();
    let tb: usize = lens_b.iter().sum();
    let f32s = |r: &mut Rng, n: usize, scale: f64| -> Column {
        Column::F32((0..n).map(|_| wild(r, scale) as f32).collect())
    };
    let counted = |name: &str, values: Column| Branch {
        name: name.into(),
        data: BranchData::Counted {
            counter: "nA".into(),
            values,
        },
    };
    let vector = |name: &str, values: Column| Branch {
        name: name.into(),
        data: BranchData::Vector {
            lengths: lens_b.clone(),
            values,
        },
    };
    let scalar = |name: &str, values: Column| Branch {
        name: name.into(),
        data: BranchData::Scalar(values),
    };
    let ints = |r: &mut Rng, n: usize| -> Vec<i32> {
        (0..n)
            .map(|_| match r.below(30) {
                0 => i32::MIN,
                1 => i32::MAX,
                2 => -1,
                3 => 0,
                _ => r.below(9) as i32 - 3,
            })
            .collect()
    };
    let tree = Tree {
        name: "t".into(),
        title: "random".into(),
        cluster_size: 97,
        branches: vec![
            scalar("nA", Column::U32(n_a.clone())),
            counted("A_pt", f32s(&mut r, ta, 120.0)),
            counted("A_eta", f32s(&mut r, ta, 5.0)),
            counted("A_phi", f32s(&mut r, ta, 6.3)),
            counted("A_mass", f32s(&mut r, ta, 20.0)),
            counted("A_x", f32s(&mut r, ta, 100.0)),
            counted("A_n", Column::I32(ints(&mut r, ta))),
            counted("A_b", Column::Bool((0..ta).map(|_| r.chance(50)).collect())),
            vector(
                "B_v",
                Column::F64((0..tb).map(|_| wild(&mut r, 50.0)).collect()),
            ),
            vector(
                "B_k",
                Column::I64((0..tb).map(|_| r.below(5) as i64 - 2).collect()),
            ),
            scalar(
                "s_f",
                Column::F64((0..entries).map(|_| wild(&mut r, 10.0)).collect()),
            ),
            scalar("s_i", Column::I32(ints(&mut r, entries))),
            scalar(
                "s_b",
                Column::Bool((0..entries).map(|_| r.chance(50)).collect()),
            ),
            scalar(
                "w",
                Column::F32((0..entries).map(|_| (0.5 + r.unit()) as f32).collect()),
            ),
        ],
    };
    let mut w = RootWriter::create_reproducible(path, b"native-property").expect("create");
    w.write_tree(&tree).expect("tree");
    w.finish().expect("finish");
}

/// Random analysis text. Expressions are built by type; optional ones are closed with `??`.
struct Gen<'r> {
    r: &'r mut Rng,
    objects: Vec<(String, &'static str)>,
    lets: Vec<String>,
    bools: Vec<String>,
}

const A_NUM: &[&str] = &[
    "pt", "eta", "x", "n", "p4.pt", "p4.mass", "it.x", "abs(eta)",
];
const B_NUM: &[&str] = &["v", "k", "it.v", "v * 2"];

impl Gen<'_> {
    /// A collection of elements of `A` or `B` (its kind returned).
    fn coll(&mut self, d: u32) -> (String, &'static str) {
        let base = if !self.objects.is_empty() && self.r.chance(50) {
            let i = self.r.below(self.objects.len() as u64) as usize;
            self.objects[i].clone()
        } else if self.r.chance(65) {
            ("A".to_string(), "A")
        } else {
            ("B".to_string(), "B")
        };
        if d == 0 {
            return base;
        }
        match self.r.below(5) {
            0 => {
                let c = self.elem_bool(base.1, d - 1);
                (format!("({} where {c})", base.0), base.1)
            }
            1 => {
                let k = self.elem_num(base.1, d - 1);
                let f = self.r.pick(&["sort", "sort_desc"]);
                (format!("{f}({}, {k})", base.0), base.1)
            }
            _ => base,
        }
    }

    fn elem_num(&mut self, kind: &str, d: u32) -> String {
        let fields = if kind == "A" { A_NUM } else { B_NUM };
        let leaf = self.r.pick(fields).to_string();
        if d == 0 || self.r.chance(40) {
            return leaf;
        }
        match self.r.below(6) {
            0 => format!("({leaf} + {})", self.num(0)),
            1 => format!("({leaf} * {})", self.elem_num(kind, d - 1)),
            2 => format!("min({leaf}, {})", self.elem_num(kind, d - 1)),
            3 => format!("(if {} then {leaf} else -1)", self.elem_bool(kind, d - 1)),
            4 if kind == "A" => format!("(x % (n + 1) ?? {leaf})"),
            _ => format!("-{leaf}"),
        }
    }

    fn elem_bool(&mut self, kind: &str, d: u32) -> String {
        let op = self.r.pick(&["<", ">", "<=", ">=", "==", "!="]);
        let a = self.elem_num(kind, d.saturating_sub(1));
        let lit = self.lit();
        let base = if kind == "A" && self.r.chance(15) {
            self.r.pick(&["b", "not b"]).to_string()
        } else {
            format!("{a} {op} {lit}")
        };
        if d == 0 {
            return base;
        }
        match self.r.below(5) {
            0 => format!("({base} and {})", self.elem_bool(kind, d - 1)),
            1 => format!("({base} or {})", self.elem_bool(kind, d - 1)),
            2 if kind == "A" => {
                format!("({base} and any(B, v < {}))", self.lit())
            }
            _ => base,
        }
    }

    fn lit(&mut self) -> String {
        match self.r.below(6) {
            0 => "0".into(),
            1 => "30".into(),
            2 => "-1".into(),
            3 => "2.5".into(),
            4 => format!("{}", self.r.below(100)),
            _ => format!("{:.3}", self.r.unit() * 50.0 - 10.0),
        }
    }

    /// A per-event number that is never absent.
    fn num(&mut self, d: u32) -> String {
        if d == 0 {
            return match self.r.below(6) {
                0 => self.lit(),
                1 => "s_f".into(),
                2 => "s_i".into(),
                3 if !self.lets.is_empty() => {
                    let i = self.r.below(self.lets.len() as u64) as usize;
                    self.lets[i].clone()
                }
                _ => {
                    let (c, _) = self.coll(0);
                    format!("count({c})")
                }
            };
        }
        match self.r.below(16) {
            0 => format!("({} + {})", self.num(d - 1), self.num(d - 1)),
            1 => format!("({} * {})", self.num(d - 1), self.num(d - 1)),
            2 => format!("({} / {})", self.num(d - 1), self.num(d - 1)),
            3 => {
                let (c, k) = self.coll(d - 1);
                let f = if k == "A" { "x" } else { "v" };
                format!("sum({c}.{f})")
            }
            4 => {
                let (c, k) = self.coll(d - 1);
                let e = self.elem_num(k, d - 1);
                format!("sum({c}, {e})")
            }
            5 => {
                let (c, k) = self.coll(d - 1);
                let f = if k == "A" { "pt" } else { "k" };
                let g = self.r.pick(&["mean", "min", "max"]);
                format!("({g}({c}.{f}) ?? {})", self.lit())
            }
            6 => {
                let (c, k) = self.coll(d - 1);
                let i = self.r.pick(&["0", "1", "-1", "s_i"]);
                let f = self.r.pick(if k == "A" { A_NUM } else { B_NUM });
                let f = f.trim_start_matches("it.");
                if f.contains('(') || f.contains(' ') {
                    format!("(count({c}) + {i})")
                } else {
                    format!("({c}[{i}].{f} ?? {})", self.lit())
                }
            }
            7 => {
                let (c, k) = self.coll(d - 1);
                let key = self.elem_num(k, d - 1);
                let f = self.r.pick(&["argmax", "argmin"]);
                let m = if k == "A" { "x" } else { "v" };
                format!("({f}({c}, {key}).{m} ?? {})", self.lit())
            }
            8 => format!(
                "(if {} then {} else {})",
                self.boolean(d - 1),
                self.num(d - 1),
                self.num(d - 1)
            ),
            9 => format!(
                "(count(combinations(A, 2) where it[0].x < it[1].x) + {})",
                self.num(d - 1)
            ),
            10 => format!(
                "(argmin(combinations({}, 2), abs(p4.mass - 50)).p4.mass ?? {})",
                self.r.pick(&["A", "(A where pt > 10)"]),
                self.lit()
            ),
            11 => format!("(delta_r(A[0].p4, A[-1].p4) ?? {})", self.lit()),
            12 => "count(pairs(A, B) where it[0].x > it[1].v)".to_string(),
            13 => format!("abs({})", self.num(d - 1)),
            14 => format!("sqrt({})", self.num(d - 1)),
            _ => format!(
                "((s_i % {}) ?? {})",
                self.r.pick(&["3", "s_i", "count(A)"]),
                self.lit()
            ),
        }
    }

    fn boolean(&mut self, d: u32) -> String {
        if d > 0 && !self.bools.is_empty() && self.r.chance(20) {
            let i = self.r.below(self.bools.len() as u64) as usize;
            return self.bools[i].clone();
        }
        match self.r.below(6) {
            0 => "s_b".into(),
            1 => {
                let (c, k) = self.coll(d.saturating_sub(1));
                let e = self.elem_bool(k, d.saturating_sub(1));
                let q = self.r.pick(&["any", "all"]);
                format!("{q}({c}, {e})")
            }
            2 if d > 0 => format!("({} and {})", self.boolean(d - 1), self.boolean(d - 1)),
            3 if d > 0 => format!("not {}", self.boolean(d - 1)),
            _ => {
                let op = self.r.pick(&["<", ">", "==", "!=", ">="]);
                format!("{} {op} {}", self.num(d.saturating_sub(1)), self.num(0))
            }
        }
    }

    fn analysis(&mut self) -> String {
        let mut out = String::from(
            "analysis prop\ntree t\nsamples \"s.yaml\"\nlumi 10\noutput \"{region}_{hist}[_{variation}]\"\n",
        );
        for i in 0..self.r.below(4) {
            let (c, k) = self.coll(2);
            out += &format!("object o{i} = {c}\n");
            self.objects.push((format!("o{i}"), k));
        }
        for i in 0..1 + self.r.below(4) {
            let e = self.num(2);
            out += &format!("let l{i} = {e}\n");
            self.lets.push(format!("l{i}"));
        }
        for i in 0..self.r.below(3) {
            let e = self.boolean(2);
            out += &format!("let c{i} = {e}\n");
            self.bools.push(format!("c{i}"));
        }
        match self.r.below(4) {
            0 => out += "weight w\n",
            1 => out += "weight xsec * lumi / nevts\nweight w * 2\n",
            2 => out += "weight A[0].x ?? 1\n",
            _ => {}
        }
        if self.r.chance(10) {
            // Absent for events without an A: a run-time error both engines must report alike.
            out += "weight A[0].x\n";
        }
        let hist = |g: &mut Gen, name: &str| -> String {
            let axis = match g.r.below(4) {
                0 => "regular(10, -5, 50)".to_string(),
                1 => "integer(-2, 8)".to_string(),
                2 => "variable(-10, 0, 1, 5, 30, 100)".to_string(),
                _ => "regular(7, 0, 1)".to_string(),
            };
            let v = match g.r.below(6) {
                0 => {
                    let (c, k) = g.coll(1);
                    format!("{c}.{}", if k == "A" { "x" } else { "v" })
                }
                5 => {
                    // A histogram's own weight: per element (same collection), per event, or
                    // a list of another length (a run-time error both engines report alike).
                    let (c, k) = g.coll(1);
                    let f = if k == "A" { "x" } else { "v" };
                    let w = match g.r.below(4) {
                        0 => format!("{c}.{}", if k == "A" { "pt" } else { "k" }),
                        1 => g.num(1),
                        2 => "(A[0].pt ?? 1)".to_string(),
                        _ => "B.v".to_string(),
                    };
                    format!("{c}.{f} weight {w}")
                }
                1 => format!(
                    "({}, {}){} in regular(4, 0, 10), integer(0, 3)",
                    g.num(1),
                    g.num(0),
                    if g.r.chance(30) { " weight s_f" } else { "" }
                ),
                _ => g.num(2),
            };
            if v.contains(" in ") {
                format!("hist {name} = {v}\n")
            } else {
                format!("hist {name} = {v} in {axis}\n")
            }
        };
        let mut nh = 0;
        for _ in 0..self.r.below(3) {
            out += &hist(self, &format!("h{nh}"));
            nh += 1;
        }
        for i in 0..self.r.below(3) {
            let b = self.boolean(1);
            out += &format!("cut \"k{i}\" {b}\n");
        }
        for i in 0..self.r.below(2) {
            let b = self.boolean(1);
            out += &format!("counter n{i} when {b}\n");
        }
        if self.r.chance(40) {
            let (a, b) = (self.num(1), self.boolean(0));
            out += &format!("collect rows = ({a}, {b}, A[0].n ?? -9) max 20\n");
        }
        for reg in 0..self.r.below(3) {
            out += &format!("region r{reg} {{\n");
            let b = self.boolean(1);
            out += &format!("    cut \"r{reg}\" {b}\n");
            out += &format!("    {}", hist(self, &format!("h{nh}")));
            nh += 1;
            out += "}\n";
        }
        if nh == 0 {
            out += &hist(self, "hz");
        }
        if self.r.chance(60) {
            out += "vary scale: A.pt = pt * 1.1\n";
        }
        if self.r.chance(50) {
            out += "vary smear: A.x = x * normal(1, 0.1)\n";
        }
        if self.r.chance(40) {
            out += "vary wv: weight up 1 + 0.01 * (A[0].pt ?? 0), down 1\n";
        }
        out
    }
}

#[test]
fn native_kernels_equal_the_interpreter_on_random_analyses() {
    let dir = std::env::temp_dir().join(format!("anac-native-prop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("data.root");
    write_file(&file, 700);
    std::fs::write(
        dir.join("s.yaml"),
        "sim:\n  nominal:\n    files:\n    - path: data.root\n    xsec: 3.5\n",
    )
    .unwrap();
    let mut r = Rng(42);
    let (mut ran, mut failed_alike, mut refused) = (0, 0, 0);
    for case in 0..160 {
        let text = Gen {
            r: &mut r,
            objects: Vec::new(),
            lets: Vec::new(),
            bools: Vec::new(),
        }
        .analysis();
        let ana = dir.join("a.ana");
        std::fs::write(&ana, &text).unwrap();
        let unit_opts = anac::runtime::units::Options {
            max_files: None,
            max_events: None,
        };
        let prepared = match anac::runtime::prepare(&ana, None, &unit_opts) {
            Ok(p) => p,
            Err(_) => {
                refused += 1;
                continue;
            }
        };
        let native =
            anac::codegen::event::compile(&prepared.plan, &anac::runtime::native::HOOKS, false)
                .unwrap_or_else(|e| panic!("case {case}: not compiled: {e}\n{text}"));
        let opts =
            |native: Option<std::sync::Arc<anac::codegen::event::EventKernels>>| EngineOptions {
                threads: 1,
                chunk_size: 250,
                kernels: None,
                native,
                store: None,
                skip_missing: false,
                read_only: false,
            };
        let cancel = AtomicBool::new(false);
        let a = anac::runtime::execute(&prepared, &opts(None), &|_| {}, &cancel);
        let b = anac::runtime::execute(
            &prepared,
            &opts(Some(std::sync::Arc::new(native))),
            &|_| {},
            &cancel,
        );
        match (a, b) {
            (Ok((_, ja, _)), Ok((_, jb, _))) => {
                let (da, db) = (format!("{ja:?}"), format!("{jb:?}"));
                assert!(
                    da == db,
                    "case {case}: results differ\n{text}\ninterpreter: {}\nnative:      {}",
                    &da[..da.len().min(3000)],
                    &db[..db.len().min(3000)]
                );
                ran += 1;
            }
            (Err(ea), Err(eb)) => {
                assert_eq!(
                    (ea.kind, &ea.message, ea.entry),
                    (eb.kind, &eb.message, eb.entry),
                    "case {case}: different errors\n{text}"
                );
                failed_alike += 1;
            }
            (a, b) => panic!(
                "case {case}: one engine failed\n{text}\ninterpreter: {:?}\nnative: {:?}",
                a.err(),
                b.err()
            ),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "{ran} analyses equal, {failed_alike} failed alike, {refused} refused by the checker"
    );
    assert!(
        ran >= 80,
        "only {ran} random analyses ran ({refused} refused)"
    );
    assert!(failed_alike >= 1, "no analysis exercised a run-time error");
}
