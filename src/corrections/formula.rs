//! The TFormula subset that correctionlib 2.9 accepts, parsed and evaluated the same way.
//!
//! Grammar (a PEG with precedence climbing, as correctionlib defines it):
//! ```text
//! EXPRESSION <- ATOM (BINARYOP ATOM)*        precedence, loosest first:
//!                                            || ; && ; == != ; > < >= <= ; - + ; / * ; ^ (right)
//! ATOM       <- LITERAL / UATOM
//! UATOM      <- '-'? ( CALLU / CALLB / NAME / '(' EXPRESSION ')' )
//! CALLU      <- UNARYF '(' EXPRESSION ')'    log log10 exp erf sqrt abs cos sin tan acos asin
//!                                            atan cosh sinh tanh acosh asinh atanh
//! CALLB      <- BINARYF '(' EXPRESSION ',' EXPRESSION ')'     atan2 pow max min
//! NAME       <- '[' digits ']' (parameter) / 'x[' digits ']' / x y z t (variables 0..3)
//! LITERAL    <- '-'? [0-9]+ ('.' [0-9]*)? ('e' '-'? [0-9]+)?   (no spaces inside)
//! whitespace <- [ \t]*
//! ```
//! Consequences worth knowing: a leading minus belongs to the atom, so `-x^2` is `(-x)^2` and
//! `-2^2` is `4`; `- 2` and `--x` do not parse; a trailing binary operator is consumed and
//! ignored (`x+` is `x`) because the climbing loop keeps the operator when its right operand
//! fails; function and operator names match the longest alternative; a literal overflowing a
//! double becomes ±`f64::MAX` (C++ stream extraction), a parameter index overflowing 64 bits
//! becomes 0.

use super::eval::Value;

/// Maximum depth of the expression tree (evaluation recurses once per level).
pub(crate) const MAX_FORMULA_DEPTH: usize = 512;

/// Maximum nesting of sub-expressions while parsing (parentheses, function arguments, right
/// operands of `^`); the parser recurses a few frames per level.
pub(crate) const MAX_PARSE_NESTING: usize = 160;

/// Unary operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnaryOp {
    Neg,
    Log,
    Log10,
    Exp,
    Erf,
    Sqrt,
    Abs,
    Cos,
    Sin,
    Tan,
    Acos,
    Asin,
    Atan,
    Cosh,
    Sinh,
    Tanh,
    Acosh,
    Asinh,
    Atanh,
}

/// Binary operations (operators and two-argument functions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Sub,
    Add,
    Div,
    Mul,
    Pow,
    Atan2,
    Max,
    Min,
}

/// One node of a parsed expression; children are indices into [`Expr::nodes`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ExprNode {
    Lit(f64),
    /// Before [`Expr::bind_variables`]: the formula variable index (x = 0, y = 1, ...);
    /// after: the correction input index.
    Var(usize),
    Param(usize),
    Unary(UnaryOp, u32),
    Binary(BinaryOp, u32, u32),
}

/// A parsed expression: a flat arena with the root last.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expr {
    nodes: Vec<ExprNode>,
    root: u32,
}

/// A parse failure: byte offset into the expression and message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FormulaError {
    pub offset: usize,
    pub message: String,
}

const UNARY_FUNCS: &[(&str, UnaryOp)] = &[
    ("log", UnaryOp::Log),
    ("log10", UnaryOp::Log10),
    ("exp", UnaryOp::Exp),
    ("erf", UnaryOp::Erf),
    ("sqrt", UnaryOp::Sqrt),
    ("abs", UnaryOp::Abs),
    ("cos", UnaryOp::Cos),
    ("sin", UnaryOp::Sin),
    ("tan", UnaryOp::Tan),
    ("acos", UnaryOp::Acos),
    ("asin", UnaryOp::Asin),
    ("atan", UnaryOp::Atan),
    ("cosh", UnaryOp::Cosh),
    ("sinh", UnaryOp::Sinh),
    ("tanh", UnaryOp::Tanh),
    ("acosh", UnaryOp::Acosh),
    ("asinh", UnaryOp::Asinh),
    ("atanh", UnaryOp::Atanh),
];

const BINARY_FUNCS: &[(&str, BinaryOp)] = &[
    ("atan2", BinaryOp::Atan2),
    ("pow", BinaryOp::Pow),
    ("max", BinaryOp::Max),
    ("min", BinaryOp::Min),
];

/// Operators with (operation, precedence level (higher binds tighter), right-associative).
const OPERATORS: &[(&str, (BinaryOp, u8, bool))] = &[
    ("||", (BinaryOp::Or, 1, false)),
    ("&&", (BinaryOp::And, 2, false)),
    ("==", (BinaryOp::Eq, 3, false)),
    ("!=", (BinaryOp::Ne, 3, false)),
    (">", (BinaryOp::Gt, 4, false)),
    ("<", (BinaryOp::Lt, 4, false)),
    (">=", (BinaryOp::Ge, 4, false)),
    ("<=", (BinaryOp::Le, 4, false)),
    ("-", (BinaryOp::Sub, 5, false)),
    ("+", (BinaryOp::Add, 5, false)),
    ("/", (BinaryOp::Div, 6, false)),
    ("*", (BinaryOp::Mul, 6, false)),
    ("^", (BinaryOp::Pow, 7, true)),
];

/// The longest entry of `table` that prefixes `s` (a PEG dictionary match).
fn longest<'t, T>(s: &[u8], table: &'t [(&'static str, T)]) -> Option<&'t (&'static str, T)> {
    table
        .iter()
        .filter(|(name, _)| s.starts_with(name.as_bytes()))
        .max_by_key(|(name, _)| name.len())
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    nodes: Vec<ExprNode>,
    /// Depth of each node's subtree, parallel to `nodes`.
    heights: Vec<usize>,
    depth: usize,
}

type Parsed = Result<Option<u32>, FormulaError>;

impl Parser<'_> {
    fn ws(&mut self) {
        while matches!(self.s.get(self.pos), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn lit(&mut self, text: &[u8]) -> bool {
        if self.s[self.pos..].starts_with(text) {
            self.pos += text.len();
            self.ws();
            true
        } else {
            false
        }
    }

    fn digits(&self, from: usize) -> usize {
        let mut p = from;
        while self.s.get(p).is_some_and(u8::is_ascii_digit) {
            p += 1;
        }
        p
    }

    fn push(&mut self, node: ExprNode) -> Result<u32, FormulaError> {
        let h = match node {
            ExprNode::Lit(_) | ExprNode::Var(_) | ExprNode::Param(_) => 1,
            ExprNode::Unary(_, a) => 1 + self.heights[a as usize],
            ExprNode::Binary(_, a, b) => 1 + self.heights[a as usize].max(self.heights[b as usize]),
        };
        if h > MAX_FORMULA_DEPTH {
            return Err(FormulaError {
                offset: self.pos,
                message: format!("expression nested deeper than {MAX_FORMULA_DEPTH} levels"),
            });
        }
        self.nodes.push(node);
        self.heights.push(h);
        u32::try_from(self.nodes.len() - 1).map_err(|_| FormulaError {
            offset: self.pos,
            message: "expression too long".into(),
        })
    }

    fn enter(&mut self) -> Result<(), FormulaError> {
        self.depth += 1;
        if self.depth > MAX_PARSE_NESTING {
            return Err(FormulaError {
                offset: self.pos,
                message: format!("expression nested deeper than {MAX_PARSE_NESTING} levels"),
            });
        }
        Ok(())
    }

    /// `ATOM (BINARYOP ATOM)*` by precedence climbing from `min_prec`.
    fn expression(&mut self, min_prec: u8) -> Parsed {
        self.enter()?;
        let r = self.expression_inner(min_prec);
        self.depth -= 1;
        r
    }

    fn expression_inner(&mut self, min_prec: u8) -> Parsed {
        let Some(mut lhs) = self.atom()? else {
            return Ok(None);
        };
        while self.pos < self.s.len() {
            let Some(&(name, (op, level, right))) = longest(&self.s[self.pos..], OPERATORS) else {
                break;
            };
            if level < min_prec {
                break;
            }
            self.pos += name.len();
            self.ws();
            let next = if right { level } else { level + 1 };
            let save_nodes = self.nodes.len();
            match self.expression(next)? {
                Some(rhs) => lhs = self.push(ExprNode::Binary(op, lhs, rhs))?,
                None => {
                    // The operator stays consumed; its operand is dropped (as correctionlib does).
                    self.nodes.truncate(save_nodes);
                    self.heights.truncate(save_nodes);
                    break;
                }
            }
        }
        Ok(Some(lhs))
    }

    fn atom(&mut self) -> Parsed {
        if let Some(n) = self.literal()? {
            return Ok(Some(n));
        }
        self.uatom()
    }

    fn literal(&mut self) -> Parsed {
        let start = self.pos;
        let mut p = start;
        if self.s.get(p) == Some(&b'-') {
            p += 1;
        }
        let d = self.digits(p);
        if d == p {
            return Ok(None);
        }
        p = d;
        if self.s.get(p) == Some(&b'.') {
            p = self.digits(p + 1);
        }
        if self.s.get(p) == Some(&b'e') {
            let mut q = p + 1;
            if self.s.get(q) == Some(&b'-') {
                q += 1;
            }
            let e = self.digits(q);
            if e > q {
                p = e;
            }
        }
        let text = std::str::from_utf8(&self.s[start..p]).unwrap_or("");
        let v: f64 = text.parse().map_err(|_| FormulaError {
            offset: start,
            message: format!("invalid number {text:?}"),
        })?;
        // C++ stream extraction turns overflow into the largest finite value.
        let v = if v.is_infinite() {
            f64::MAX.copysign(v)
        } else {
            v
        };
        self.pos = p;
        self.ws();
        self.push(ExprNode::Lit(v)).map(Some)
    }

    fn uatom(&mut self) -> Parsed {
        let start = self.pos;
        let negate = self.s.get(self.pos) == Some(&b'-');
        if negate {
            self.pos += 1;
            self.ws();
        }
        let mut inner = self.call_unary()?;
        if inner.is_none() {
            inner = self.call_binary()?;
        }
        if inner.is_none() {
            inner = self.name()?;
        }
        if inner.is_none() {
            inner = self.parenthesized()?;
        }
        match inner {
            None => {
                self.pos = start;
                Ok(None)
            }
            Some(n) if negate => self.push(ExprNode::Unary(UnaryOp::Neg, n)).map(Some),
            Some(n) => Ok(Some(n)),
        }
    }

    /// Runs `body` and rewinds position and arena if it does not match.
    fn attempt(&mut self, body: impl FnOnce(&mut Self) -> Parsed) -> Parsed {
        let (pos, len) = (self.pos, self.nodes.len());
        let r = body(self)?;
        if r.is_none() {
            self.pos = pos;
            self.nodes.truncate(len);
            self.heights.truncate(len);
        }
        Ok(r)
    }

    fn call_unary(&mut self) -> Parsed {
        self.attempt(|p| {
            let Some(&(name, op)) = longest(&p.s[p.pos..], UNARY_FUNCS) else {
                return Ok(None);
            };
            p.pos += name.len();
            p.ws();
            if !p.lit(b"(") {
                return Ok(None);
            }
            let Some(arg) = p.expression(0)? else {
                return Ok(None);
            };
            if !p.lit(b")") {
                return Ok(None);
            }
            p.push(ExprNode::Unary(op, arg)).map(Some)
        })
    }

    fn call_binary(&mut self) -> Parsed {
        self.attempt(|p| {
            let Some(&(name, op)) = longest(&p.s[p.pos..], BINARY_FUNCS) else {
                return Ok(None);
            };
            p.pos += name.len();
            p.ws();
            if !p.lit(b"(") {
                return Ok(None);
            }
            let Some(a) = p.expression(0)? else {
                return Ok(None);
            };
            if !p.lit(b",") {
                return Ok(None);
            }
            let Some(b) = p.expression(0)? else {
                return Ok(None);
            };
            if !p.lit(b")") {
                return Ok(None);
            }
            p.push(ExprNode::Binary(op, a, b)).map(Some)
        })
    }

    fn name(&mut self) -> Parsed {
        self.attempt(|p| {
            // PARAMETER <- '[' < [0-9]+ > ']'
            if p.lit(b"[") {
                let d = p.digits(p.pos);
                if d == p.pos {
                    return Ok(None);
                }
                let text = std::str::from_utf8(&p.s[p.pos..d]).unwrap_or("");
                // std::from_chars leaves the value 0 on overflow.
                let idx = text.parse::<u64>().unwrap_or(0);
                p.pos = d;
                p.ws();
                if !p.lit(b"]") {
                    return Ok(None);
                }
                let idx = usize::try_from(idx).unwrap_or(usize::MAX);
                return p.push(ExprNode::Param(idx)).map(Some);
            }
            // VARIABLE <- < 'x[' [0-9]+ ']' / [xyzt] >
            let start = p.pos;
            if p.s[p.pos..].starts_with(b"x[") {
                let d = p.digits(p.pos + 2);
                if d > p.pos + 2 && p.s.get(d) == Some(&b']') {
                    let text = std::str::from_utf8(&p.s[p.pos + 2..d]).unwrap_or("");
                    let idx = text.parse::<usize>().map_err(|_| FormulaError {
                        offset: start,
                        message: format!("variable index {text} is too large"),
                    })?;
                    p.pos = d + 1;
                    p.ws();
                    return p.push(ExprNode::Var(idx)).map(Some);
                }
            }
            let idx = match p.s.get(p.pos) {
                Some(b'x') => 0,
                Some(b'y') => 1,
                Some(b'z') => 2,
                Some(b't') => 3,
                _ => return Ok(None),
            };
            p.pos += 1;
            p.ws();
            p.push(ExprNode::Var(idx)).map(Some)
        })
    }

    fn parenthesized(&mut self) -> Parsed {
        self.attempt(|p| {
            if !p.lit(b"(") {
                return Ok(None);
            }
            let Some(e) = p.expression(0)? else {
                return Ok(None);
            };
            if !p.lit(b")") {
                return Ok(None);
            }
            Ok(Some(e))
        })
    }
}

impl Expr {
    /// Parses a TFormula expression.
    pub(crate) fn parse(text: &str) -> Result<Expr, FormulaError> {
        let mut p = Parser {
            s: text.as_bytes(),
            pos: 0,
            nodes: Vec::new(),
            heights: Vec::new(),
            depth: 0,
        };
        p.ws();
        let root = p.expression(0)?;
        match root {
            Some(root) if p.pos == p.s.len() => Ok(Expr {
                nodes: p.nodes,
                root,
            }),
            _ => {
                let at = p.pos;
                let rest: String = text.get(at..).unwrap_or("").chars().take(12).collect();
                Err(FormulaError {
                    offset: at,
                    message: if rest.is_empty() {
                        "expression is empty or incomplete".into()
                    } else {
                        format!("cannot parse the expression from {rest:?} on")
                    },
                })
            }
        }
    }

    /// The largest variable index used (x = 0, ...), if any.
    pub(crate) fn max_variable(&self) -> Option<usize> {
        self.nodes
            .iter()
            .filter_map(|n| match n {
                ExprNode::Var(i) => Some(*i),
                _ => None,
            })
            .max()
    }

    /// The largest parameter index used, if any.
    pub(crate) fn max_parameter(&self) -> Option<usize> {
        self.nodes
            .iter()
            .filter_map(|n| match n {
                ExprNode::Param(i) => Some(*i),
                _ => None,
            })
            .max()
    }

    /// Replaces formula variable indices by correction input indices (`map[k]` for variable k).
    /// The caller has checked `max_variable() < map.len()`.
    pub(crate) fn bind_variables(&mut self, map: &[usize]) {
        for n in &mut self.nodes {
            if let ExprNode::Var(i) = n
                && let Some(&input) = map.get(*i)
            {
                *i = input;
            }
        }
    }

    /// Evaluates with the given input values (variables must hold reals) and parameters.
    pub(crate) fn eval(&self, values: &[Value<'_>], params: &[f64]) -> Option<f64> {
        self.eval_node(self.root, values, params)
    }

    fn eval_node(&self, id: u32, values: &[Value<'_>], params: &[f64]) -> Option<f64> {
        Some(match *self.nodes.get(id as usize)? {
            ExprNode::Lit(v) => v,
            ExprNode::Var(i) => match values.get(i)? {
                Value::Real(v) => *v,
                Value::Int(_) | Value::Str(_) => return None,
            },
            ExprNode::Param(i) => *params.get(i)?,
            ExprNode::Unary(op, a) => unary(op, self.eval_node(a, values, params)?),
            ExprNode::Binary(op, a, b) => {
                let l = self.eval_node(a, values, params)?;
                let r = self.eval_node(b, values, params)?;
                binary(op, l, r)
            }
        })
    }
}

fn flag(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// One unary operation, with the C library's functions (std calls the platform libm; the
/// inverse hyperbolics and erf come from the `libm` crate, within an ulp or two of glibc).
pub(crate) fn unary(op: UnaryOp, a: f64) -> f64 {
    match op {
        UnaryOp::Neg => -a,
        UnaryOp::Log => a.ln(),
        UnaryOp::Log10 => a.log10(),
        UnaryOp::Exp => a.exp(),
        UnaryOp::Erf => libm::erf(a),
        UnaryOp::Sqrt => a.sqrt(),
        UnaryOp::Abs => a.abs(),
        UnaryOp::Cos => a.cos(),
        UnaryOp::Sin => a.sin(),
        UnaryOp::Tan => a.tan(),
        UnaryOp::Acos => a.acos(),
        UnaryOp::Asin => a.asin(),
        UnaryOp::Atan => a.atan(),
        UnaryOp::Cosh => a.cosh(),
        UnaryOp::Sinh => a.sinh(),
        UnaryOp::Tanh => a.tanh(),
        UnaryOp::Acosh => libm::acosh(a),
        UnaryOp::Asinh => libm::asinh(a),
        UnaryOp::Atanh => libm::atanh(a),
    }
}

/// One binary operation; `max`/`min` follow `std::max`/`std::min` (the first argument wins
/// unless the comparison says otherwise, which matters for NaN).
pub(crate) fn binary(op: BinaryOp, l: f64, r: f64) -> f64 {
    match op {
        BinaryOp::Or => flag(l != 0.0 || r != 0.0),
        BinaryOp::And => flag(l != 0.0 && r != 0.0),
        BinaryOp::Eq => flag(l == r),
        BinaryOp::Ne => flag(l != r),
        BinaryOp::Gt => flag(l > r),
        BinaryOp::Lt => flag(l < r),
        BinaryOp::Ge => flag(l >= r),
        BinaryOp::Le => flag(l <= r),
        BinaryOp::Sub => l - r,
        BinaryOp::Add => l + r,
        BinaryOp::Div => l / r,
        BinaryOp::Mul => l * r,
        BinaryOp::Pow => l.powf(r),
        BinaryOp::Atan2 => l.atan2(r),
        BinaryOp::Max => {
            if l < r {
                r
            } else {
                l
            }
        }
        BinaryOp::Min => {
            if r < l {
                r
            } else {
                l
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(text: &str, x: f64) -> f64 {
        let mut e = Expr::parse(text).unwrap_or_else(|err| panic!("{text}: {err:?}"));
        e.bind_variables(&[0, 1]);
        e.eval(&[Value::Real(x), Value::Real(10.0)], &[2.5, 4.0])
            .expect("evaluates")
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(ev("1 + 2 * 3 ^ 2", 0.0), 19.0);
        assert_eq!(ev("2^3^2", 0.0), 512.0);
        assert_eq!(ev("3-2-1", 0.0), 0.0);
        assert_eq!(ev("8/4/2", 0.0), 1.0);
        assert_eq!(ev("1 < 2 == 1", 0.0), 1.0);
        assert_eq!(ev("0 || 1 && 0", 0.0), 0.0);
        assert_eq!(ev("x>=2", 2.0), 1.0);
        assert_eq!(ev("x<=1", 2.0), 0.0);
        assert_eq!(ev("x - y * 2", 1.0), -19.0);
    }

    #[test]
    fn unary_minus_binds_to_the_atom() {
        assert_eq!(ev("-2^2", 0.0), 4.0);
        assert_eq!(ev("-x^2", 2.0), 4.0);
        assert_eq!(ev("x*-x", 2.0), -4.0);
        assert_eq!(ev("2 ^ - x", 2.0), 0.25);
        assert_eq!(ev("- (x)", 2.0), -2.0);
        assert_eq!(ev("-[0]", 0.0), -2.5);
        assert!(Expr::parse("- 2").is_err());
        assert!(Expr::parse("--x").is_err());
        assert!(Expr::parse("1 + - 1").is_err());
    }

    #[test]
    fn literals_names_and_functions() {
        assert_eq!(ev("1.", 0.0), 1.0);
        assert_eq!(ev("1.e2", 0.0), 100.0);
        assert_eq!(ev("1e-2", 0.0), 0.01);
        assert_eq!(ev("01", 0.0), 1.0);
        assert_eq!(ev("1e400", 0.0), f64::MAX);
        assert_eq!(ev("-0", 0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(ev("log10(x)", 100.0), 2.0);
        assert_eq!(ev("atan2(x, 1)", 0.0), 0.0);
        assert_eq!(ev("x[1] + [1]", 0.0), 14.0);
        assert_eq!(ev("[ 0 ]", 0.0), 2.5);
        assert_eq!(ev("max(x, 1) + min(1, x)", 3.0), 4.0);
        assert_eq!(ev("exp (0)", 3.0), 1.0);
        for bad in [
            ".5",
            "1E2",
            "1e+2",
            "0x1",
            "x\n",
            "",
            "TMath::Exp(x)",
            "2*3%2",
            "xy",
        ] {
            assert!(Expr::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn dangling_operator_is_ignored() {
        assert_eq!(ev("x+", 2.0), 2.0);
        assert_eq!(ev("x * 2 + ", 2.0), 4.0);
        assert_eq!(ev("(x+)", 2.0), 2.0);
        assert!(Expr::parse("x + * 2").is_err());
    }

    #[test]
    fn nan_in_max_min_follows_std() {
        assert!(binary(BinaryOp::Max, f64::NAN, 1.0).is_nan());
        assert_eq!(binary(BinaryOp::Max, 1.0, f64::NAN), 1.0);
        assert!(binary(BinaryOp::Min, f64::NAN, 1.0).is_nan());
        assert_eq!(binary(BinaryOp::Min, 1.0, f64::NAN), 1.0);
    }

    #[test]
    fn depth_is_limited() {
        let deep = format!("{}x{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(Expr::parse(&deep).unwrap_err().message.contains("deeper"));
        let long = vec!["x"; 100_000].join("+");
        assert!(Expr::parse(&long).unwrap_err().message.contains("deeper"));
        let ok = vec!["x"; 400].join("+");
        assert_eq!(ev(&ok, 1.0), 400.0);
    }
}
