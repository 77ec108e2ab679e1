//! ROOT files read over HTTP(S) with range requests: [`HttpFile`], a [`ByteSource`] beside the
//! local file, so the ROOT reader reads remote files without knowing it.
//!
//! How bytes are fetched:
//! - Opening sends one `GET` with `Range: bytes=0-65535` (the first block: the ROOT header and
//!   usually the top directory). The file's size comes from that answer's
//!   `Content-Range: bytes a-b/TOTAL`; no separate `HEAD`.
//! - A block cache: a `read_at` that misses fetches the aligned blocks around it (256 KiB by
//!   default), so the many small metadata reads of opening a file (key list, streamer info,
//!   TTree metadata) cost a few round trips. Memory is bounded: least recently used pieces are
//!   dropped past [`HttpOptions::cache_bytes`].
//! - [`ByteSource::prefetch`]: the caller names the byte ranges it is about to read (the baskets of
//!   one cluster); ranges separated by small gaps are merged and fetched in one multi-range
//!   request (`206 multipart/byteranges`), or, when the server does not do multi-range (it answers
//!   with one part or the whole body), in single-range requests sent in parallel. Later
//!   `read_at`s are served from the cache.
//! - Several threads may read at once: each fetch runs outside the cache lock, and a range being
//!   fetched is registered so other threads wait for it rather than fetch it again.
//!
//! Invariants:
//! - `read_at` fills the whole buffer with the file's bytes or fails; never short data. Every
//!   answer is checked: its `Content-Range` must cover what was asked, bodies must have the
//!   announced length (a cut body is retried), the total size must stay the one seen at opening
//!   (otherwise the file changed under us: an error, [`HttpErrorKind::SizeChanged`]).
//! - The first answer's `ETag` (else `Last-Modified`) is kept; later requests carry
//!   `If-Range: <etag>` (a strong one), and a `200` to it or another `ETag`/`Last-Modified` is
//!   [`HttpErrorKind::Changed`], so a file replaced at the same size is never read half old.
//! - An answer holds no more than asked (plus a little slack): a `206` larger than the range
//!   asked is a protocol error before its body is read; header arithmetic is checked.
//! - Memory: the cache stores block-sized segments (never one larger than the cap); a prefetch
//!   is cut to a quarter of the cache, the rest read on demand, so a cluster larger than the
//!   cache is still downloaded about once.
//! - Transient failures (connection reset or refused, timeouts, a cut body, 408/429/500/502/503/504)
//!   are retried with exponential backoff a bounded number of times; every client timeout is
//!   bounded, so nothing hangs. Every error names the URL.
//! - A server that ignores `Range` (answers 200 with the whole file) is refused unless the file is
//!   under 1 MiB ([`MAX_WHOLE_BODY`]), in which case the whole answer is kept.
//! - `root://` (XRootD) is refused with an error that points to the HTTPS endpoint.
//!
//! TLS: rustls with Mozilla's root certificates; [`HttpOptions::root_certs_pem`] (or the
//! `ANAC_CA_BUNDLE` environment variable, a PEM file, read by [`HttpOptions::from_env`]) replaces
//! them with the given CA certificates, as curl's `--cacert` does.

use crate::io::root::{ByteSource, RootError, RootFile};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

/// A server that ignores `Range` is accepted only for files smaller than this (kept whole).
pub const MAX_WHOLE_BODY: u64 = 1 << 20;

/// Environment variable naming a PEM file of CA certificates to trust instead of the built-in
/// Mozilla roots (for sites with their own certificate authority, and for tests).
pub const CA_BUNDLE_ENV: &str = "ANAC_CA_BUNDLE";

/// Tuning of an [`HttpFile`]; [`HttpOptions::default`] suits most servers.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Bytes fetched when opening (the header and, usually, the top directory).
    pub first_block: u64,
    /// A cache miss fetches the aligned blocks of this size around it.
    pub block_size: u64,
    /// Most bytes kept in the block cache (least recently used pieces are dropped first).
    pub cache_bytes: u64,
    /// Prefetched ranges separated by at most this many bytes are fetched as one.
    pub max_gap: u64,
    /// Try multi-range requests (`Range: bytes=a-b,c-d`); otherwise parallel single ranges.
    pub multi_range: bool,
    /// Most ranges in one multi-range request (servers limit the header size).
    pub max_ranges_per_request: usize,
    /// Requests in flight at once for one prefetch.
    pub parallel: usize,
    /// Retries of a request after a transient failure (so `retries + 1` attempts at most).
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one (capped at 8 s).
    pub backoff: Duration,
    /// Timeout to connect (DNS, TCP, TLS handshake).
    pub connect_timeout: Duration,
    /// Timeout of each read from the connection, and for the response headers.
    pub read_timeout: Duration,
    /// Timeout of one whole request, body included.
    pub request_timeout: Duration,
    /// PEM files' contents: when not empty, these CA certificates are trusted instead of the
    /// built-in Mozilla roots.
    pub root_certs_pem: Vec<Vec<u8>>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            first_block: 64 << 10,
            block_size: 256 << 10,
            cache_bytes: 64 << 20,
            max_gap: 64 << 10,
            multi_range: true,
            max_ranges_per_request: 64,
            parallel: 6,
            retries: 4,
            backoff: Duration::from_millis(100),
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(600),
            root_certs_pem: Vec::new(),
        }
    }
}

impl HttpOptions {
    /// The defaults, with the CA certificates of the PEM file named by `ANAC_CA_BUNDLE` when it
    /// is set (an unreadable file is an error, never ignored).
    pub fn from_env() -> Result<HttpOptions, HttpError> {
        let mut opts = HttpOptions::default();
        if let Some(path) = std::env::var_os(CA_BUNDLE_ENV).filter(|p| !p.is_empty()) {
            let pem = std::fs::read(&path).map_err(|e| HttpError {
                url: String::new(),
                kind: HttpErrorKind::Config(format!(
                    "cannot read the CA bundle {} named by {CA_BUNDLE_ENV}: {e}",
                    PathBuf::from(&path).display()
                )),
            })?;
            opts.root_certs_pem.push(pem);
        }
        Ok(opts)
    }

    fn check(&self) -> Result<(), String> {
        if self.first_block == 0 || self.block_size == 0 {
            return Err("the first block and the block size must be positive".into());
        }
        if self.max_ranges_per_request == 0 || self.parallel == 0 {
            return Err("ranges per request and parallel requests must be positive".into());
        }
        Ok(())
    }
}

/// A failure reading a remote file; always names the URL.
#[derive(Debug, Clone, thiserror::Error)]
#[error("`{url}`: {kind}")]
pub struct HttpError {
    pub url: String,
    pub kind: HttpErrorKind,
}

/// What went wrong (see [`HttpError`]).
#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpErrorKind {
    #[error(
        "XRootD (root://) is not supported yet; use the storage's HTTPS endpoint \
         (https://host/path), which most XRootD servers also serve"
    )]
    XRootD,
    #[error("not an http:// or https:// URL")]
    Scheme,
    /// The server answered an error status (after the retries, for transient ones).
    #[error("the server answered {status} {reason}{}", attempts_note(*attempts))]
    Status {
        status: u16,
        reason: String,
        attempts: u32,
    },
    /// The connection failed, timed out or was cut (after the retries).
    #[error("{message}{}", attempts_note(*attempts))]
    Transport { message: String, attempts: u32 },
    #[error(
        "the server ignores range requests (it answered 200 with the whole file{}); anac reads \
         remote files by byte ranges and accepts a whole answer only for files under 1 MiB",
        size.map(|s| format!(", {s} bytes")).unwrap_or_default()
    )]
    RangeIgnored { size: Option<u64> },
    #[error(
        "the file changed while it was read: it had {was} bytes when opened, the server now \
         says {now}"
    )]
    SizeChanged { was: u64, now: u64 },
    /// The server says the file is no longer the one opened (another `ETag` or
    /// `Last-Modified`, or a `200` answer to an `If-Range` request).
    #[error("the file changed while it was read: {0}")]
    Changed(String),
    /// An answer that breaks the HTTP range protocol.
    #[error("unexpected answer: {0}")]
    Protocol(String),
    /// Bad options or certificates.
    #[error("{0}")]
    Config(String),
}

fn attempts_note(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

/// Counters of every [`HttpFile`] of the process (for the run summary).
struct Totals {
    requests: AtomicU64,
    bytes: AtomicU64,
    round_trips: AtomicU64,
    retries: AtomicU64,
}

static TOTAL: Totals = Totals {
    requests: AtomicU64::new(0),
    bytes: AtomicU64::new(0),
    round_trips: AtomicU64::new(0),
    retries: AtomicU64::new(0),
};

/// What every remote file of this process sent and received so far (round trips summed over
/// files).
pub fn process_stats() -> HttpStats {
    HttpStats {
        requests: TOTAL.requests.load(Ordering::Relaxed),
        bytes: TOTAL.bytes.load(Ordering::Relaxed),
        round_trips: TOTAL.round_trips.load(Ordering::Relaxed),
        retries: TOTAL.retries.load(Ordering::Relaxed),
    }
}

/// Counters of the requests an [`HttpFile`] sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HttpStats {
    /// HTTP requests sent (retries included).
    pub requests: u64,
    /// Body bytes received.
    pub bytes: u64,
    /// Sequential waits for the network: a batch of requests sent in parallel counts once (its
    /// longest chain of requests, retries included).
    pub round_trips: u64,
    /// Requests that were retries after a transient failure.
    pub retries: u64,
}

/// Whether `path` is an `http://` or `https://` URL.
pub fn is_remote(path: &str) -> bool {
    let lower = path.get(..8).unwrap_or(path).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Ok for `http://` and `https://` URLs; a clear error for `root://` and any other scheme.
pub fn check_scheme(path: &str) -> Result<(), HttpError> {
    let err = |kind| {
        Err(HttpError {
            url: path.to_string(),
            kind,
        })
    };
    if is_remote(path) {
        Ok(())
    } else if path
        .get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("root://"))
    {
        err(HttpErrorKind::XRootD)
    } else {
        err(HttpErrorKind::Scheme)
    }
}

/// Opens the ROOT file at `url` (http or https; options from [`HttpOptions::from_env`]).
/// HTTP failures become [`RootError::Io`] naming the URL.
pub fn open_root(url: &str) -> Result<RootFile, RootError> {
    let path = PathBuf::from(url);
    // The error's path is the URL; the source says what went wrong.
    let file = HttpFile::open(url).map_err(|e| RootError::Io {
        path: path.clone(),
        source: std::io::Error::other(e.kind),
    })?;
    RootFile::from_source(path, Box::new(file))
}

/// A remote file read with HTTP range requests (see the module docs).
pub struct HttpFile {
    url: String,
    agent: ureq::Agent,
    opts: HttpOptions,
    size: u64,
    /// The whole file, when the server ignored `Range` and the file is small.
    whole: Option<Vec<u8>>,
    state: Mutex<State>,
    /// Signalled when a fetch finishes (its range leaves `State::inflight`).
    wake: Condvar,
    /// Multi-range support: `MULTI_UNKNOWN`, `MULTI_YES` or `MULTI_NO`.
    multi: AtomicU8,
    /// The `ETag` and `Last-Modified` of the first answer.
    validator: OnceLock<Validator>,
    requests: AtomicU64,
    bytes: AtomicU64,
    round_trips: AtomicU64,
    retries: AtomicU64,
}

const MULTI_UNKNOWN: u8 = 0;
const MULTI_YES: u8 = 1;
const MULTI_NO: u8 = 2;

impl std::fmt::Debug for HttpFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpFile")
            .field("url", &self.url)
            .field("size", &self.size)
            .finish()
    }
}

/// Pieces of the file fetched so far, and the ranges being fetched.
struct State {
    cache: Cache,
    inflight: Vec<(u64, Range<u64>)>,
    next_id: u64,
}

/// One answer's bytes: `(start offset, data)` pieces.
type Pieces = Vec<(u64, Vec<u8>)>;

/// What one request brought back.
enum Answer {
    /// A 206 (or 416 for an empty file): the parts and the file's total size.
    Parts { parts: Pieces, total: Option<u64> },
    /// A 200 with the whole (small) file.
    Whole(Vec<u8>),
    /// A 200 whose body was not read (too large, or not wanted).
    Ignored { size: Option<u64> },
}

/// Why one attempt failed.
enum Failure {
    Transient(String),
    Status(u16),
    Fatal(HttpErrorKind),
}

/// What identifies the version of the file that was opened.
#[derive(Debug, Default)]
struct Validator {
    etag: Option<String>,
    last_modified: Option<String>,
}

impl Validator {
    /// The `If-Range` value: a strong `ETag` only (a weak one or a date may make the server
    /// answer `200` although the file did not change).
    fn if_range(&self) -> Option<&str> {
        self.etag.as_deref().filter(|e| e.starts_with('"'))
    }

    /// Why an answer with these headers is not from the file opened (None: same file, or the
    /// answer does not say).
    fn differs(&self, etag: Option<&str>, last_modified: Option<&str>) -> Option<String> {
        match (&self.etag, etag, &self.last_modified, last_modified) {
            (Some(was), Some(now), ..) if was != now => {
                Some(format!("its ETag was {was}, the server now says {now}"))
            }
            (None, _, Some(was), Some(now)) if was != now => Some(format!(
                "it was last modified {was}, the server now says {now}"
            )),
            _ => None,
        }
    }
}

/// Bytes an answer may hold beyond the range asked for.
const SLACK: u64 = 64 << 10;

impl HttpFile {
    /// Opens `url` with [`HttpOptions::from_env`]: one request, for the first block.
    pub fn open(url: &str) -> Result<HttpFile, HttpError> {
        let opts = HttpOptions::from_env().map_err(|e| HttpError {
            url: url.to_string(),
            kind: e.kind,
        })?;
        HttpFile::open_with(url, opts)
    }

    /// Opens `url` with the given options.
    pub fn open_with(url: &str, opts: HttpOptions) -> Result<HttpFile, HttpError> {
        check_scheme(url)?;
        let config_err = |what: String| HttpError {
            url: url.to_string(),
            kind: HttpErrorKind::Config(what),
        };
        opts.check().map_err(config_err)?;
        let agent = build_agent(&opts).map_err(config_err)?;
        let mut file = HttpFile {
            url: url.to_string(),
            agent,
            state: Mutex::new(State {
                cache: Cache::new(opts.cache_bytes, opts.block_size),
                inflight: Vec::new(),
                next_id: 0,
            }),
            opts,
            size: 0,
            whole: None,
            wake: Condvar::new(),
            multi: AtomicU8::new(MULTI_UNKNOWN),
            validator: OnceLock::new(),
            requests: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            round_trips: AtomicU64::new(0),
            retries: AtomicU64::new(0),
        };
        let first = 0..file.opts.first_block;
        let mut chain = 0;
        let answer = file.with_retries(&mut chain, || {
            file.attempt(std::slice::from_ref(&first), true)
        });
        file.round_trips.fetch_add(chain, Ordering::Relaxed);
        TOTAL.round_trips.fetch_add(chain, Ordering::Relaxed);
        match answer? {
            Answer::Parts { parts, total } => {
                let Some(total) = total else {
                    return Err(file.error(HttpErrorKind::Protocol(
                        "the first answer does not give the file's size (`Content-Range: \
                         bytes a-b/*`)"
                            .into(),
                    )));
                };
                file.size = total;
                let want = 0..first.end.min(total);
                if !covers(&parts, &want) {
                    return Err(file.error(HttpErrorKind::Protocol(format!(
                        "asked for bytes {}-{}, the answer does not hold them",
                        want.start,
                        want.end.saturating_sub(1)
                    ))));
                }
                let poisoned = file.error(HttpErrorKind::Config("cache lock poisoned".into()));
                let st = file.state.get_mut().map_err(|_| poisoned)?;
                for (start, data) in &parts {
                    st.cache.insert(*start, data, None);
                }
            }
            Answer::Whole(body) => {
                file.size = body.len() as u64;
                file.whole = Some(body);
            }
            Answer::Ignored { size } => {
                return Err(file.error(HttpErrorKind::RangeIgnored { size }));
            }
        }
        Ok(file)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// What was sent so far.
    pub fn stats(&self) -> HttpStats {
        HttpStats {
            requests: self.requests.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            round_trips: self.round_trips.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
        }
    }

    /// Whether the server answered a multi-range request with several parts (`None`: not yet
    /// tried).
    pub fn multi_range_supported(&self) -> Option<bool> {
        match self.multi.load(Ordering::Relaxed) {
            MULTI_YES => Some(true),
            MULTI_NO => Some(false),
            _ => None,
        }
    }

    fn error(&self, kind: HttpErrorKind) -> HttpError {
        HttpError {
            url: self.url.clone(),
            kind,
        }
    }

    fn lock(&self) -> std::io::Result<MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| std::io::Error::other(format!("`{}`: cache lock poisoned", self.url)))
    }

    /// Runs `attempt` until it succeeds, fails for good, or the retries are spent; counts the
    /// attempts in `chain` (the caller turns them into round trips).
    fn with_retries<T>(
        &self,
        chain: &mut u64,
        mut attempt: impl FnMut() -> Result<T, Failure>,
    ) -> Result<T, HttpError> {
        let mut attempts: u32 = 0;
        loop {
            attempts += 1;
            *chain += 1;
            let failure = match attempt() {
                Ok(v) => return Ok(v),
                Err(f) => f,
            };
            let retry = match &failure {
                Failure::Transient(_) => true,
                Failure::Status(s) => matches!(s, 408 | 429 | 500 | 502 | 503 | 504),
                Failure::Fatal(_) => false,
            };
            if !retry || attempts > self.opts.retries {
                return Err(self.error(match failure {
                    Failure::Transient(message) => HttpErrorKind::Transport { message, attempts },
                    Failure::Status(status) => HttpErrorKind::Status {
                        status,
                        reason: ureq::http::StatusCode::from_u16(status)
                            .ok()
                            .and_then(|s| s.canonical_reason())
                            .unwrap_or("")
                            .to_string(),
                        attempts,
                    },
                    Failure::Fatal(kind) => kind,
                }));
            }
            self.retries.fetch_add(1, Ordering::Relaxed);
            TOTAL.retries.fetch_add(1, Ordering::Relaxed);
            let factor = 1u32 << (attempts - 1).min(16);
            let wait = self
                .opts
                .backoff
                .saturating_mul(factor)
                .min(Duration::from_secs(8));
            std::thread::sleep(wait);
        }
    }

    /// One request for `ranges` (sorted, disjoint, inside the file once its size is known).
    /// `first`: the opening request, which may keep a small whole body.
    fn attempt(&self, ranges: &[Range<u64>], first: bool) -> Result<Answer, Failure> {
        let spec = ranges
            .iter()
            .map(|r| format!("{}-{}", r.start, r.end - 1))
            .collect::<Vec<_>>()
            .join(",");
        self.requests.fetch_add(1, Ordering::Relaxed);
        TOTAL.requests.fetch_add(1, Ordering::Relaxed);
        let mut req = self
            .agent
            .get(&self.url)
            .header("Range", format!("bytes={spec}"));
        let if_range = if first {
            None
        } else {
            self.validator.get().and_then(Validator::if_range)
        };
        if let Some(tag) = if_range {
            req = req.header("If-Range", tag);
        }
        let mut resp = req.call().map_err(classify)?;
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header("content-type").unwrap_or_default();
        let content_length = header("content-length").and_then(|v| v.trim().parse::<u64>().ok());
        let content_range = header("content-range");
        let etag = header("etag");
        let last_modified = header("last-modified");
        let expected = (!first).then_some(self.size);
        if first && matches!(status, 200 | 206) {
            let _ = self.validator.set(Validator {
                etag: etag.clone(),
                last_modified: last_modified.clone(),
            });
        } else if !first
            && matches!(status, 200 | 206)
            && let Some(why) = self
                .validator
                .get()
                .and_then(|v| v.differs(etag.as_deref(), last_modified.as_deref()))
        {
            return Err(Failure::Fatal(HttpErrorKind::Changed(why)));
        }
        // What an answer may hold: the ranges asked for (a server may coalesce close ranges),
        // a little slack around them, never much more.
        let asked = ranges.iter().map(|r| r.end - r.start).sum::<u64>();
        let hull = ranges.first().map_or(0, |r| r.start.saturating_sub(SLACK))
            ..ranges.last().map_or(0, |r| r.end.saturating_add(SLACK));
        let limit = if ranges.len() == 1 {
            asked.saturating_add(2 * SLACK)
        } else {
            asked.saturating_mul(2).saturating_add(SLACK)
        };
        match status {
            206 => {
                let mut body = resp.body_mut().as_reader();
                let (parts, total) = if let Some(boundary) = multipart_boundary(&content_type) {
                    let max_parts = ranges.len() * 4 + 16;
                    parse_multipart(&mut body, &boundary, &hull, limit, max_parts)?
                } else {
                    let Some(cr) = content_range else {
                        return Err(Failure::Fatal(HttpErrorKind::Protocol(
                            "a 206 answer without Content-Range".into(),
                        )));
                    };
                    let (range, total) = parse_content_range(&cr).map_err(Failure::Fatal)?;
                    if range.start < hull.start
                        || range.end > hull.end
                        || range.end - range.start > limit
                    {
                        return Err(Failure::Fatal(HttpErrorKind::Protocol(format!(
                            "asked for bytes {spec}, the server sent `Content-Range: {}`",
                            cr.trim()
                        ))));
                    }
                    if let Some(len) = content_length
                        && len != range.end - range.start
                    {
                        return Err(Failure::Fatal(HttpErrorKind::Protocol(format!(
                            "Content-Length {len} does not match Content-Range `{cr}`"
                        ))));
                    }
                    let data = read_exactly(&mut body, range.end - range.start)?;
                    (vec![(range.start, data)], total)
                };
                let got: u64 = parts.iter().map(|(_, d)| d.len() as u64).sum();
                self.bytes.fetch_add(got, Ordering::Relaxed);
                TOTAL.bytes.fetch_add(got, Ordering::Relaxed);
                if let (Some(was), Some(now)) = (expected, total)
                    && was != now
                {
                    return Err(Failure::Fatal(HttpErrorKind::SizeChanged { was, now }));
                }
                let size = expected.or(total);
                for (start, data) in &parts {
                    if let Some(size) = size
                        && start + data.len() as u64 > size
                    {
                        return Err(Failure::Fatal(HttpErrorKind::Protocol(format!(
                            "a part at {start} runs past the end of the {size}-byte file"
                        ))));
                    }
                }
                Ok(Answer::Parts { parts, total })
            }
            200 => {
                if if_range.is_some() && ranges.len() == 1 {
                    // The server honoured `Range` so far; a whole answer to `If-Range` means the
                    // file is no longer the one opened.
                    return Err(Failure::Fatal(HttpErrorKind::Changed(
                        "the server answered 200 (the whole file) to a range request made \
                         with If-Range"
                            .into(),
                    )));
                }
                if first && let Some(len) = content_length.filter(|&l| l < MAX_WHOLE_BODY) {
                    let body = read_exactly(&mut resp.body_mut().as_reader(), len)?;
                    self.bytes.fetch_add(len, Ordering::Relaxed);
                    TOTAL.bytes.fetch_add(len, Ordering::Relaxed);
                    return Ok(Answer::Whole(body));
                }
                if first && content_length.is_none() {
                    let mut body = Vec::new();
                    resp.body_mut()
                        .as_reader()
                        .take(MAX_WHOLE_BODY)
                        .read_to_end(&mut body)
                        .map_err(|e| Failure::Transient(format!("reading the answer: {e}")))?;
                    self.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
                    TOTAL.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
                    if (body.len() as u64) < MAX_WHOLE_BODY {
                        return Ok(Answer::Whole(body));
                    }
                }
                // Dropping the response without reading the body closes the connection.
                Ok(Answer::Ignored {
                    size: content_length,
                })
            }
            416 => {
                // Range not satisfiable: only right for an empty file at opening; otherwise the
                // file shrank.
                let total = content_range
                    .as_deref()
                    .and_then(|cr| cr.trim().strip_prefix("bytes */"))
                    .and_then(|t| t.trim().parse::<u64>().ok());
                match (expected, total) {
                    (None, Some(0)) => Ok(Answer::Parts {
                        parts: Vec::new(),
                        total: Some(0),
                    }),
                    (Some(was), Some(now)) if was != now => {
                        Err(Failure::Fatal(HttpErrorKind::SizeChanged { was, now }))
                    }
                    _ => Err(Failure::Status(416)),
                }
            }
            s => Err(Failure::Status(s)),
        }
    }

    /// Fetches one range (retried); the answer must hold it.
    fn fetch_single(&self, range: &Range<u64>, chain: &mut u64) -> Result<Pieces, HttpError> {
        let answer =
            self.with_retries(chain, || self.attempt(std::slice::from_ref(range), false))?;
        match answer {
            Answer::Parts { parts, .. } if covers(&parts, range) => Ok(parts),
            Answer::Parts { .. } => Err(self.error(HttpErrorKind::Protocol(format!(
                "asked for bytes {}-{}, the answer does not hold them",
                range.start,
                range.end - 1
            )))),
            Answer::Whole(_) | Answer::Ignored { .. } => {
                Err(self.error(HttpErrorKind::RangeIgnored { size: None }))
            }
        }
    }

    /// Runs `f` on each item, up to `parallel` at once, stopping at the first error; adds the
    /// longest chain of requests (what `f` counts in its `&mut u64`) to the round trips.
    fn in_parallel<I: Sync, T: Send>(
        &self,
        items: &[I],
        f: impl Fn(&I, &mut u64) -> Result<T, HttpError> + Sync,
    ) -> Result<Vec<T>, HttpError> {
        let threads = self.opts.parallel.min(items.len());
        let mut out: Vec<Option<T>> = (0..items.len()).map(|_| None).collect();
        if threads <= 1 {
            let mut chain = 0;
            let mut failed = None;
            for (slot, item) in out.iter_mut().zip(items) {
                match f(item, &mut chain) {
                    Ok(v) => *slot = Some(v),
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            self.round_trips.fetch_add(chain, Ordering::Relaxed);
            TOTAL.round_trips.fetch_add(chain, Ordering::Relaxed);
            if let Some(e) = failed {
                return Err(e);
            }
        } else {
            let stop = AtomicBool::new(false);
            let results: Mutex<(&mut [Option<T>], Option<HttpError>)> =
                Mutex::new((&mut out, None));
            let longest = std::thread::scope(|s| {
                // Worker `w` takes items `w`, `w + threads`, ...: a fixed share, so the round
                // trips counted do not depend on which thread ran first.
                let (f, stop, results) = (&f, &stop, &results);
                let workers: Vec<_> = (0..threads)
                    .map(|w| {
                        s.spawn(move || {
                            let mut chain = 0;
                            for (i, item) in items.iter().enumerate().skip(w).step_by(threads) {
                                if stop.load(Ordering::Relaxed) {
                                    break;
                                }
                                let got = f(item, &mut chain);
                                let mut res = results.lock().unwrap_or_else(|e| e.into_inner());
                                match got {
                                    Ok(v) => res.0[i] = Some(v),
                                    Err(e) => {
                                        stop.store(true, Ordering::Relaxed);
                                        res.1.get_or_insert(e);
                                    }
                                }
                            }
                            chain
                        })
                    })
                    .collect();
                // A worker that panicked counts no round trip; its item has no answer (below).
                workers
                    .into_iter()
                    .map(|w| w.join().unwrap_or(0))
                    .max()
                    .unwrap_or(0)
            });
            self.round_trips.fetch_add(longest, Ordering::Relaxed);
            TOTAL.round_trips.fetch_add(longest, Ordering::Relaxed);
            let (_, err) = results.into_inner().unwrap_or_else(|e| e.into_inner());
            if let Some(e) = err {
                return Err(e);
            }
        }
        out.into_iter()
            .map(|v| {
                v.ok_or_else(|| {
                    self.error(HttpErrorKind::Protocol(
                        "a request thread stopped without an answer".into(),
                    ))
                })
            })
            .collect()
    }

    /// Fetches single ranges, up to `parallel` at once.
    fn fetch_parallel(&self, ranges: &[Range<u64>]) -> Result<Pieces, HttpError> {
        let answers = self.in_parallel(ranges, |r, chain| self.fetch_single(r, chain))?;
        Ok(answers.into_iter().flatten().collect())
    }

    /// Fetches `ranges` (sorted, disjoint, inside the file) in as few round trips as the server
    /// allows: multi-range requests when it supports them, else parallel single ranges.
    fn fetch(&self, ranges: &[Range<u64>]) -> Result<Pieces, HttpError> {
        if ranges.len() <= 1
            || !self.opts.multi_range
            || self.multi.load(Ordering::Relaxed) == MULTI_NO
        {
            return self.fetch_parallel(ranges);
        }
        let groups: Vec<&[Range<u64>]> = ranges.chunks(self.opts.max_ranges_per_request).collect();
        let answers = self.in_parallel(&groups, |g, chain| {
            self.with_retries(chain, || self.attempt(g, false))
        })?;
        let mut pieces = Vec::new();
        let mut missing = Vec::new();
        for (g, answer) in groups.iter().zip(answers) {
            match answer {
                Answer::Parts { parts, .. } => {
                    let several = parts.len() > 1;
                    let lacking: Vec<_> = g.iter().filter(|r| !covers(&parts, r)).collect();
                    if several {
                        self.multi.store(MULTI_YES, Ordering::Relaxed);
                    } else if !lacking.is_empty() {
                        // One part for several ranges: the server does not do multi-range.
                        self.multi.store(MULTI_NO, Ordering::Relaxed);
                    }
                    missing.extend(lacking.into_iter().cloned());
                    pieces.extend(parts);
                }
                Answer::Whole(_) | Answer::Ignored { .. } => {
                    self.multi.store(MULTI_NO, Ordering::Relaxed);
                    missing.extend(g.iter().cloned());
                }
            }
        }
        if !missing.is_empty() {
            pieces.extend(self.fetch_parallel(&missing)?);
        }
        Ok(pieces)
    }

    /// Registers `ranges` as being fetched; the guard unregisters them (and wakes waiters).
    fn register(&self, st: &mut State, ranges: &[Range<u64>]) -> Inflight<'_> {
        let id = st.next_id;
        st.next_id += 1;
        for r in ranges {
            st.inflight.push((id, r.clone()));
        }
        Inflight {
            file: self,
            id,
            done: false,
        }
    }

    /// The ranges to fetch for the missing `gaps`: each small one (under a quarter of a block:
    /// metadata, small baskets read in a row) widened to the end of its block and back a
    /// sixteenth of a block at most (reads go forward), but not
    /// over bytes already cached or being fetched, nor past the end of the file. Larger gaps
    /// (baskets) are fetched as they are: their neighbours belong to other branches, read
    /// later, by when a cache smaller than the cluster would have dropped them.
    fn widen(&self, st: &State, gaps: &[Range<u64>]) -> Vec<Range<u64>> {
        let bs = self.opts.block_size;
        let mut out: Vec<Range<u64>> = Vec::new();
        for g in gaps {
            let (mut lo, mut hi) = if g.end - g.start < bs / 4 {
                (
                    (g.start / bs * bs).max(g.start.saturating_sub(bs / 16)),
                    g.end.div_ceil(bs).saturating_mul(bs).min(self.size),
                )
            } else {
                (g.start, g.end)
            };
            lo = lo.max(st.cache.end_before(g.start));
            hi = hi.min(st.cache.start_after(g.end));
            for (_, r) in &st.inflight {
                if r.end <= g.start {
                    lo = lo.max(r.end);
                }
                if r.start >= g.end {
                    hi = hi.min(r.start);
                }
            }
            match out.last_mut() {
                Some(last) if last.end >= lo => last.end = last.end.max(hi),
                _ => out.push(lo..hi),
            }
        }
        out
    }
}

/// A registration of ranges being fetched; removed on drop (also on an early return).
struct Inflight<'a> {
    file: &'a HttpFile,
    id: u64,
    done: bool,
}

impl Inflight<'_> {
    /// Unregisters under a lock the caller already holds.
    fn finish(mut self, st: &mut State) {
        st.inflight.retain(|(id, _)| *id != self.id);
        self.done = true;
        self.file.wake.notify_all();
    }
}

impl Drop for Inflight<'_> {
    fn drop(&mut self) {
        if !self.done {
            let mut st = self.file.state.lock().unwrap_or_else(|e| e.into_inner());
            st.inflight.retain(|(id, _)| *id != self.id);
            self.file.wake.notify_all();
        }
    }
}

impl ByteSource for HttpFile {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        let len = buf.len() as u64;
        let Some(end) = offset.checked_add(len).filter(|&e| e <= self.size) else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "`{}`: {len} bytes at offset {offset} run past the end of the {}-byte file",
                    self.url, self.size
                ),
            ));
        };
        if let Some(whole) = &self.whole {
            buf.copy_from_slice(&whole[offset as usize..end as usize]);
            return Ok(());
        }
        if buf.is_empty() {
            return Ok(());
        }
        let want = offset..end;
        // The reader's error names the file: the URL is not repeated here.
        let io_err = |e: HttpError| std::io::Error::other(e.kind);
        let mut st = self.lock()?;
        // The parts of the read still missing. Each turn copies what the cache holds, then waits
        // for another thread's fetch or fetches the rest itself (copied straight from the
        // answer, so the read never depends on the cache keeping it); past a few turns the read
        // fetches what is left directly.
        let mut need = vec![want.clone()];
        for _ in 0..16 {
            let mut missing = Vec::new();
            for part in &need {
                missing.extend(st.cache.copy_out(part, &want, offset, buf));
            }
            need = missing;
            if need.is_empty() {
                return Ok(());
            }
            let gaps = subtract(&need, st.inflight.iter().map(|(_, r)| r));
            if gaps.is_empty() {
                st = self.wake.wait(st).map_err(|_| {
                    std::io::Error::other(format!("`{}`: cache lock poisoned", self.url))
                })?;
                continue;
            }
            let ranges = self.widen(&st, &gaps);
            let guard = self.register(&mut st, &ranges);
            drop(st);
            let got = self.fetch(&ranges);
            st = self.lock()?;
            guard.finish(&mut st);
            let pieces = got.map_err(io_err)?;
            let mut done = Vec::new();
            for g in gaps {
                let slice = &mut buf[(g.start - offset) as usize..(g.end - offset) as usize];
                if copy_from(&pieces, g.start, slice) {
                    done.push(g);
                }
            }
            need = subtract(&need, done.iter());
            for (start, data) in &pieces {
                st.cache.insert(*start, data, Some(&want));
            }
        }
        drop(st);
        let pieces = self.fetch(&need).map_err(io_err)?;
        for g in need {
            let slice = &mut buf[(g.start - offset) as usize..(g.end - offset) as usize];
            if !copy_from(&pieces, g.start, slice) {
                return Err(io_err(self.error(HttpErrorKind::Protocol(format!(
                    "bytes {}-{} were not fetched",
                    g.start,
                    g.end - 1
                )))));
            }
        }
        Ok(())
    }

    /// Fetches `ranges` now (merged across small gaps, in as few requests as the server allows)
    /// so the `read_at`s that follow are served from memory. A failure here is not reported: the
    /// reads fetch again and report it.
    fn prefetch(&self, ranges: &[Range<u64>]) {
        if self.whole.is_some() {
            return;
        }
        let mut wanted: Vec<Range<u64>> = ranges
            .iter()
            .map(|r| r.start.min(self.size)..r.end.min(self.size))
            .filter(|r| r.start < r.end)
            .collect();
        wanted.sort_by_key(|r| r.start);
        let Ok(mut st) = self.lock() else { return };
        let mut gaps = Vec::new();
        for r in &wanted {
            gaps.extend(subtract(
                &st.cache.gaps(r),
                st.inflight.iter().map(|(_, r)| r),
            ));
        }
        gaps.sort_by_key(|r| r.start);
        // Merge across small gaps, and cut the whole to a share of the cache (a quarter, and at
        // most what leaves half of it to the fetches of other threads) so the prefetch never
        // evicts itself: a prefetch is a hint, the bytes not fetched here are read as usual.
        let cap = self.opts.cache_bytes;
        let inflight: u64 = st.inflight.iter().map(|(_, r)| r.end - r.start).sum();
        let budget = (cap / 4).min((cap / 2).saturating_sub(inflight));
        let mut merged: Vec<Range<u64>> = Vec::new();
        let mut total = 0u64;
        for g in gaps {
            let room = budget - total;
            match merged.last_mut() {
                Some(last) if g.start <= last.end.saturating_add(self.opts.max_gap) => {
                    let add = g.end.saturating_sub(last.end);
                    let end = last.end.max(g.end.min(last.end.saturating_add(room)));
                    if end > g.start {
                        total += end - last.end;
                        last.end = end;
                    }
                    if add > room {
                        break;
                    }
                }
                _ => {
                    let end = g.end.min(g.start.saturating_add(room));
                    if end > g.start {
                        total += end - g.start;
                        merged.push(g.start..end);
                    }
                    if end < g.end {
                        break;
                    }
                }
            }
        }
        if merged.is_empty() {
            return;
        }
        let guard = self.register(&mut st, &merged);
        drop(st);
        let got = self.fetch(&merged);
        let Ok(mut st) = self.lock() else { return };
        guard.finish(&mut st);
        if let Ok(pieces) = got {
            for (start, data) in &pieces {
                st.cache.insert(*start, data, None);
            }
        }
    }
}

fn build_agent(opts: &HttpOptions) -> Result<ureq::Agent, String> {
    let mut tls = ureq::tls::TlsConfig::builder();
    if !opts.root_certs_pem.is_empty() {
        let mut certs = Vec::new();
        for pem in &opts.root_certs_pem {
            for item in ureq::tls::parse_pem(pem) {
                match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c),
                    Ok(_) => {}
                    Err(e) => return Err(format!("bad PEM in the CA certificates: {e}")),
                }
            }
        }
        if certs.is_empty() {
            return Err("the CA certificates given hold no certificate".into());
        }
        tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
    }
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(opts.connect_timeout))
        .timeout_recv_response(Some(opts.read_timeout))
        .timeout_per_read(Some(opts.read_timeout))
        .timeout_per_call(Some(opts.request_timeout))
        .accept_encoding("identity")
        .max_idle_connections_per_host(opts.parallel.max(4) * 2)
        .user_agent(concat!("anac/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls.build())
        .build();
    Ok(ureq::Agent::new_with_config(config))
}

/// Sorts a ureq failure into retryable or not.
fn classify(e: ureq::Error) -> Failure {
    match e {
        ureq::Error::Timeout(_)
        | ureq::Error::Io(_)
        | ureq::Error::ConnectionFailed
        | ureq::Error::Protocol(_) => Failure::Transient(e.to_string()),
        ureq::Error::StatusCode(s) => Failure::Status(s),
        other => Failure::Fatal(HttpErrorKind::Transport {
            message: other.to_string(),
            attempts: 1,
        }),
    }
}

/// Reads exactly `len` bytes; a shorter body is a transient failure (a cut connection).
fn read_exactly(r: &mut impl Read, len: u64) -> Result<Vec<u8>, Failure> {
    let n = usize::try_from(len)
        .map_err(|_| Failure::Fatal(HttpErrorKind::Protocol(format!("a {len}-byte part"))))?;
    let mut data = Vec::new();
    r.take(len)
        .read_to_end(&mut data)
        .map_err(|e| Failure::Transient(format!("reading the answer: {e}")))?;
    if data.len() != n {
        return Err(Failure::Transient(format!(
            "the answer was cut short: {} of {len} bytes",
            data.len()
        )));
    }
    Ok(data)
}

/// `bytes a-b/TOTAL` (or `/*`) → (a..b+1, TOTAL).
fn parse_content_range(v: &str) -> Result<(Range<u64>, Option<u64>), HttpErrorKind> {
    let bad = || HttpErrorKind::Protocol(format!("bad Content-Range `{v}`"));
    let rest = v.trim().strip_prefix("bytes").ok_or_else(bad)?.trim_start();
    let (span, total) = rest.split_once('/').ok_or_else(bad)?;
    let (a, b) = span.split_once('-').ok_or_else(bad)?;
    let a: u64 = a.trim().parse().map_err(|_| bad())?;
    let b: u64 = b.trim().parse().map_err(|_| bad())?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse::<u64>().map_err(|_| bad())?),
    };
    if b < a || total.is_some_and(|t| b >= t) {
        return Err(bad());
    }
    let end = b.checked_add(1).ok_or_else(bad)?;
    Ok((a..end, total))
}

/// The boundary of a `multipart/byteranges` content type.
fn multipart_boundary(content_type: &str) -> Option<String> {
    let mut fields = content_type.split(';');
    let mime = fields.next()?.trim();
    if !mime.eq_ignore_ascii_case("multipart/byteranges") {
        return None;
    }
    fields.find_map(|f| {
        let (k, v) = f.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
            .filter(|b| !b.is_empty())
    })
}

/// Parses a `multipart/byteranges` body: each part's `Content-Range` and bytes. At most
/// `limit` data bytes and `max_parts` parts, each inside `allowed`; a body that ends early is a
/// transient failure.
fn parse_multipart(
    body: &mut impl Read,
    boundary: &str,
    allowed: &Range<u64>,
    limit: u64,
    max_parts: usize,
) -> Result<(Pieces, Option<u64>), Failure> {
    const MAX_LINE: u64 = 8 << 10;
    const MAX_NOISE: usize = 1 << 16;
    let protocol = |m: String| Failure::Fatal(HttpErrorKind::Protocol(m));
    let mut r = BufReader::new(body);
    let delimiter = format!("--{boundary}");
    let close = format!("--{boundary}--");
    let mut parts = Vec::new();
    let mut total: Option<u64> = None;
    let mut data_bytes = 0u64;
    let mut noise = 0usize;
    let mut line = Vec::new();
    let next_line = |r: &mut BufReader<_>, line: &mut Vec<u8>| -> Result<String, Failure> {
        line.clear();
        let n = r
            .by_ref()
            .take(MAX_LINE)
            .read_until(b'\n', line)
            .map_err(|e| Failure::Transient(format!("reading the answer: {e}")))?;
        if n as u64 == MAX_LINE && line.last() != Some(&b'\n') {
            return Err(protocol(
                "a line longer than 8 KiB in a multipart answer".into(),
            ));
        }
        if line.last() != Some(&b'\n') && line.as_slice() != close.as_bytes() {
            // The connection ended mid-line or before the closing boundary (which alone may
            // end without a line break).
            return Err(Failure::Transient(
                "the multipart answer ended before its closing boundary".into(),
            ));
        }
        Ok(String::from_utf8_lossy(line)
            .trim_end_matches(['\r', '\n'])
            .to_string())
    };
    loop {
        let l = next_line(&mut r, &mut line)?;
        if l == close {
            break;
        }
        if l != delimiter {
            noise += l.len() + 2;
            if noise > MAX_NOISE {
                return Err(protocol("a multipart answer without its boundaries".into()));
            }
            continue;
        }
        let mut range = None;
        loop {
            let h = next_line(&mut r, &mut line)?;
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':')
                && k.trim().eq_ignore_ascii_case("content-range")
            {
                range = Some(parse_content_range(v).map_err(Failure::Fatal)?);
            }
        }
        let Some((span, part_total)) = range else {
            return Err(protocol("a multipart part without Content-Range".into()));
        };
        if let (Some(a), Some(b)) = (total, part_total)
            && a != b
        {
            return Err(protocol(format!(
                "parts give different file sizes ({a} and {b})"
            )));
        }
        total = total.or(part_total);
        if span.start < allowed.start || span.end > allowed.end {
            return Err(protocol(format!(
                "a multipart part holds bytes {}-{}, outside the ranges asked for",
                span.start,
                span.end - 1
            )));
        }
        data_bytes = data_bytes.saturating_add(span.end - span.start);
        if data_bytes > limit || parts.len() >= max_parts {
            return Err(protocol("a multipart answer far larger than asked".into()));
        }
        let data = read_exactly(&mut r, span.end - span.start)?;
        parts.push((span.start, data));
    }
    // Drain the epilogue (a line break, usually) so the connection can be reused.
    let _ = std::io::copy(&mut r.take(MAX_LINE), &mut std::io::sink());
    Ok((parts, total))
}

/// Whether the pieces together hold every byte of `want`.
fn covers(pieces: &[(u64, Vec<u8>)], want: &Range<u64>) -> bool {
    let mut spans: Vec<Range<u64>> = pieces
        .iter()
        .map(|(s, d)| *s..s + d.len() as u64)
        .filter(|r| r.end > want.start && r.start < want.end)
        .collect();
    spans.sort_by_key(|r| r.start);
    let mut pos = want.start;
    for s in spans {
        if s.start > pos {
            return false;
        }
        pos = pos.max(s.end);
    }
    pos >= want.end
}

/// Copies `offset..offset + buf.len()` from the pieces; false when they do not hold it all.
fn copy_from(pieces: &[(u64, Vec<u8>)], offset: u64, buf: &mut [u8]) -> bool {
    let want = offset..offset + buf.len() as u64;
    if !covers(pieces, &want) {
        return false;
    }
    for (start, data) in pieces {
        let lo = want.start.max(*start);
        let hi = want.end.min(start + data.len() as u64);
        if lo < hi {
            buf[(lo - offset) as usize..(hi - offset) as usize]
                .copy_from_slice(&data[(lo - start) as usize..(hi - start) as usize]);
        }
    }
    true
}

/// `ranges` (sorted, disjoint) minus every range of `holes`.
fn subtract<'a>(
    ranges: &[Range<u64>],
    holes: impl Iterator<Item = &'a Range<u64>> + Clone,
) -> Vec<Range<u64>> {
    let mut out = ranges.to_vec();
    for h in holes {
        out = out
            .into_iter()
            .flat_map(|r| {
                if h.end <= r.start || h.start >= r.end {
                    vec![r]
                } else {
                    let mut v = Vec::new();
                    if r.start < h.start {
                        v.push(r.start..h.start);
                    }
                    if h.end < r.end {
                        v.push(h.end..r.end);
                    }
                    v
                }
            })
            .collect();
    }
    out
}

/// Disjoint pieces of the file kept in memory, least recently used dropped first past `cap`.
///
/// Bytes are stored in segments of at most `seg` bytes (a block, and at most an eighth of the
/// cap) cut at multiples of `seg`, so eviction is fine-grained and no piece is larger than the
/// cap. Segments read whole by one `read_at` (basket bytes, read once) become "cold": they are
/// dropped before every other one.
struct Cache {
    /// Start offset → piece; pieces never overlap.
    segs: BTreeMap<u64, Seg>,
    /// Use stamp → start offset; the smallest stamp is dropped first.
    lru: BTreeMap<u64, u64>,
    bytes: u64,
    /// Stamps of recent uses count up from `WARM`, cold stamps count down below it.
    clock: u64,
    cold: u64,
    cap: u64,
    seg: u64,
}

struct Seg {
    data: Vec<u8>,
    stamp: u64,
}

const WARM: u64 = 1 << 62;

impl Cache {
    fn new(cap: u64, block_size: u64) -> Cache {
        Cache {
            segs: BTreeMap::new(),
            lru: BTreeMap::new(),
            bytes: 0,
            clock: WARM,
            cold: WARM,
            cap,
            seg: block_size.min(cap / 8).max(1),
        }
    }

    /// The parts of `want` not cached, in order.
    fn gaps(&self, want: &Range<u64>) -> Vec<Range<u64>> {
        let mut out = Vec::new();
        let mut pos = want.start;
        if let Some((s, seg)) = self.segs.range(..=pos).next_back() {
            pos = pos.max(s + seg.data.len() as u64);
        }
        if pos < want.end {
            for (&s, seg) in self.segs.range(pos..want.end) {
                if s > pos {
                    out.push(pos..s);
                }
                pos = pos.max(s + seg.data.len() as u64);
            }
        }
        if pos < want.end {
            out.push(pos..want.end);
        }
        out
    }

    /// The end of the last piece starting before `at` (0 when none).
    fn end_before(&self, at: u64) -> u64 {
        self.segs
            .range(..at)
            .next_back()
            .map(|(s, seg)| s + seg.data.len() as u64)
            .unwrap_or(0)
    }

    /// The start of the first piece starting at or after `at` (`u64::MAX` when none).
    fn start_after(&self, at: u64) -> u64 {
        self.segs
            .range(at..)
            .next()
            .map(|(s, _)| *s)
            .unwrap_or(u64::MAX)
    }

    /// A new stamp for the piece at `start`: cold (dropped first) or the most recent.
    fn stamp(&mut self, start: u64, cold: bool) {
        let stamp = if cold {
            self.cold -= 1;
            self.cold
        } else {
            self.clock += 1;
            self.clock
        };
        if let Some(seg) = self.segs.get_mut(&start) {
            self.lru.remove(&seg.stamp);
            seg.stamp = stamp;
            self.lru.insert(stamp, start);
        }
    }

    /// Copies the cached bytes of `part` into `buf` (which holds the bytes from `base` on) and
    /// returns the parts not cached. Pieces lying inside `read` (the whole read) become cold,
    /// the others recently used.
    fn copy_out(
        &mut self,
        part: &Range<u64>,
        read: &Range<u64>,
        base: u64,
        buf: &mut [u8],
    ) -> Vec<Range<u64>> {
        let first = self
            .segs
            .range(..=part.start)
            .next_back()
            .map(|(s, _)| *s)
            .unwrap_or(part.start);
        let starts: Vec<u64> = self.segs.range(first..part.end).map(|(s, _)| *s).collect();
        for start in starts {
            let Some(seg) = self.segs.get(&start) else {
                continue;
            };
            let end = start + seg.data.len() as u64;
            let lo = part.start.max(start);
            let hi = part.end.min(end);
            if lo >= hi {
                continue;
            }
            buf[(lo - base) as usize..(hi - base) as usize]
                .copy_from_slice(&seg.data[(lo - start) as usize..(hi - start) as usize]);
            self.stamp(start, start >= read.start && end <= read.end);
        }
        self.gaps(part)
    }

    /// Adds the bytes of `data` (at `start`) that are not cached yet, in segments, then drops
    /// pieces past the cap. Segments lying inside `read` (bytes fetched for one read, which
    /// already has them) are added cold.
    fn insert(&mut self, start: u64, data: &[u8], read: Option<&Range<u64>>) {
        if self.cap == 0 {
            return;
        }
        let span = start..start + data.len() as u64;
        for g in self.gaps(&span) {
            let mut lo = g.start;
            while lo < g.end {
                let hi = (lo / self.seg + 1).saturating_mul(self.seg).min(g.end);
                let piece = data[(lo - start) as usize..(hi - start) as usize].to_vec();
                self.bytes += piece.len() as u64;
                self.segs.insert(
                    lo,
                    Seg {
                        data: piece,
                        stamp: 0,
                    },
                );
                self.stamp(lo, read.is_some_and(|r| lo >= r.start && hi <= r.end));
                lo = hi;
            }
        }
        while self.bytes > self.cap {
            let Some((_, s)) = self.lru.pop_first() else {
                break;
            };
            if let Some(seg) = self.segs.remove(&s) {
                self.bytes -= seg.data.len() as u64;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        let (r, t) = parse_content_range("bytes 0-99/1000").unwrap();
        assert_eq!((r, t), (0..100, Some(1000)));
        assert_eq!(parse_content_range("bytes 5-5/*").unwrap(), (5..6, None));
        assert!(parse_content_range("bytes 10-5/100").is_err());
        assert!(parse_content_range("bytes 0-100/100").is_err());
        assert!(parse_content_range("items 0-1/2").is_err());
        assert!(parse_content_range("bytes 5-18446744073709551615/*").is_err());
    }

    #[test]
    fn multipart_parsing() {
        let body = b"\r\n--XYZ\r\nContent-Type: application/octet-stream\r\n\
            Content-Range: bytes 0-2/10\r\n\r\nabc\r\n--XYZ\r\nContent-Range: bytes 7-9/10\r\n\r\n\
            hij\r\n--XYZ--\r\n";
        let (parts, total) = match parse_multipart(&mut &body[..], "XYZ", &(0..10), 100, 10) {
            Ok(v) => v,
            Err(_) => panic!("parse failed"),
        };
        assert_eq!(total, Some(10));
        assert_eq!(parts, vec![(0, b"abc".to_vec()), (7, b"hij".to_vec())]);
        let unterminated = &body[..body.len() - 2];
        assert!(parse_multipart(&mut &unterminated[..], "XYZ", &(0..10), 100, 10).is_ok());
        let cut = &body[..body.len() - 20];
        assert!(matches!(
            parse_multipart(&mut &cut[..], "XYZ", &(0..10), 100, 10),
            Err(Failure::Transient(_))
        ));
        assert_eq!(
            multipart_boundary("multipart/byteranges; boundary=\"a b\""),
            Some("a b".into())
        );
        assert_eq!(multipart_boundary("application/octet-stream"), None);
    }

    #[test]
    fn cache_pieces_and_eviction() {
        let mut c = Cache::new(32, 4);
        c.insert(0, b"abcdefgh", None);
        c.insert(6, b"GHIJKL", None);
        assert_eq!((c.segs.len(), c.bytes), (3, 12));
        let mut buf = [0u8; 12];
        assert!(c.copy_out(&(0..12), &(0..12), 0, &mut buf).is_empty());
        assert_eq!(&buf, b"abcdefghIJKL");
        assert_eq!(c.gaps(&(10..20)), vec![12..20]);
        assert_eq!(c.end_before(20), 12);
        assert_eq!(c.start_after(6), 8);
        // Bytes fetched for one read go in cold, and leave first.
        c.insert(100, &[7u8; 16], Some(&(100..116)));
        c.insert(200, &[8u8; 8], None);
        assert_eq!(c.bytes, 32);
        assert_eq!(c.gaps(&(0..12)), vec![]);
        assert_eq!(c.gaps(&(100..116)).len(), 1);
        assert_eq!(c.gaps(&(200..208)), vec![]);
        // No piece is larger than the cap, whatever the block size.
        let mut c = Cache::new(100, 1 << 20);
        c.insert(0, &[1u8; 1000], None);
        assert!(c.bytes <= 100 && c.segs.values().all(|s| s.data.len() <= 12));
        assert_eq!(c.gaps(&(900..1000)), vec![]);
    }

    #[test]
    fn schemes() {
        assert!(is_remote("HTTPS://x/y") && is_remote("http://x") && !is_remote("/tmp/x"));
        let e = check_scheme("root://eos.example//f.root").unwrap_err();
        assert!(e.to_string().contains("root://eos.example//f.root"));
        assert!(
            e.to_string()
                .contains("XRootD (root://) is not supported yet")
        );
        assert!(matches!(
            check_scheme("ftp://x").unwrap_err().kind,
            HttpErrorKind::Scheme
        ));
        assert_eq!(
            subtract(&[0..10, 20..30], [2..4, 25..40].iter()),
            vec![0..2, 4..10, 20..25]
        );
    }
}
