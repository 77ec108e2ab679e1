//! Sema unit tests: the structure of `Checked`, and deep (but allowed) inputs on a small stack.

use super::*;
use crate::diagnostics::SourceFile;

fn check_text(text: &str) -> (Option<Checked>, Vec<Diagnostic>) {
    check_source(&SourceFile::new("t.ana", text), &SemaEnv::default())
}

fn codes(d: &[Diagnostic]) -> Vec<&'static str> {
    d.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn nesting_just_below_the_limit_checks_on_a_test_thread() {
    let depth = 250;
    let text = format!(
        "tree Events\nlet a = {}1{}\ncut \"c\" a > 0",
        "(1 + ".repeat(depth),
        ")".repeat(depth)
    );
    let (checked, diags) = check_text(&text);
    assert_eq!(codes(&diags), ["anac::sema::schema-unavailable"]);
    assert!(checked.is_some());
}

#[test]
fn a_long_else_if_chain_is_too_deep_not_a_crash() {
    let text = format!("let a = {}0", "if nJet > 1 then 1 else ".repeat(5000));
    let (checked, diags) = check_text(&text);
    assert!(checked.is_none());
    assert_eq!(codes(&diags), ["anac::syntax::too-deep"]);
}

#[test]
fn checked_records_symbols_types_values_and_resolutions() {
    let text = "tree Events\nlumi 10\nconst wp = 0.5 * 2\nobject jets = Jet where pt > wp\n\
                let n = count(jets)\ncut \"two\" n >= 2\nhist h = n in integer(0, 10)";
    let (checked, diags) = check_text(text);
    assert_eq!(codes(&diags), ["anac::sema::schema-unavailable"]);
    let c = checked.unwrap();
    let names: Vec<(&str, &SymbolKind)> = c
        .symbols
        .iter()
        .map(|s| (s.name.as_str(), &s.kind))
        .collect();
    assert_eq!(
        names,
        [
            ("wp", &SymbolKind::Const(Some(Value::Float(1.0)))),
            ("jets", &SymbolKind::Object),
            ("n", &SymbolKind::Let),
            ("h", &SymbolKind::Hist),
        ]
    );
    assert_eq!(
        c.symbols[1].ty,
        Type::Collection(Elem::Opaque("Jet".into()))
    );
    assert_eq!(c.symbols[2].ty, Type::Int);
    // `wp` inside the `where` resolves to the const, not to an (unknown) field.
    assert!(
        c.resolutions
            .values()
            .any(|r| *r == Resolution::Symbol(SymbolId(0)))
    );
    assert_eq!(c.lumi, Some(10.0));
    assert_eq!(c.output.text, output::DEFAULT_TEMPLATE);
}

#[test]
fn schema_unavailable_is_reported_once() {
    let (_, diags) =
        check_text("tree Events\ncut \"a\" A > 1\ncut \"b\" B.x > 1\ncut \"c\" count(C) > 1");
    assert_eq!(codes(&diags), ["anac::sema::schema-unavailable"]);
}

#[test]
fn processes_none_skips_process_checks() {
    let (_, diags) = check_text(
        "tree Events\nhist h = x in regular(1, 0, 1)\nvary v on nobody: weight 2\nderive d = nobody:nothing",
    );
    assert_eq!(codes(&diags), ["anac::sema::schema-unavailable"]);
}
