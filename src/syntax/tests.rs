//! Parser unit tests: the canonical example parses, the nesting limit holds, errors read well.

use super::ast::*;
use super::*;

fn msgs(d: &[Diagnostic]) -> Vec<String> {
    d.iter()
        .map(|d| format!("{} {} {:?}", d.code, d.message, d.position()))
        .collect()
}

fn parse_text(text: &str) -> (Option<File>, Vec<Diagnostic>) {
    parse(&SourceFile::new("t.ana", text))
}

#[test]
fn ttbar_example_parses_with_its_headers() {
    let text = include_str!("../../analyses/ttbar/ttbar.ana");
    let (file, diags) = parse_text(text);
    assert!(diags.is_empty(), "{:?}", msgs(&diags));
    let file = file.unwrap();
    assert_eq!(file.analysis_name().unwrap().0, "ttbar_ljets");
    assert_eq!(file.tree_name().unwrap().0, "Events");
    assert_eq!(file.samples_path().unwrap().0, "samples.yaml");
    assert_eq!(file.lumi().unwrap().0, 3378.0);
    assert_eq!(file.stmts.len(), 15);
    let regions: Vec<&str> = file
        .stmts
        .iter()
        .filter_map(|s| match &s.kind {
            StmtKind::Region { name, .. } => Some(name.name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(regions, ["4j1b", "4j2b"]);
}

#[test]
fn precedence_and_not() {
    let (file, diags) = parse_text("let a = not x == 1 and 2 + 3 * 4 > 5");
    assert!(diags.is_empty(), "{:?}", msgs(&diags));
    let StmtKind::Let { value, .. } = &file.unwrap().stmts[0].kind else {
        panic!()
    };
    let ExprKind::Binary {
        op: BinOp::And,
        lhs,
        rhs,
    } = &value.kind
    else {
        panic!("{value:?}")
    };
    assert!(matches!(lhs.kind, ExprKind::Unary { op: UnOp::Not, .. }));
    let ExprKind::Binary {
        op: BinOp::Gt,
        lhs: sum,
        ..
    } = &rhs.kind
    else {
        panic!()
    };
    let ExprKind::Binary {
        op: BinOp::Add,
        rhs: prod,
        ..
    } = &sum.kind
    else {
        panic!()
    };
    assert!(matches!(prod.kind, ExprKind::Binary { op: BinOp::Mul, .. }));
}

#[test]
fn a_million_parentheses_is_a_diagnostic() {
    let text = format!("let a = {}", "(".repeat(1_000_000));
    let (file, diags) = parse_text(&text);
    assert!(file.is_none());
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code, TOO_DEEP);
}

#[test]
fn a_megabyte_of_additions_is_a_diagnostic() {
    let text = format!("let a = 1{}", "+1".repeat(500_000));
    let (file, diags) = parse_text(&text);
    assert!(file.is_none());
    assert_eq!(diags[0].code, TOO_DEEP);
}

#[test]
fn nesting_at_the_limit_parses_on_a_test_thread() {
    let d = MAX_DEPTH - 1;
    let text = format!("let a = {}1{}", "(".repeat(d), ")".repeat(d));
    let (file, diags) = parse_text(&text);
    assert!(diags.is_empty(), "{:?}", msgs(&diags));
    assert!(file.is_some());
}

#[test]
fn syntax_error_names_what_was_expected() {
    let (file, diags) = parse_text("cut \"a\" x >\n");
    assert!(file.is_none());
    assert_eq!(diags[0].code, UNEXPECTED);
    assert_eq!(
        diags[0].message,
        "unexpected end of file; expected an expression"
    );
    let (_, diags) = parse_text("let a = 1 )");
    assert!(
        diags[0].message.contains("expected an operator"),
        "{}",
        diags[0].message
    );
    assert!(
        diags[0].message.contains("a new statement"),
        "{}",
        diags[0].message
    );
}

#[test]
fn chained_comparison_and_duplicate_header() {
    let (_, diags) = parse_text("let a = 1 < 2 < 3");
    assert_eq!(diags[0].code, CHAINED_COMPARISON);
    let (file, diags) = parse_text("tree A\ntree B\nlet a = 1\nlumi 3");
    assert!(file.is_some());
    let codes: Vec<Code> = diags.iter().map(|d| d.code).collect();
    assert_eq!(codes, [DUPLICATE_HEADER, MISPLACED_HEADER]);
}

#[test]
fn megabyte_inputs_of_every_shape_are_diagnostics() {
    for body in [
        "not ".repeat(250_000) + "x",
        "-".repeat(1_000_000) + "x",
        "x".to_string() + &"[0]".repeat(330_000),
        "x".to_string() + &".f".repeat(500_000),
        "if x then 1 else ".repeat(60_000) + "0",
        "[".repeat(1_000_000),
        "{".repeat(1_000_000),
    ] {
        let (file, diags) = parse_text(&format!("let a = {body}"));
        assert!(file.is_none());
        assert_eq!(diags.len(), 1, "{:?}", msgs(&diags));
        assert!(
            diags[0].code == TOO_DEEP || diags[0].code == UNEXPECTED,
            "{:?}",
            msgs(&diags)
        );
    }
}

#[test]
fn keyword_as_name_gets_a_hint() {
    let (_, diags) = parse_text("let in = 3");
    assert_eq!(diags[0].message, "unexpected `in`; expected a name");
    assert_eq!(
        diags[0].help.as_deref(),
        Some("`in` is a keyword and cannot be used as a name")
    );
    let (_, diags) = parse_text("cut \"a\" x && y");
    assert_eq!(
        diags[0].help.as_deref(),
        Some("use `and`, `or` and `not` for logic"),
        "{:?}",
        msgs(&diags)
    );
}
