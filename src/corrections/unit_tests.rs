//! Unit tests of the public evaluation API on small documents.

use super::*;

fn set(data: &str, inputs: &str) -> Result<CorrectionSet, LoadError> {
    CorrectionSet::from_json(&format!(
        r#"{{"schema_version": 2, "corrections": [{{"name": "c", "version": 1,
            "inputs": {inputs}, "output": {{"name": "o", "type": "real"}},
            "data": {data}}}]}}"#
    ))
}

#[test]
fn int_arguments_convert_for_real_inputs() {
    let s = set(
        r#"{"nodetype": "binning", "input": "x", "edges": [0.0, 1.0, 2.0],
            "content": [10.0, 20.0], "flow": "error"}"#,
        r#"[{"name": "x", "type": "real"}]"#,
    )
    .expect("loads");
    let c = s.correction("c").expect("present");
    assert_eq!(c.evaluate(&[Value::Int(1)]), Ok(20.0));
    assert_eq!(c.evaluate(&[Value::Real(0.5)]), Ok(10.0));
    assert!(matches!(
        c.evaluate(&[Value::Str("a")]),
        Err(EvalError::WrongType { .. })
    ));
    assert!(matches!(
        c.evaluate(&[Value::Real(2.0)]),
        Err(EvalError::OutOfRange { side: "above", .. })
    ));
    assert!(matches!(c.evaluate(&[]), Err(EvalError::ArgCount { .. })));
}

#[test]
fn real_for_int_input_is_an_error() {
    let s = set(
        r#"{"nodetype": "category", "input": "n", "content": [{"key": 1, "value": 2.0}]}"#,
        r#"[{"name": "n", "type": "int"}]"#,
    )
    .expect("loads");
    let c = s.correction("c").expect("present");
    assert_eq!(c.evaluate(&[Value::Int(1)]), Ok(2.0));
    assert!(matches!(
        c.evaluate(&[Value::Real(1.0)]),
        Err(EvalError::WrongType { .. })
    ));
    let e = c.evaluate(&[Value::Int(5)]).unwrap_err();
    assert!(e.to_string().contains("`n` = 5"), "{e}");
}

#[test]
fn errors_carry_json_paths() {
    let e = set(
        r#"{"nodetype": "binning", "input": "x", "edges": [0.0, 2.0, 1.0],
            "content": [1.0, 2.0], "flow": "clamp"}"#,
        r#"[{"name": "x", "type": "real"}]"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "corrections[0].data.edges[2]");
    let e = set(
        r#"{"nodetype": "binning", "input": "y", "edges": [0.0, 1.0],
            "content": [1.0], "flow": "clamp"}"#,
        r#"[{"name": "x", "type": "real"}]"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "corrections[0].data.input");
    let e = set(r#"{"nodetype": "lwtnn"}"#, "[]").unwrap_err();
    assert_eq!(e.kind, LoadErrorKind::Unsupported);
}
