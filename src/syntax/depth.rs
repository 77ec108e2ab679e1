//! Pre-scan of the raw text: rejects inputs nested too deeply before pest sees them.
//!
//! Input: the source text. Output: `None`, or the span where the limit was first exceeded.
//! Why: pest's generated parser recurses once per nesting level (brackets, `if` conditions), and
//! a stack overflow aborts the process. The scan is a single loop, so it is safe on any input.
//! It counts `(`, `[`, `{` (minus their closers) plus `if` (minus `else`: an `else` branch is
//! parsed by repetition, not recursion), skipping comments and strings. It also bounds a run of
//! binary operators at one level (`1+1+1+...`), whose left-leaning tree would be as deep as the
//! run is long, and a run of postfix parts (`x[0][0]...`, `a.b.c...`, calls) at one level, which
//! would make pest's parse tree huge before our own depth check could reject it.

use crate::diagnostics::Span;

/// What was too deep, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TooDeep {
    Nesting(Span),
    OperatorChain(Span),
}

/// Scans `text`; `limit` bounds both the nesting depth and an operator run's length.
pub fn prescan(text: &str, limit: usize) -> Option<TooDeep> {
    let bytes = text.as_bytes();
    let mut depth: usize = 0;
    // Operators seen in the current run at each depth (index = depth, grown on demand).
    let mut runs: Vec<usize> = vec![0];
    // Postfix parts (`.f`, `[i]`, `(args)`) seen in the current run at each depth.
    let mut posts: Vec<usize> = vec![0];
    let post_limit = limit.saturating_mul(4);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                posts[depth] += 1;
                if posts[depth] > post_limit {
                    return Some(TooDeep::OperatorChain(Span::new(i, i + 1)));
                }
                depth += 1;
                if depth > limit {
                    return Some(TooDeep::Nesting(Span::new(i, i + 1)));
                }
                if runs.len() <= depth {
                    runs.push(0);
                    posts.push(0);
                }
                runs[depth] = 0;
                posts[depth] = 0;
            }
            b'.' if bytes
                .get(i + 1)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') =>
            {
                posts[depth] += 1;
                if posts[depth] > post_limit {
                    return Some(TooDeep::OperatorChain(Span::new(i, i + 1)));
                }
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
            }
            b',' => {
                runs[depth] = 0;
                posts[depth] = 0;
            }
            b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^' | b'<' | b'>' | b'=' | b'?'
            | b'~' | b'!' => {
                // A two-character operator counts once.
                let two = i + 1 < bytes.len()
                    && matches!(
                        (b, bytes[i + 1]),
                        (b'<', b'<')
                            | (b'>', b'>')
                            | (b'<', b'=')
                            | (b'>', b'=')
                            | (b'=', b'=')
                            | (b'?', b'?')
                    );
                runs[depth] += 1;
                if runs[depth] > limit {
                    return Some(TooDeep::OperatorChain(Span::new(i, i + 1)));
                }
                if two {
                    i += 1;
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                match &text[start..i] {
                    "if" => {
                        depth += 1;
                        if depth > limit {
                            return Some(TooDeep::Nesting(Span::new(start, i)));
                        }
                        if runs.len() <= depth {
                            runs.push(0);
                            posts.push(0);
                        }
                        runs[depth] = 0;
                        posts[depth] = 0;
                    }
                    // Each `else if` and each `not` adds a level to the tree, like an operator.
                    "else" => {
                        depth = depth.saturating_sub(1);
                        runs[depth] += 1;
                        if runs[depth] > limit {
                            return Some(TooDeep::OperatorChain(Span::new(start, i)));
                        }
                    }
                    "and" | "or" | "not" => {
                        runs[depth] += 1;
                        if runs[depth] > limit {
                            return Some(TooDeep::OperatorChain(Span::new(start, i)));
                        }
                    }
                    // A statement keyword starts a new expression.
                    "const" | "object" | "let" | "cut" | "weight" | "hist" | "counter"
                    | "collect" | "region" | "vary" | "derive" | "where" | "then" | "up"
                    | "down" | "in" | "when" => {
                        runs[depth] = 0;
                        posts[depth] = 0;
                    }
                    _ => {}
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_moderate_nesting_and_rejects_deep() {
        assert_eq!(prescan("let a = ((1))", 4), None);
        assert_eq!(
            prescan("let a = (((((1)))))", 4),
            Some(TooDeep::Nesting(Span::new(12, 13)))
        );
        // Brackets inside strings and comments do not count.
        assert_eq!(prescan("cut \"(((((\" x # ((((((\n", 4), None);
    }

    #[test]
    fn else_if_chains_do_not_accumulate() {
        let chain = "let a = ".to_string() + &"if x then 1 else ".repeat(50) + "0";
        assert_eq!(prescan(&chain, 64), None);
        let nested = "let a = ".to_string() + &"if ".repeat(5) + "x";
        assert!(matches!(prescan(&nested, 4), Some(TooDeep::Nesting(_))));
    }

    #[test]
    fn long_operator_runs_are_rejected_but_separate_statements_reset() {
        let long = "let a = 1".to_string() + &"+1".repeat(10);
        assert!(matches!(prescan(&long, 8), Some(TooDeep::OperatorChain(_))));
        let many = "let a = 1+1+1\n".repeat(10);
        assert_eq!(prescan(&many, 8), None);
        let suffixes = "let a = x".to_string() + &"[0]".repeat(40);
        assert!(matches!(
            prescan(&suffixes, 8),
            Some(TooDeep::OperatorChain(_))
        ));
        let fields = "let a = x".to_string() + &".f".repeat(40);
        assert!(matches!(
            prescan(&fields, 8),
            Some(TooDeep::OperatorChain(_))
        ));
        assert_eq!(prescan("let a = 1.5 + x.f[0]", 8), None);
    }
}
