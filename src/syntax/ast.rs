//! The abstract syntax tree of one `.ana` file.
//!
//! Input: built by `syntax::build` from the pest parse tree. Output: consumed by `sema`.
//! Invariants: every node carries a [`Span`] into its source; no pest types appear here; every
//! [`Expr`] has an [`ExprId`] unique within its file (dense, from 0), which `sema` uses to attach
//! types and name resolutions; no expression is nested deeper than `syntax::MAX_DEPTH`, so
//! recursive walks (and the recursive `Drop`) are safe.

use crate::diagnostics::Span;

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal's value (escapes resolved) and its span (including the quotes).
#[derive(Debug, Clone, PartialEq)]
pub struct StrLit {
    pub value: String,
    pub span: Span,
}

/// A whole file: header lines, then statements, in source order.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub headers: Vec<Header>,
    pub stmts: Vec<Stmt>,
    /// Number of expressions in the file: every `ExprId` is below this.
    pub expr_count: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub kind: HeaderKind,
    /// The whole header line.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum HeaderKind {
    Analysis(Ident),
    /// Tree name (from an identifier or a string).
    Tree(StrLit),
    Samples(StrLit),
    Lumi {
        value: f64,
        span: Span,
    },
    Output(StrLit),
}

impl File {
    fn header<'a, T>(&'a self, pick: impl Fn(&'a HeaderKind) -> Option<T>) -> Option<T> {
        self.headers.iter().find_map(|h| pick(&h.kind))
    }

    /// The `samples "PATH"` header: the path as written (relative to the .ana file).
    pub fn samples_path(&self) -> Option<(&str, Span)> {
        self.header(|h| match h {
            HeaderKind::Samples(s) => Some((s.value.as_str(), s.span)),
            _ => None,
        })
    }

    /// The `tree NAME` header.
    pub fn tree_name(&self) -> Option<(&str, Span)> {
        self.header(|h| match h {
            HeaderKind::Tree(s) => Some((s.value.as_str(), s.span)),
            _ => None,
        })
    }

    /// The `analysis NAME` header.
    pub fn analysis_name(&self) -> Option<(&str, Span)> {
        self.header(|h| match h {
            HeaderKind::Analysis(i) => Some((i.name.as_str(), i.span)),
            _ => None,
        })
    }

    /// The `lumi N` header (in /pb).
    pub fn lumi(&self) -> Option<(f64, Span)> {
        self.header(|h| match h {
            HeaderKind::Lumi { value, span } => Some((*value, *span)),
            _ => None,
        })
    }

    /// The `output "TEMPLATE"` header.
    pub fn output_template(&self) -> Option<&StrLit> {
        self.header(|h| match h {
            HeaderKind::Output(s) => Some(s),
            _ => None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    /// The whole statement.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    Const {
        name: Ident,
        value: Expr,
    },
    Object {
        name: Ident,
        value: Expr,
    },
    Let {
        name: Ident,
        value: Expr,
    },
    Cut {
        label: StrLit,
        cond: Expr,
    },
    Weight {
        value: Expr,
    },
    Hist(Hist),
    Counter {
        name: Ident,
        when: Option<Expr>,
    },
    Collect {
        name: Ident,
        values: Vec<Expr>,
        max: Option<Expr>,
    },
    /// `skim NAME = (ITEM, ...)`: the values of the events that reach it, written as a tree.
    Skim {
        name: Ident,
        items: Vec<SkimItem>,
    },
    /// Only cut, let, weight, hist, counter, collect and skim appear in a region body (the grammar
    /// ensures it). `from`: the region it builds on (`region SR from baseline { ... }`).
    Region {
        name: Ident,
        from: Option<Ident>,
        body: Vec<Stmt>,
    },
    Vary(Vary),
    Derive {
        name: Ident,
        value: DExpr,
    },
    /// `fn NAME(PARAMS) = BODY`: a function; every call below is inlined (`ExprKind::Inline`).
    /// The body here is the definition as written (calls of functions above inlined), which
    /// sema checks once with parameters of unknown type.
    Function {
        name: Ident,
        params: Vec<Ident>,
        body: Expr,
    },
    /// `let COLL.NAME = VALUE`: a field of every element of tree collection `COLL`, computed
    /// from the element (its fields bare in `VALUE`), used like a stored field.
    DerivedField {
        coll: Ident,
        name: Ident,
        value: Expr,
    },
    /// `table NAME(PARAMS) edges P [...] ... values [...] flow F`: a binned lookup.
    Table(Table),
    /// `only simulation { ... }`, `only data { ... }`, `only P1, P2 { ... }`: statements for the
    /// matching samples only. The body holds any statement as written; sema refuses those that
    /// do not belong in it (and a nested `only`).
    Only {
        targets: Vec<Ident>,
        body: Vec<Stmt>,
    },
    /// `correction NAME = "KEY" from "FILE"`: the correction `KEY` of the correctionlib file
    /// `FILE` (relative to the .ana file), callable as `NAME(inputs...)`.
    Correction {
        name: Ident,
        key: StrLit,
        file: StrLit,
    },
}

/// A binned lookup table over one or more variables.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: Ident,
    pub params: Vec<Ident>,
    /// One per variable, in the order written.
    pub axes: Vec<TableAxis>,
    /// One value per bin, the last variable's bins fastest.
    pub values: Vec<Expr>,
    /// What a value outside the edges gives (`None`: an error, as `flow error`).
    pub flow: Option<TableFlow>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableAxis {
    pub var: Ident,
    pub edges: TableEdges,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TableEdges {
    /// `[e0, e1, ...]`.
    List(Vec<Expr>),
    /// `range(lo, hi, step)`, `logspace(lo, hi, n)`.
    Generated { func: Ident, args: Vec<Expr> },
}

#[derive(Debug, Clone, PartialEq)]
pub enum TableFlow {
    Clamp,
    Error,
    /// Periodic: a value outside the edges is moved into them by whole periods (`phi`).
    Wrap,
    Default(Expr),
}

/// One value of a `skim`: `NAME = EXPR`, or an expression that names itself (a name, `a.b`).
#[derive(Debug, Clone, PartialEq)]
pub struct SkimItem {
    pub name: Option<Ident>,
    pub value: Expr,
}

/// `hist NAME = EXPR in AXIS` or `hist NAME = (EXPR, EXPR) in AXIS, AXIS`; also a profile,
/// `profile NAME = VALUE by EXPR in AXIS` (a histogram that also sums w·VALUE and w·VALUE²).
#[derive(Debug, Clone, PartialEq)]
pub struct Hist {
    pub name: Ident,
    /// One fill expression per axis (sema checks the counts agree).
    pub fills: Vec<Expr>,
    /// `hist h = x weight W in ...`: this histogram's own weight factor (per element when it is
    /// a list, like a list fill).
    pub weight: Option<Expr>,
    pub axes: Vec<Axis>,
    /// `profile NAME = VALUE by X in ...`: the value averaged per bin (`fills` are the axes'
    /// values); `None` for a `hist`.
    pub profile: Option<Expr>,
}

/// `regular(25, 50, 550) "label"`; the kind is checked by sema.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub kind: Ident,
    pub args: Vec<Expr>,
    pub label: Option<StrLit>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    /// The name as written, possibly with `{i}` placeholders (a label: may start with a digit).
    pub name: Ident,
    pub index: Option<VaryFor>,
    /// `on P1, P2`: the processes it applies to (empty: all).
    pub on: Vec<Ident>,
    pub body: VaryBody,
}

/// `for i in [0, 1, 2]`.
#[derive(Debug, Clone, PartialEq)]
pub struct VaryFor {
    pub var: Ident,
    pub values: Vec<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum VaryBody {
    /// `weight up EXPR, down EXPR`.
    WeightUpDown { up: Expr, down: Expr },
    /// `weight EXPR` (one-sided).
    Weight(Expr),
    /// `COLL.FIELD = EXPR, ...`.
    Kinematic(Vec<Replacement>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Replacement {
    pub collection: Ident,
    pub field: Ident,
    pub value: Expr,
}

/// A derived-result expression: histogram arithmetic after the run.
#[derive(Debug, Clone, PartialEq)]
pub struct DExpr {
    pub kind: DExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DExprKind {
    Number(f64),
    /// `process` or `process:variation`.
    Ref {
        process: Ident,
        variation: Option<Ident>,
    },
    Neg(Box<DExpr>),
    Binary {
        op: DOp,
        lhs: Box<DExpr>,
        rhs: Box<DExpr>,
    },
    /// `normalize(x)`, `efficiency("B", "A")`, ...
    Call {
        func: Ident,
        args: Vec<DArg>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DArg {
    Str(StrLit),
    Expr(DExpr),
}

/// Index of an expression in its file (see the module invariants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExprId(pub u32);

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub id: ExprId,
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    /// A bare name: a definition, a collection or branch, a field (inside `where`), `it`, `lumi`.
    Name(String),
    Unary {
        op: UnOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// `COLL as NAME`: the collection, its element named `NAME` in the `where` conditions and
    /// keyed-function arguments that follow (valid only there).
    Named {
        collection: Box<Expr>,
        name: Ident,
    },
    /// `COLL where COND`.
    Where {
        collection: Box<Expr>,
        cond: Box<Expr>,
    },
    /// `base.name`.
    Field {
        base: Box<Expr>,
        name: Ident,
    },
    /// `base[index]`.
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    /// `base[lo:hi]` (either bound may be left out): the elements from `lo` to `hi` (excluded).
    Slice {
        base: Box<Expr>,
        lo: Option<Box<Expr>>,
        hi: Option<Box<Expr>>,
    },
    /// `func(args)`: a builtin, a correction, or a user function that was not inlined (called
    /// with the wrong number of arguments, or before its definition: sema reports it).
    Call {
        func: Ident,
        args: Vec<Expr>,
    },
    /// `[a, b, ...]`: a list of values.
    List(Vec<Expr>),
    /// A call of a user function, inlined: the arguments as written (checked where the call
    /// stands) and a copy of the body whose parameters are [`ExprKind::Arg`] nodes. The node's
    /// value is the body's.
    Inline {
        func: Ident,
        args: Vec<Expr>,
        body: Box<Expr>,
    },
    /// A parameter inside an inlined body: a copy of the call's argument, which means what it
    /// means at the call (the element scopes of the body do not capture its names).
    Arg {
        value: Box<Expr>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    BitNot,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    Coalesce,
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    BitOr,
    BitXor,
    BitAnd,
    Shl,
    Shr,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    /// Binding strength: higher binds tighter (see the precedence list in docs/syntax-spec.md).
    pub fn precedence(self) -> u8 {
        use BinOp::*;
        match self {
            Coalesce => 1,
            Or => 2,
            And => 3,
            // `not` sits at 4.
            Eq | Ne | Lt | Le | Gt | Ge => 5,
            BitOr => 6,
            BitXor => 7,
            BitAnd => 8,
            Shl | Shr => 9,
            Add | Sub => 10,
            Mul | Div | Rem => 11,
        }
    }

    pub fn is_comparison(self) -> bool {
        use BinOp::*;
        matches!(self, Eq | Ne | Lt | Le | Gt | Ge)
    }

    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        use BinOp::*;
        match self {
            Coalesce => "??",
            Or => "or",
            And => "and",
            Eq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            BitOr => "|",
            BitXor => "^",
            BitAnd => "&",
            Shl => "<<",
            Shr => ">>",
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Rem => "%",
        }
    }
}

impl UnOp {
    pub fn symbol(self) -> &'static str {
        match self {
            UnOp::Neg => "-",
            UnOp::BitNot => "~",
            UnOp::Not => "not",
        }
    }
}

/// Binding strength of prefix `not` (between `and` and the comparisons).
pub const NOT_PRECEDENCE: u8 = 4;
