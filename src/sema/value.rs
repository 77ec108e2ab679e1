//! Compile-time values: what constant folding computes.
//!
//! Input: literals, `const` definitions, `for` loop values. Output: [`Value`]s attached to every
//! constant expression (`Checked::values`), used for binning, `combinations(c, k)`, constant-cut
//! warnings and variation names. Integers wrap on overflow as at run time; `%` by zero and shifts
//! out of 0..63 are absent at run time, so they are not folded.

use std::fmt;

use crate::syntax::ast::BinOp;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
}

impl Value {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Str(s) => write!(f, "{s}"),
        }
    }
}

/// Folds a binary operation on two constants; `None` when it cannot be folded.
pub fn fold_binary(op: BinOp, a: &Value, b: &Value) -> Option<Value> {
    use BinOp::*;
    use Value::*;
    Some(match (op, a, b) {
        (And, Bool(x), Bool(y)) => Bool(*x && *y),
        (Or, Bool(x), Bool(y)) => Bool(*x || *y),
        (Eq, x, y) if std::mem::discriminant(x) == std::mem::discriminant(y) => Bool(x == y),
        (Ne, x, y) if std::mem::discriminant(x) == std::mem::discriminant(y) => Bool(x != y),
        // Integers wrap on overflow, as at run time (docs/language.md, "Numerics").
        (Add, Int(x), Int(y)) => Int(x.wrapping_add(*y)),
        (Sub, Int(x), Int(y)) => Int(x.wrapping_sub(*y)),
        (Mul, Int(x), Int(y)) => Int(x.wrapping_mul(*y)),
        (Rem, Int(x), Int(y)) if *y != 0 => Int(x.wrapping_rem(*y)),
        (BitAnd, Int(x), Int(y)) => Int(x & y),
        (BitOr, Int(x), Int(y)) => Int(x | y),
        (BitXor, Int(x), Int(y)) => Int(x ^ y),
        (Shl, Int(x), Int(y)) if (0..64).contains(y) => Int(x << y),
        (Shr, Int(x), Int(y)) if (0..64).contains(y) => Int(x >> y),
        (op, x, y) => {
            let (x, y) = (x.as_f64()?, y.as_f64()?);
            match op {
                Add => Float(x + y),
                Sub => Float(x - y),
                Mul => Float(x * y),
                Div => Float(x / y),
                Rem if y != 0.0 => Float(x % y),
                Lt => Bool(x < y),
                Le => Bool(x <= y),
                Gt => Bool(x > y),
                Ge => Bool(x >= y),
                Eq => Bool(x == y),
                Ne => Bool(x != y),
                _ => return None,
            }
        }
    })
}
