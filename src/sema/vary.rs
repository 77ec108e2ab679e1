//! `vary` statements: expansion of families, process restrictions, replacement targets.
//!
//! Input: a [`ast::Vary`]. Output: [`VariationInfo`]s in `Checked::variations` and diagnostics:
//! duplicate variation names (including sample variations of the same processes), unknown
//! processes (when the samples are known), unknown collections and fields being replaced, and
//! replacement values of the wrong type. Field reads inside a `vary` do not count as uses.

use super::check::{Checker, suggest};
use super::stmts::Facts;
use super::types::{Elem, Type, field_type};
use super::value::Value;
use super::{Direction, VariationInfo};
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::syntax::ast::{self, VaryBody};

/// Two variations with the same name.
pub const DUPLICATE_VARIATION: Code = Code("anac::sema::duplicate-variation");
/// A process not in the samples file.
pub const UNKNOWN_PROCESS: Code = Code("anac::sema::unknown-process");
/// A collection not in the input tree (in a kinematic `vary`).
pub const UNKNOWN_COLLECTION: Code = Code("anac::sema::unknown-collection");

impl Checker<'_> {
    pub(super) fn check_process(&mut self, p: &ast::Ident) -> bool {
        let Some(procs) = self.env.processes else {
            return true;
        };
        if procs.iter().any(|q| q.name == p.name) {
            return true;
        }
        let hint = suggest(&p.name, procs.iter().map(|q| q.name.as_str()));
        let names: Vec<&str> = procs.iter().map(|q| q.name.as_str()).collect();
        self.error(
            UNKNOWN_PROCESS,
            p.span,
            format!("unknown process `{}`", p.name),
            "not in the samples file",
        )
        .help = Some(match hint {
            Some(h) => format!("did you mean `{h}`?"),
            None => format!("processes: {}", names.join(", ")),
        });
        false
    }

    pub(super) fn vary(&mut self, v: &ast::Vary, index: usize, facts: &mut Facts) {
        for p in &v.on {
            self.check_process(p);
        }
        // The family's values.
        let mut values: Vec<Option<Value>> = Vec::new();
        if let Some(f) = &v.index {
            for e in &f.values {
                let (_, val) = self.expr(e);
                if val.is_none() {
                    self.error(
                        super::builtins::NOT_CONSTANT,
                        e.span,
                        "`for` values must be constants".into(),
                        "not a constant",
                    );
                }
                values.push(val);
            }
        } else {
            values.push(None);
        }
        // Placeholders in the name must be the `for` variable.
        let var = v.index.as_ref().map(|f| f.var.name.as_str());
        let mut rest = v.name.name.as_str();
        let mut offset = 0;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            let ph = &rest[open + 1..open + close];
            if Some(ph) != var {
                let s = Span::new(
                    v.name.span.start + offset + open,
                    v.name.span.start + offset + open + close + 1,
                );
                self.error(
                    super::output::UNKNOWN_PLACEHOLDER,
                    s,
                    format!("`{{{ph}}}` in a variation name needs `for {ph} in [...]`"),
                    "unknown placeholder",
                );
            }
            offset += open + close + 1;
            rest = &rest[open + close + 1..];
        }
        // Body, typed with the first value of the family.
        self.in_vary = true;
        self.random_ok = true;
        self.loop_var = var.map(|n| (n.to_string(), values.first().cloned().flatten()));
        let directions: Vec<(Direction, &str)> = match &v.body {
            VaryBody::WeightUpDown { up, down } => {
                self.expect_number(up, "a weight variation factor");
                self.expect_number(down, "a weight variation factor");
                facts.weight_varies.push(v.name.span);
                vec![(Direction::Up, "_up"), (Direction::Down, "_down")]
            }
            VaryBody::Weight(w) => {
                self.expect_number(w, "a weight variation factor");
                facts.weight_varies.push(v.name.span);
                vec![(Direction::Single, "")]
            }
            VaryBody::Kinematic(reps) => {
                for r in reps {
                    self.replacement(r, &v.name.name, facts);
                }
                vec![(Direction::Single, "")]
            }
        };
        self.in_vary = false;
        self.random_ok = false;
        self.loop_var = None;
        let processes: Vec<String> = v.on.iter().map(|p| p.name.clone()).collect();
        for value in &values {
            let base = match (var, value) {
                (Some(n), Some(val)) => v.name.name.replace(&format!("{{{n}}}"), &val.to_string()),
                _ => v.name.name.clone(),
            };
            for (dir, suffix) in &directions {
                let name = format!("{base}{suffix}");
                if self.out.variations.iter().any(|x| x.name == name) {
                    self.push(
                        Diagnostic::error(
                            DUPLICATE_VARIATION,
                            format!("variation `{name}` is defined twice"),
                        )
                        .with_primary(v.name.span, "defined again here")
                        .with_help(
                            "each variation needs its own name (a family needs `{i}` in its name)",
                        ),
                    );
                    continue;
                }
                if let Some(procs) = self.env.processes {
                    let clash = procs.iter().find(|p| {
                        (processes.is_empty() || processes.contains(&p.name))
                            && p.variations.iter().any(|x| *x == name && x != "nominal")
                    });
                    if let Some(p) = clash {
                        let pname = p.name.clone();
                        self.error(
                            DUPLICATE_VARIATION,
                            v.name.span,
                            format!("variation `{name}` is also a sample variation of `{pname}`"),
                            "clashes with the samples file",
                        )
                        .help = Some("rename the `vary`".into());
                        continue;
                    }
                }
                self.out.variations.push(VariationInfo {
                    name,
                    stmt: index,
                    index: value.clone(),
                    direction: *dir,
                    processes: processes.clone(),
                });
            }
        }
    }

    fn replacement(&mut self, r: &ast::Replacement, vary_name: &str, facts: &mut Facts) {
        let coll = &r.collection.name;
        let elem = match self.env.schema {
            None => Elem::Opaque(coll.clone()),
            Some(s) => {
                if s.collection(coll).is_none() {
                    let hint = suggest(coll, s.collections.iter().map(|c| c.name.as_str()));
                    let mut d = Diagnostic::error(
                        UNKNOWN_COLLECTION,
                        format!("the tree has no collection `{coll}`"),
                    )
                    .with_primary(r.collection.span, "unknown collection");
                    if let Some(h) = hint {
                        d = d.with_help(format!("did you mean `{h}`?"));
                    }
                    self.push(d);
                    self.with_element(Elem::Opaque(coll.clone()), |c| c.expr(&r.value));
                    return;
                }
                Elem::Tree(coll.clone())
            }
        };
        let field_ty = field_type(&elem, &r.field.name, self.env.schema);
        let Some(field_ty) = field_ty.filter(|_| r.field.name != "p4") else {
            self.unknown_field(&elem, &r.field.name, r.field.span);
            self.with_element(elem, |c| c.expr(&r.value));
            return;
        };
        let (t, _) = self.with_element(elem, |c| c.expr(&r.value));
        let compatible = match field_ty {
            Type::Bool => t.is_boolish(),
            Type::Int | Type::Float | Type::Unknown => t.is_numeric() && !t.unwrap_optional().1,
            _ => t == field_ty,
        };
        if !compatible {
            self.mismatch(
                r.value.span,
                &t,
                format!(
                    "`{coll}.{}` is {field_ty}; the replacement is {t}",
                    r.field.name
                ),
            );
        }
        facts.kinematic.push((
            coll.clone(),
            r.field.name.clone(),
            r.collection.span.to(r.field.span),
            vary_name.to_string(),
        ));
    }
}
