//! A small, non-recursive JSON reader for correction files.
//!
//! It differs from a general-purpose reader in three ways, all to match what correctionlib's
//! evaluator (rapidjson with `kParseNanAndInfFlag`, default precision) reads:
//! - `NaN`, `Inf`, `Infinity` (optionally with a leading `-`) are accepted as numbers;
//! - numbers are converted with rapidjson's *normal-precision* algorithm, which is not always
//!   correctly rounded (see [`parse_number`]); copying it makes bin edges bit-identical;
//! - integer literals stay integers ([`Number::Int`]), so "is this an integer" checks can be made.
//!
//! Nesting depth and array length are bounded explicitly: a hostile file produces an error, never
//! a stack overflow or an unbounded allocation.

use std::sync::OnceLock;

/// A parsed JSON value. Objects keep their members in file order (duplicates are kept too, so
/// the schema layer can report them).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// A JSON number, remembering whether it was written as an integer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    /// An integer literal that fits in `i64`.
    Int(i64),
    /// A non-negative integer literal above `i64::MAX` (up to `u64::MAX`).
    Uint(u64),
    /// A literal with a fraction or exponent, an integer beyond `u64`, or `NaN`/`Infinity`.
    Float(f64),
}

impl Number {
    /// The value as a double (rapidjson's `GetDouble`).
    pub(crate) fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Uint(u) => u as f64,
            Number::Float(f) => f,
        }
    }

    /// The value as an `i64` when it was written as an integer that fits.
    pub(crate) fn as_i64(self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(i),
            Number::Uint(_) | Number::Float(_) => None,
        }
    }
}

impl Json {
    /// A short name of the value's JSON type, for error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(Number::Float(_)) => "a number",
            Json::Number(_) => "an integer",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// A syntax or limit error, with the byte offset, line and column (1-based) and the JSON path of
/// the container being read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JsonError {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
    pub path: String,
    pub message: String,
}

/// Limits applied while reading.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Maximum number of nested arrays/objects.
    pub max_depth: usize,
    /// Maximum number of elements of one array or members of one object.
    pub max_len: usize,
}

enum Frame {
    Array(Vec<Json>),
    Object(Vec<(String, Json)>, String),
}

struct Reader<'a> {
    s: &'a [u8],
    pos: usize,
    stack: Vec<Frame>,
    limits: Limits,
}

/// Parses a whole document (one value, surrounded only by whitespace).
pub(crate) fn parse(text: &str, limits: Limits) -> Result<Json, JsonError> {
    let mut r = Reader {
        s: text.as_bytes(),
        pos: 0,
        stack: Vec::new(),
        limits,
    };
    r.document()
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(is_ws) {
            self.pos += 1;
        }
    }

    fn path(&self) -> String {
        let mut out = String::new();
        for f in &self.stack {
            match f {
                Frame::Array(items) => out.push_str(&format!("[{}]", items.len())),
                Frame::Object(_, key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
            }
        }
        out
    }

    fn err(&self, offset: usize, message: impl Into<String>) -> JsonError {
        let upto = &self.s[..offset.min(self.s.len())];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = upto.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let column = String::from_utf8_lossy(&upto[line_start..]).chars().count() + 1;
        JsonError {
            offset,
            line,
            column,
            path: self.path(),
            message: message.into(),
        }
    }

    fn unexpected(&self, expected: &str) -> JsonError {
        match self.peek() {
            None => self.err(
                self.pos,
                format!("unexpected end of input, expected {expected}"),
            ),
            Some(b) => {
                let shown = std::str::from_utf8(&self.s[self.pos..])
                    .ok()
                    .and_then(|s| s.chars().next())
                    .unwrap_or(char::from(b));
                self.err(
                    self.pos,
                    format!("unexpected character {shown:?}, expected {expected}"),
                )
            }
        }
    }

    fn document(&mut self) -> Result<Json, JsonError> {
        'value: loop {
            self.skip_ws();
            let mut value = match self.peek() {
                Some(b'{') | Some(b'[') => {
                    if self.stack.len() >= self.limits.max_depth {
                        return Err(self.err(
                            self.pos,
                            format!(
                                "nesting deeper than {} levels of arrays/objects",
                                self.limits.max_depth
                            ),
                        ));
                    }
                    let open = self.peek();
                    self.pos += 1;
                    self.skip_ws();
                    if open == Some(b'[') {
                        if self.eat(b']') {
                            Json::Array(Vec::new())
                        } else {
                            self.stack.push(Frame::Array(Vec::new()));
                            continue 'value;
                        }
                    } else if self.eat(b'}') {
                        Json::Object(Vec::new())
                    } else {
                        let key = self.key()?;
                        self.stack.push(Frame::Object(Vec::new(), key));
                        continue 'value;
                    }
                }
                Some(b'"') => Json::String(self.string()?),
                Some(b't') => self.keyword("true", Json::Bool(true))?,
                Some(b'f') => self.keyword("false", Json::Bool(false))?,
                Some(b'n') => self.keyword("null", Json::Null)?,
                Some(b'-' | b'0'..=b'9' | b'N' | b'I') => {
                    let start = self.pos;
                    let n = parse_number(self.s, &mut self.pos)
                        .map_err(|(at, msg)| self.err(at.max(start), msg))?;
                    Json::Number(n)
                }
                _ => return Err(self.unexpected("a value")),
            };
            // A value is complete: attach it to its container, closing containers as we go.
            loop {
                let limit = self.limits.max_len;
                match self.stack.last_mut() {
                    None => {
                        self.skip_ws();
                        if self.pos != self.s.len() {
                            return Err(self.unexpected("end of input after the document"));
                        }
                        return Ok(value);
                    }
                    Some(Frame::Array(items)) => {
                        if items.len() >= limit {
                            let n = items.len();
                            return Err(self.err(
                                self.pos,
                                format!("array longer than {n} elements (the limit)"),
                            ));
                        }
                        items.push(value);
                        self.skip_ws();
                        if self.eat(b',') {
                            continue 'value;
                        }
                        if !self.eat(b']') {
                            return Err(self.unexpected("',' or ']'"));
                        }
                        match self.stack.pop() {
                            Some(Frame::Array(items)) => value = Json::Array(items),
                            _ => return Err(self.err(self.pos, "internal: container mismatch")),
                        }
                    }
                    Some(Frame::Object(members, key)) => {
                        if members.len() >= limit {
                            let n = members.len();
                            return Err(self.err(
                                self.pos,
                                format!("object with more than {n} members (the limit)"),
                            ));
                        }
                        members.push((std::mem::take(key), value));
                        self.skip_ws();
                        if self.eat(b',') {
                            self.skip_ws();
                            let k = self.key()?;
                            if let Some(Frame::Object(_, key)) = self.stack.last_mut() {
                                *key = k;
                            }
                            continue 'value;
                        }
                        if !self.eat(b'}') {
                            return Err(self.unexpected("',' or '}'"));
                        }
                        match self.stack.pop() {
                            Some(Frame::Object(members, _)) => value = Json::Object(members),
                            _ => return Err(self.err(self.pos, "internal: container mismatch")),
                        }
                    }
                }
            }
        }
    }

    fn keyword(&mut self, word: &str, value: Json) -> Result<Json, JsonError> {
        if self.s[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.unexpected("a value"))
        }
    }

    /// A member name followed by `:`.
    fn key(&mut self) -> Result<String, JsonError> {
        if self.peek() != Some(b'"') {
            return Err(self.unexpected("a member name in double quotes"));
        }
        let k = self.string()?;
        self.skip_ws();
        if !self.eat(b':') {
            return Err(self.unexpected("':'"));
        }
        Ok(k)
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = self
                .peek()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or_else(|| self.unexpected("a hexadecimal digit in a \\u escape"))?;
            v = v * 16 + d;
            self.pos += 1;
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // The input is a &str and we stop only at ASCII bytes, so this slice is valid UTF-8.
            out.push_str(&String::from_utf8_lossy(&self.s[start..self.pos]));
            match self.peek() {
                None => return Err(self.err(self.pos, "unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let at = self.pos;
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !(self.eat(b'\\') && self.eat(b'u')) {
                                    return Err(self.err(at, "unpaired surrogate in \\u escape"));
                                }
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.err(at, "invalid surrogate pair"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            let c = char::from_u32(code)
                                .ok_or_else(|| self.err(at, "invalid \\u escape"))?;
                            out.push(c);
                            continue;
                        }
                        _ => return Err(self.unexpected("a valid escape character")),
                    };
                    self.pos += 1;
                    out.push(c);
                }
                Some(_) => {
                    return Err(self.err(self.pos, "control character inside a string"));
                }
            }
        }
    }
}

/// `1e0 ..= 1e308`, each the correctly rounded double (as a C compiler writes the literals).
fn pow10(n: usize) -> f64 {
    static TABLE: OnceLock<Vec<f64>> = OnceLock::new();
    let t = TABLE.get_or_init(|| {
        (0..=308)
            .map(|i| format!("1e{i}").parse::<f64>().unwrap_or(f64::INFINITY))
            .collect()
    });
    t.get(n).copied().unwrap_or(f64::INFINITY)
}

fn fast_path(significand: f64, exp: i64) -> f64 {
    if exp < -308 {
        0.0
    } else if exp >= 0 {
        significand * pow10(exp as usize)
    } else {
        significand / pow10((-exp) as usize)
    }
}

fn strtod_normal_precision(d: f64, p: i64) -> f64 {
    if p < -308 {
        fast_path(fast_path(d, -308), p + 308)
    } else {
        fast_path(d, p)
    }
}

/// Reads one number starting at `*pos` with rapidjson's normal-precision algorithm: the
/// significand is accumulated exactly while it fits in 2^53 and then (for up to 17 significant
/// digits) in a double, and finally scaled by one multiplication or division by a power of ten.
/// This is not always correctly rounded (e.g. some 17-digit values land one ulp away), and
/// correctionlib sees exactly these values. On error returns the offset and a message.
pub(crate) fn parse_number(s: &[u8], pos: &mut usize) -> Result<Number, (usize, String)> {
    let peek = |p: usize| s.get(p).copied();
    let digit = |p: usize| {
        peek(p)
            .filter(u8::is_ascii_digit)
            .map(|b| u32::from(b - b'0'))
    };
    let start = *pos;
    let mut p = *pos;
    let minus = peek(p) == Some(b'-');
    if minus {
        p += 1;
    }
    let mut i: u32 = 0;
    let mut i64v: u64 = 0;
    let mut use64 = false;
    let mut significand_digits: i64 = 0;
    let mut d = 0.0f64;
    let mut nan_or_inf = false;
    match peek(p) {
        Some(b'0') => p += 1,
        Some(b'1'..=b'9') => {
            i = u32::from(s[p] - b'0');
            p += 1;
            while let Some(c) = digit(p) {
                let (limit, last) = if minus {
                    (214_748_364, 8)
                } else {
                    (429_496_729, 5)
                };
                if i >= limit && (i != limit || c > last) {
                    i64v = u64::from(i);
                    use64 = true;
                    break;
                }
                i = i * 10 + c;
                p += 1;
                significand_digits += 1;
            }
        }
        Some(b'N') => {
            if s[p..].starts_with(b"NaN") {
                p += 3;
                d = f64::NAN;
                nan_or_inf = true;
            } else {
                return Err((p, "invalid value".into()));
            }
        }
        Some(b'I') => {
            if s[p..].starts_with(b"Inf") {
                p += 3;
                d = if minus {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                };
                nan_or_inf = true;
                if peek(p) == Some(b'i') {
                    if s[p..].starts_with(b"inity") {
                        p += 5;
                    } else {
                        return Err((p, "invalid value".into()));
                    }
                }
            } else {
                return Err((p, "invalid value".into()));
            }
        }
        _ => return Err((p, "invalid number".into())),
    }

    let mut use_double = false;
    if use64 {
        let (limit, last) = if minus {
            (0x0CCC_CCCC_CCCC_CCCC_u64, 8)
        } else {
            (0x1999_9999_9999_9999_u64, 5)
        };
        while let Some(c) = digit(p) {
            if i64v >= limit && (i64v != limit || c > last) {
                d = i64v as f64;
                use_double = true;
                break;
            }
            i64v = i64v * 10 + u64::from(c);
            p += 1;
            significand_digits += 1;
        }
    }
    if use_double {
        while let Some(c) = digit(p) {
            d = d * 10.0 + f64::from(c);
            p += 1;
        }
    }

    let mut exp_frac: i64 = 0;
    if !nan_or_inf && peek(p) == Some(b'.') {
        p += 1;
        if digit(p).is_none() {
            return Err((p, "missing digits after the decimal point".into()));
        }
        if !use_double {
            if !use64 {
                i64v = u64::from(i);
            }
            while let Some(c) = digit(p) {
                if i64v > 0x1F_FFFF_FFFF_FFFF {
                    break;
                }
                i64v = i64v * 10 + u64::from(c);
                p += 1;
                exp_frac -= 1;
                if i64v != 0 {
                    significand_digits += 1;
                }
            }
            d = i64v as f64;
            use_double = true;
        }
        while let Some(c) = digit(p) {
            if significand_digits < 17 {
                d = d * 10.0 + f64::from(c);
                exp_frac -= 1;
                if d > 0.0 {
                    significand_digits += 1;
                }
            }
            p += 1;
        }
    }

    let mut exp: i64 = 0;
    if !nan_or_inf && matches!(peek(p), Some(b'e' | b'E')) {
        p += 1;
        if !use_double {
            d = if use64 { i64v as f64 } else { f64::from(i) };
            use_double = true;
        }
        let exp_minus = match peek(p) {
            Some(b'+') => {
                p += 1;
                false
            }
            Some(b'-') => {
                p += 1;
                true
            }
            _ => false,
        };
        let Some(first) = digit(p) else {
            return Err((p, "missing exponent digits".into()));
        };
        exp = i64::from(first);
        p += 1;
        if exp_minus {
            let max_exp = (exp_frac + 2_147_483_639) / 10;
            while let Some(c) = digit(p) {
                exp = exp * 10 + i64::from(c);
                p += 1;
                if exp > max_exp {
                    while digit(p).is_some() {
                        p += 1;
                    }
                }
            }
            exp = -exp;
        } else {
            let max_exp = 308 - exp_frac;
            while let Some(c) = digit(p) {
                exp = exp * 10 + i64::from(c);
                p += 1;
                if exp > max_exp {
                    return Err((start, "number too big for a double".into()));
                }
            }
        }
    }

    *pos = p;
    if use_double {
        let v = strtod_normal_precision(d, exp + exp_frac);
        if v > f64::MAX {
            return Err((start, "number too big for a double".into()));
        }
        Ok(Number::Float(if minus { -v } else { v }))
    } else if nan_or_inf {
        Ok(Number::Float(d))
    } else if use64 {
        if minus {
            Ok(Number::Int(i64v.wrapping_neg() as i64))
        } else {
            Ok(i64::try_from(i64v).map_or(Number::Uint(i64v), Number::Int))
        }
    } else if minus {
        Ok(Number::Int(-i64::from(i)))
    } else {
        Ok(Number::Int(i64::from(i)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_depth: 8,
        max_len: 4,
    };

    fn num(text: &str) -> Number {
        let mut p = 0;
        let n = parse_number(text.as_bytes(), &mut p).expect("number");
        assert_eq!(p, text.len(), "{text}");
        n
    }

    #[test]
    fn numbers_follow_rapidjson() {
        assert_eq!(num("0"), Number::Int(0));
        assert_eq!(num("-12"), Number::Int(-12));
        assert_eq!(num("4294967296"), Number::Int(4_294_967_296));
        assert_eq!(num("18446744073709551615"), Number::Uint(u64::MAX));
        assert_eq!(num("-9223372036854775808"), Number::Int(i64::MIN));
        assert_eq!(num("1.5"), Number::Float(1.5));
        assert_eq!(num("-0.0").as_f64().to_bits(), (-0.0f64).to_bits());
        assert_eq!(num("1e3"), Number::Float(1000.0));
        assert_eq!(num("2.5E-1"), Number::Float(0.25));
        assert!(num("NaN").as_f64().is_nan());
        assert_eq!(num("-Infinity"), Number::Float(f64::NEG_INFINITY));
        assert_eq!(num("Inf"), Number::Float(f64::INFINITY));
        assert_eq!(
            num("0.30000000000000004"),
            Number::Float(0.30000000000000004)
        );
        assert_eq!(num("1e-400"), Number::Float(0.0));
        let mut p = 0;
        assert!(parse_number(b"1e400", &mut p).is_err());
        let mut p = 0;
        assert!(parse_number(b"1.", &mut p).is_err());
    }

    #[test]
    fn limits_are_errors_with_paths() {
        let e = parse(r#"{"a": [[[[[[[[[1]]]]]]]]]}"#, LIMITS).unwrap_err();
        assert!(e.message.contains("nesting"), "{e:?}");
        assert!(e.path.starts_with("a[0]"), "{e:?}");
        let e = parse(r#"{"a": {"b": [1, 2, 3, 4, 5]}}"#, LIMITS).unwrap_err();
        assert!(e.message.contains("array longer"), "{e:?}");
        assert_eq!(e.path, "a.b[4]");
        let e = parse("[1, 2] x", LIMITS).unwrap_err();
        assert_eq!((e.line, e.column), (1, 8));
    }

    #[test]
    fn strings_and_objects() {
        let v = parse(
            r#"{"k": "a\u00e9\ud83d\ude00\n", "n": null, "b": [true, false]}"#,
            LIMITS,
        );
        let Ok(Json::Object(m)) = v else {
            panic!("{v:?}")
        };
        assert_eq!(m[0].1, Json::String("aé😀\n".into()));
        assert_eq!(m[1].1, Json::Null);
        assert!(parse("\"a\u{1}\"", LIMITS).is_err());
        assert!(parse("[1,]", LIMITS).is_err());
        assert!(parse("{\"a\" 1}", LIMITS).is_err());
    }
}
