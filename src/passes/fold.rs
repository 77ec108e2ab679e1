//! Constant folding: a node whose operands are all constants becomes a constant, computed by the
//! same functions the interpreter uses (`ir::ops`), so folding never changes a result. An `if`
//! with a constant condition becomes its taken branch. Operations whose result would be absent
//! (`7 % 0`) are left for run time.

use crate::ir::ops::{self, Num};
use crate::ir::{Builtin, NodeKind, Plan};
use crate::sema::{Type, Value};
use crate::syntax::ast::{BinOp, UnOp};

pub fn run(plan: &mut Plan) {
    for i in 0..plan.nodes.len() {
        let folded = fold(plan, i);
        if let Some(kind) = folded {
            plan.nodes[i].kind = kind;
        }
    }
}

fn num(v: &Value) -> Option<Num> {
    match v {
        Value::Int(i) => Some(Num::I(*i)),
        Value::Float(f) => Some(Num::F(*f)),
        _ => None,
    }
}

fn value(n: Num) -> Value {
    match n {
        Num::I(i) => Value::Int(i),
        Num::F(f) => Value::Float(f),
    }
}

fn fold(plan: &Plan, i: usize) -> Option<NodeKind> {
    let konst = |id: &crate::ir::NodeId| match &plan.node(*id).kind {
        NodeKind::Const(v) => Some(v.clone()),
        _ => None,
    };
    let ty = &plan.nodes[i].ty;
    let out = match &plan.nodes[i].kind {
        NodeKind::Binary { op, a, b } => {
            let (x, y) = (konst(a)?, konst(b)?);
            match (op, &x, &y) {
                (BinOp::And, Value::Bool(p), Value::Bool(q)) => Value::Bool(*p && *q),
                (BinOp::Or, Value::Bool(p), Value::Bool(q)) => Value::Bool(*p || *q),
                (BinOp::Eq | BinOp::Ne, Value::Str(p), Value::Str(q)) => {
                    Value::Bool((p == q) == (*op == BinOp::Eq))
                }
                (BinOp::Eq | BinOp::Ne, Value::Bool(p), Value::Bool(q)) => {
                    Value::Bool((p == q) == (*op == BinOp::Eq))
                }
                (op, x, y) if op.is_comparison() => {
                    Value::Bool(ops::compare(*op, num(x)?, num(y)?))
                }
                (BinOp::Coalesce, x, _) => x.clone(),
                (op, x, y) => value(ops::arith(*op, num(x)?, num(y)?)?),
            }
        }
        NodeKind::Unary { op, a } => match (op, konst(a)?) {
            (UnOp::Not, Value::Bool(b)) => Value::Bool(!b),
            (UnOp::Neg, Value::Int(x)) => Value::Int(x.wrapping_neg()),
            (UnOp::Neg, Value::Float(x)) => Value::Float(-x),
            (UnOp::BitNot, Value::Int(x)) => Value::Int(!x),
            _ => return None,
        },
        NodeKind::If {
            cond,
            then,
            otherwise,
        } => {
            // The taken branch replaces the `if` only when it has the `if`'s type (an integer
            // branch of a float `if` must still become a float).
            let taken = match konst(cond)? {
                Value::Bool(true) => plan.node(*then),
                Value::Bool(false) => plan.node(*otherwise),
                _ => return None,
            };
            return (taken.ty == *ty).then(|| taken.kind.clone());
        }
        NodeKind::Call { func, args } => {
            let vals: Vec<Value> = args.iter().map(konst).collect::<Option<_>>()?;
            let nums: Vec<Num> = vals.iter().map(num).collect::<Option<_>>()?;
            match (func, nums.as_slice()) {
                (Builtin::Math1(m), [x]) => value(ops::math1(*m, *x)),
                (Builtin::Pow, [x, y]) => Value::Float(x.f().powf(y.f())),
                (Builtin::Atan2, [y, x]) => Value::Float(y.f().atan2(x.f())),
                (Builtin::MinN | Builtin::MaxN, [first, rest @ ..]) => {
                    let max = *func == Builtin::MaxN;
                    value(
                        rest.iter()
                            .fold(*first, |acc, x| ops::min_max(max, acc, *x)),
                    )
                }
                (Builtin::ToFloat, [x]) => Value::Float(x.f()),
                (Builtin::ToInt, [x]) => Value::Int(ops::to_int(*x)?),
                _ => return None,
            }
        }
        _ => return None,
    };
    // An integer folded where the node is a float (or the reverse) keeps the node's type.
    let out = match (ty, out) {
        (Type::Float, Value::Int(i)) => Value::Float(i as f64),
        (_, v) => v,
    };
    Some(NodeKind::Const(out))
}
