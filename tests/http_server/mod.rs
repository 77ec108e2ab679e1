//! A small HTTP/1.1 range server for `tests/http.rs`: std `TcpListener` and one thread per
//! connection, optionally TLS (rustls, with a CA and a certificate made by rcgen in the test).
//!
//! It serves files held in memory, each with an `ETag` derived from its bytes (honouring
//! `If-Range`: a tag that no longer matches gets the whole file, `200`), and can misbehave on
//! demand: no multi-range (one part or the whole body), Range ignored, the whole file as a
//! `206`, a given `Content-Range` header, latency per request, bodies cut short, 503s, files
//! replaced while a client reads them, and redirects (`/moved/NAME` → `/NAME`).

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the server answers a request for several ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Multi {
    /// `206 multipart/byteranges`.
    Parts,
    /// Only the first range, as a plain 206.
    FirstOnly,
    /// `200` with the whole file.
    Whole,
}

#[derive(Debug, Clone, Copy)]
pub struct Mode {
    pub multi: Multi,
    /// Answer every request with `200` and the whole file.
    pub ignore_range: bool,
    /// Sleep this long before each answer.
    pub latency: Duration,
    /// Accept connections but never answer.
    pub silent: bool,
    /// Answer every range request with `206` and the whole file
    /// (`Content-Range: bytes 0-(len-1)/len`).
    pub whole_as_206: bool,
    /// Send this `Content-Range` in single-range `206` answers (the body stays the one asked).
    pub content_range: Option<&'static str>,
}

impl Default for Mode {
    fn default() -> Self {
        Mode {
            multi: Multi::Parts,
            ignore_range: false,
            latency: Duration::ZERO,
            silent: false,
            whole_as_206: false,
            content_range: None,
        }
    }
}

/// A file's bytes and its `ETag`.
type Served = (Arc<Vec<u8>>, String);

#[derive(Default)]
pub struct Shared {
    files: Mutex<HashMap<String, Served>>,
    pub mode: Mutex<Mode>,
    /// Requests received.
    pub requests: AtomicUsize,
    /// The `Range` header of each request (`-` when absent).
    pub ranges: Mutex<Vec<String>>,
    /// The next this-many answers send half their body, then close the connection.
    pub cut_next: AtomicUsize,
    /// The next this-many requests are answered `503`.
    pub busy_next: AtomicUsize,
}

pub struct Server {
    pub addr: SocketAddr,
    pub shared: Arc<Shared>,
    scheme: &'static str,
}

impl Server {
    /// Starts a server on 127.0.0.1 (a free port); TLS when `tls` is given.
    pub fn start(tls: Option<Arc<rustls::ServerConfig>>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared::default());
        let scheme = if tls.is_some() { "https" } else { "http" };
        let s = shared.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(tcp) = conn else { continue };
                let s = s.clone();
                let tls = tls.clone();
                std::thread::spawn(move || serve_connection(tcp, tls, &s));
            }
        });
        Server {
            addr,
            shared,
            scheme,
        }
    }

    /// Serves `bytes` at `/name`, with an `ETag` derived from them.
    pub fn put(&self, name: &str, bytes: Vec<u8>) {
        let tag = etag(&bytes);
        self.shared
            .files
            .lock()
            .unwrap()
            .insert(format!("/{name}"), (Arc::new(bytes), tag));
    }

    pub fn url(&self, name: &str) -> String {
        format!("{}://{}/{name}", self.scheme, self.addr)
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.shared.mode.lock().unwrap() = mode;
    }

    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    pub fn range_headers(&self) -> Vec<String> {
        self.shared.ranges.lock().unwrap().clone()
    }
}

fn serve_connection(tcp: TcpStream, tls: Option<Arc<rustls::ServerConfig>>, s: &Shared) {
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = tcp.set_nodelay(true);
    match tls {
        Some(cfg) => {
            let Ok(conn) = rustls::ServerConnection::new(cfg) else {
                return;
            };
            let mut stream = rustls::StreamOwned::new(conn, tcp);
            serve_requests(&mut stream, s);
        }
        None => {
            let mut tcp = tcp;
            serve_requests(&mut tcp, s);
        }
    }
}

/// A strong `ETag`: FNV-1a of the bytes, and their length.
pub fn etag(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("\"{h:016x}-{:x}\"", bytes.len())
}

struct Request {
    path: String,
    range: Option<String>,
    if_range: Option<String>,
}

/// Reads one request head; None at the end of the connection.
fn read_request(stream: &mut impl Read, pending: &mut Vec<u8>) -> Option<Request> {
    loop {
        if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).to_string();
            pending.drain(..end + 4);
            let mut lines = head.split("\r\n");
            let request_line = lines.next()?;
            let path = request_line.split(' ').nth(1)?.to_string();
            let headers: Vec<&str> = lines.collect();
            let header = |name: &str| {
                headers.iter().find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case(name)
                        .then(|| v.trim().to_string())
                })
            };
            return Some(Request {
                path,
                range: header("range"),
                if_range: header("if-range"),
            });
        }
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => pending.extend_from_slice(&chunk[..n]),
        }
        if pending.len() > 1 << 16 {
            return None;
        }
    }
}

/// `bytes=a-b,c-,-n` → clipped ranges; Err(()) when one starts past the end.
fn parse_ranges(spec: &str, len: u64) -> Option<Result<Vec<(u64, u64)>, ()>> {
    let list = spec.trim().strip_prefix("bytes=")?;
    let mut out = Vec::new();
    for item in list.split(',') {
        let (a, b) = item.trim().split_once('-')?;
        let (start, end) = if a.is_empty() {
            let n: u64 = b.parse().ok()?;
            (len.saturating_sub(n), len)
        } else {
            let a: u64 = a.parse().ok()?;
            let end = if b.is_empty() {
                len
            } else {
                (b.parse::<u64>().ok()? + 1).min(len)
            };
            (a, end)
        };
        if start >= len {
            return Some(Err(()));
        }
        out.push((start, end));
    }
    Some(Ok(out))
}

fn serve_requests(stream: &mut (impl Read + Write), s: &Shared) {
    let mut pending = Vec::new();
    while let Some(req) = read_request(stream, &mut pending) {
        s.requests.fetch_add(1, Ordering::SeqCst);
        s.ranges
            .lock()
            .unwrap()
            .push(req.range.clone().unwrap_or_else(|| "-".into()));
        let mode = *s.mode.lock().unwrap();
        if mode.silent {
            std::thread::sleep(Duration::from_secs(60));
            return;
        }
        if !mode.latency.is_zero() {
            std::thread::sleep(mode.latency);
        }
        if take_one(&s.busy_next) {
            let body = b"busy";
            if respond(stream, "503 Service Unavailable", &[], body, false).is_err() {
                return;
            }
            continue;
        }
        if let Some(rest) = req.path.strip_prefix("/moved") {
            let location = format!("Location: {rest}");
            if respond(stream, "302 Found", &[location], b"", false).is_err() {
                return;
            }
            continue;
        }
        let file = s.files.lock().unwrap().get(&req.path).cloned();
        let Some((file, tag)) = file else {
            if respond(stream, "404 Not Found", &[], b"no such file", false).is_err() {
                return;
            }
            continue;
        };
        let len = file.len() as u64;
        let cut = take_one(&s.cut_next);
        // `If-Range` with another tag: the range is ignored, the whole (new) file is sent.
        let stale = req.if_range.as_deref().is_some_and(|t| t != tag);
        let ranges = match req.range.as_deref() {
            Some(spec) if !mode.ignore_range && !stale => parse_ranges(spec, len),
            _ => None,
        };
        let etag = format!("ETag: {tag}");
        let result = match ranges {
            None => respond(stream, "200 OK", &[etag], &file, cut),
            Some(Ok(_)) if mode.whole_as_206 => respond(
                stream,
                "206 Partial Content",
                &[etag, format!("Content-Range: bytes 0-{}/{len}", len - 1)],
                &file,
                cut,
            ),
            Some(Err(())) => respond(
                stream,
                "416 Range Not Satisfiable",
                &[format!("Content-Range: bytes */{len}")],
                b"",
                false,
            ),
            Some(Ok(r)) if r.len() > 1 && mode.multi == Multi::Whole => {
                respond(stream, "200 OK", &[etag], &file, cut)
            }
            Some(Ok(r)) if r.len() == 1 || mode.multi == Multi::FirstOnly => {
                let (a, b) = r[0];
                let cr = match mode.content_range {
                    Some(v) => v.to_string(),
                    None => format!("bytes {a}-{}/{len}", b - 1),
                };
                respond(
                    stream,
                    "206 Partial Content",
                    &[etag, format!("Content-Range: {cr}")],
                    &file[a as usize..b as usize],
                    cut,
                )
            }
            Some(Ok(r)) => {
                let boundary = "3d6b6a416f9b5";
                let mut body = Vec::new();
                for (a, b) in r {
                    body.extend_from_slice(
                        format!(
                            "\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\n\
                             Content-Range: bytes {a}-{}/{len}\r\n\r\n",
                            b - 1
                        )
                        .as_bytes(),
                    );
                    body.extend_from_slice(&file[a as usize..b as usize]);
                }
                body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
                respond(
                    stream,
                    "206 Partial Content",
                    &[
                        etag,
                        format!("Content-Type: multipart/byteranges; boundary={boundary}"),
                    ],
                    &body,
                    cut,
                )
            }
        };
        if result.is_err() || cut {
            return;
        }
    }
}

fn take_one(counter: &AtomicUsize) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

/// Writes a response; `cut`: only half the body, then the connection ends.
fn respond(
    stream: &mut impl Write,
    status: &str,
    headers: &[String],
    body: &[u8],
    cut: bool,
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\n",
        body.len()
    );
    if !headers.iter().any(|h| h.starts_with("Content-Type")) {
        head.push_str("Content-Type: application/octet-stream\r\n");
    }
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if cut {
        stream.write_all(&body[..body.len() / 2])?;
        stream.flush()?;
        return Err(std::io::Error::other("cut on purpose"));
    }
    stream.write_all(body)?;
    stream.flush()
}

/// A CA and a server certificate for 127.0.0.1 and localhost, signed by it: (server config,
/// the CA certificate in PEM).
pub fn tls_config() -> (Arc<rustls::ServerConfig>, String) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "anac test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::from_params(&ca_params, &ca_key);
    let leaf_key = KeyPair::generate().expect("server key");
    let mut leaf_params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("server params");
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "anac test server");
    let leaf = leaf_params
        .signed_by(&leaf_key, &issuer)
        .expect("server certificate");
    let key = rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der())
        .expect("server key DER");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .expect("server TLS config");
    (Arc::new(config), ca_cert.pem())
}
