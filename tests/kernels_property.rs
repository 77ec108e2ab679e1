//! Native kernels = interpreter, bit for bit, on random expressions.
//!
//! Random, well-typed expressions over the per-event branches of a real file (doubles, floats,
//! 32- and 64-bit integers, unsigned, bools; `../shared/data/rootgen/layouts_zlib.root`, 1000
//! entries) and extreme constants (0, ±1, i64::MAX, i64::MIN, NaN, ±∞, tiny and huge floats):
//! every operator and math builtin a kernel compiles, in every combination the generator reaches.
//! Each expression is checked, lowered and optimised like an analysis; its value is computed for
//! every entry by the interpreter and by the kernels, and the two must be identical (floats by
//! their bits, every NaN counting as equal).

use anac::diagnostics::SourceFile;
use anac::io::root::{RootFile, Scratch};
use anac::runtime::columns::Chunk;
use anac::runtime::eval::{Frame, SampleCtx, V};
use anac::sema::{SemaEnv, check_source};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

const INT_LEAVES: &[&str] = &[
    "i",
    "u",
    "l",
    "n",
    "0",
    "1",
    "-1",
    "7",
    "9223372036854775807",
    "(-9223372036854775807 - 1)",
];
const FLOAT_LEAVES: &[&str] = &[
    "x",
    "f",
    "0.0",
    "-0.0",
    "1.5",
    "1e300",
    "1e-300",
    "(0.0 / 0.0)",
    "(1.0 / 0.0)",
    "(-1.0 / 0.0)",
];
const MATH1: &[&str] = &[
    "abs",
    "sqrt",
    "exp",
    "log",
    "log10",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "tanh",
    "floor",
    "ceil",
    "round",
    "normal_quantile",
];

/// A numeric expression (int when `int`, else float) of nesting at most `d`.
fn num(r: &mut Rng, d: u32, int: bool) -> String {
    if d == 0 || r.next().is_multiple_of(4) {
        return r
            .pick(if int { INT_LEAVES } else { FLOAT_LEAVES })
            .to_string();
    }
    match (int, r.next() % 7) {
        (true, 0) => format!("-({})", num(r, d - 1, true)),
        (true, 1) => format!("~({})", num(r, d - 1, true)),
        (true, 2) => {
            let op = r.pick(&["&", "|", "^"]);
            format!("({} {op} {})", num(r, d - 1, true), num(r, d - 1, true))
        }
        (true, 3) => format!("abs({})", num(r, d - 1, true)),
        (true, 4) => {
            let f = r.pick(&["min", "max"]);
            format!("{f}({}, {})", num(r, d - 1, true), num(r, d - 1, true))
        }
        (true, _) => {
            let op = r.pick(&["+", "-", "*"]);
            format!("({} {op} {})", num(r, d - 1, true), num(r, d - 1, true))
        }
        (false, 0) => format!("{}({})", r.pick(MATH1), num(r, d - 1, false)),
        (false, 1) => {
            let f = r.pick(&["pow", "atan2"]);
            let b_int = r.next().is_multiple_of(2);
            format!("{f}({}, {})", num(r, d - 1, false), num(r, d - 1, b_int))
        }
        (false, 2) => {
            let f = r.pick(&["min", "max"]);
            let b_int = r.next().is_multiple_of(2);
            format!("{f}({}, {})", num(r, d - 1, false), num(r, d - 1, b_int))
        }
        (false, 3) => {
            let b_int = r.next().is_multiple_of(2);
            format!(
                "(if {} then {} else {})",
                cond(r, d - 1),
                num(r, d - 1, false),
                num(r, d - 1, b_int)
            )
        }
        (false, 4) => format!("float({})", num(r, d - 1, true)),
        (false, _) => {
            let op = r.pick(&["+", "-", "*", "/"]);
            let a_int = r.next().is_multiple_of(3);
            format!("({} {op} {})", num(r, d - 1, a_int), num(r, d - 1, false))
        }
    }
}

/// A boolean expression of nesting at most `d`.
fn cond(r: &mut Rng, d: u32) -> String {
    if d == 0 || r.next().is_multiple_of(4) {
        return r.pick(&["b", "true", "false"]).to_string();
    }
    match r.next() % 4 {
        0 => format!("not ({})", cond(r, d - 1)),
        1 => {
            let op = r.pick(&["and", "or"]);
            format!("({} {op} {})", cond(r, d - 1), cond(r, d - 1))
        }
        _ => {
            let op = r.pick(&["==", "!=", "<", "<=", ">", ">="]);
            let (a, b) = (r.next().is_multiple_of(2), r.next().is_multiple_of(2));
            format!("({} {op} {})", num(r, d - 1, a), num(r, d - 1, b))
        }
    }
}

fn same(a: V, b: V) -> bool {
    match (a, b) {
        (V::F(x), V::F(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        (a, b) => a == b,
    }
}

#[test]
fn kernels_equal_the_interpreter_bit_for_bit_on_random_expressions() {
    let Some(path) = anac::testing::shared_file("rootgen/layouts_zlib.root") else {
        return;
    };
    let file = RootFile::open(&path).expect("layouts file opens");
    let tree = file.tree("t").expect("tree t");
    let schema = tree.schema();
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut compiled, mut compared) = (0, 0u64);
    for case in 0..1500u32 {
        let int = case.is_multiple_of(3);
        let (expr, ty) = if case % 5 == 4 {
            (cond(&mut r, 4), "bool")
        } else {
            (num(&mut r, 4, int), if int { "int" } else { "float" })
        };
        let text = format!("tree t\nlet e = {expr}\ncut \"c\" e == e or true\n");
        let source = SourceFile::new("case.ana", text.clone());
        let env = SemaEnv {
            schema: Some(&schema),
            processes: None,
            schema_processes: None,
        };
        let (checked, diags) = check_source(&source, &env);
        if diags.iter().any(|d| d.is_error()) {
            // A combination the language refuses (e.g. `%` is not generated, but a bool where a
            // number is needed can be): not a kernel question.
            continue;
        }
        let (file_ast, _) = anac::syntax::parse(&source);
        let plan = anac::ir::lower(
            &file_ast.expect("parses"),
            &source.text,
            &checked.expect("checked"),
            &schema,
        )
        .expect("lowers");
        let plan = anac::passes::optimize(plan);
        let kernels = anac::codegen::compile(&plan).expect("kernels compile");
        let def = plan
            .defs
            .iter()
            .find(|d| d.name == "e")
            .expect("def e")
            .node;
        if kernels.by_node[def.0 as usize].is_some() {
            compiled += 1;
        }
        let mut chunk = Chunk::default();
        let mut scratch = Scratch::default();
        chunk
            .load(
                &plan,
                &file,
                &anac::io::dataset::Dataset::Tree(tree.clone()),
                0..tree.entries(),
                &mut scratch,
            )
            .expect("chunk loads");
        let s = SampleCtx {
            xsec: 1.0,
            nevts: 1.0,
            sumw: 1.0,
            file_key: 7,
            is_data: false,
            process: "toy".into(),
            variation: "nominal".into(),
        };
        let mut a = Frame::new(&plan, &[], None);
        let mut b = Frame::new(&plan, &[], Some(&kernels));
        b.bind_chunk(&chunk);
        for ev in 0..chunk.entries {
            a.begin_event(&chunk, ev, ev as u64);
            b.begin_event(&chunk, ev, ev as u64);
            let x = a.eval(&chunk, &s, def).expect("interpreter");
            let y = b.eval(&chunk, &s, def).expect("kernel");
            assert!(
                same(x, y),
                "case {case} ({ty}) entry {ev}: interpreter {x:?}, kernel {y:?}\n{expr}"
            );
            compared += 1;
        }
    }
    assert!(
        compiled >= 500,
        "only {compiled} expressions became kernels"
    );
    eprintln!("{compiled} kernels, {compared} values compared");
}
