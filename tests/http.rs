//! Reading ROOT files over HTTP(S) (`src/io/http.rs`) against a test server (`http_server/`):
//! every value read remotely equals the local read; opening a file and reading one cluster takes
//! few round trips (counted, never timed); misbehaving servers give errors that name the URL,
//! never a panic, a hang or short data.
//!
//! Tests that need `../shared/data` fail under `CI=true` when it is missing and skip otherwise.

mod http_server;

use anac::io::http::{
    HttpErrorKind, HttpFile, HttpOptions, HttpStats, check_scheme, is_remote, open_root,
};
use anac::io::root::{ByteSource, Column, RootFile, Tree};
use http_server::{Mode, Multi, Server};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const HZZ: &str = "uproot-HZZ-zlib.root";
const NANO: &str = "nanoAOD_2015_CMS_Open_Data_ttbar.root";
const AGC: &str = "agc-small/ttbar__nominal__0000.root";

/// A shared `HttpFile` as a byte source, so a test keeps a handle for `stats()` and `prefetch`.
struct Shared(Arc<HttpFile>);

impl ByteSource for Shared {
    fn size(&self) -> u64 {
        self.0.size()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        self.0.read_at(offset, buf)
    }
    fn prefetch(&self, ranges: &[Range<u64>]) {
        self.0.prefetch(ranges)
    }
}

fn data() -> Option<PathBuf> {
    anac::testing::shared_data()
}

/// A server holding the given shared-data files (served under their file names).
fn serve(dir: &Path, files: &[&str], tls: Option<Arc<rustls::ServerConfig>>) -> Server {
    let server = Server::start(tls);
    for f in files {
        let bytes = std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("reading {f}: {e}"));
        server.put(name(f), bytes);
    }
    server
}

fn name(f: &str) -> &str {
    f.rsplit('/').next().unwrap_or(f)
}

/// Options for tests: short backoff and timeouts so failing cases end quickly.
fn quick() -> HttpOptions {
    HttpOptions {
        backoff: Duration::from_millis(5),
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(30),
        ..HttpOptions::default()
    }
}

fn open_remote(url: &str, opts: HttpOptions) -> (RootFile, Arc<HttpFile>) {
    let http = Arc::new(HttpFile::open_with(url, opts).unwrap_or_else(|e| panic!("{e}")));
    let root = RootFile::from_source(PathBuf::from(url), Box::new(Shared(http.clone())))
        .unwrap_or_else(|e| panic!("{e}"));
    (root, http)
}

/// Every listed branch (all when `branches` is empty) read remotely equals the local read.
/// Returns how many branches were compared.
fn same_as_local(local: &Path, remote: &RootFile, tree: &str, branches: &[&str]) -> usize {
    let lf = RootFile::open(local).unwrap_or_else(|e| panic!("{e}"));
    let lt = lf.tree(tree).unwrap_or_else(|e| panic!("{e}"));
    let rt = remote.tree(tree).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lt.entries(), rt.entries());
    let names: Vec<String> = if branches.is_empty() {
        lt.branches().iter().map(|b| b.name.clone()).collect()
    } else {
        branches.iter().map(|b| b.to_string()).collect()
    };
    let n = lt.entries();
    for b in &names {
        let want = lt.read(&lf, b, 0..n);
        let got = rt.read(remote, b, 0..n);
        match (want, got) {
            (Ok(w), Ok(g)) => assert!(same(&w, &g), "branch `{b}` differs over HTTP"),
            (Err(_), Err(_)) => {}
            (w, g) => panic!("branch `{b}`: local {:?}, remote {:?}", w.err(), g.err()),
        }
    }
    names.len()
}

/// Equal columns, NaN included (`==` would call two NaN columns different).
fn same(a: &Column, b: &Column) -> bool {
    a == b || format!("{a:?}") == format!("{b:?}")
}

/// The byte ranges of the baskets of `branches` that overlap `cluster` (embedded baskets live
/// in the tree metadata and need no read).
fn cluster_ranges(tree: &Tree, branches: &[String], cluster: &Range<u64>) -> Vec<Range<u64>> {
    let mut out = Vec::new();
    for b in branches {
        let Some(info) = tree.branch(b) else { continue };
        for k in &info.baskets {
            if !k.embedded && k.entry_start < cluster.end && k.entry_stop > cluster.start {
                out.push(k.seek..k.seek + k.bytes as u64);
            }
        }
    }
    out
}

/// Opens `url`, prefetches the first cluster of `branches` (all readable ones when empty) and
/// reads them; returns the stats.
fn open_and_read_one_cluster(
    url: &str,
    tree: &str,
    branches: &[&str],
    opts: HttpOptions,
) -> HttpStats {
    let (root, http) = open_remote(url, opts);
    let t = root.tree(tree).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<String> = if branches.is_empty() {
        t.branches()
            .iter()
            .filter(|b| b.kind.is_ok())
            .map(|b| b.name.clone())
            .collect()
    } else {
        branches.iter().map(|b| b.to_string()).collect()
    };
    let cluster = t.clusters().into_iter().next().expect("a cluster");
    http.prefetch(&cluster_ranges(&t, &names, &cluster));
    let after_prefetch = http.stats();
    for b in &names {
        t.read(&root, b, cluster.clone())
            .unwrap_or_else(|e| panic!("{b}: {e}"));
    }
    let end = http.stats();
    assert_eq!(
        after_prefetch.requests, end.requests,
        "{url}: reading the prefetched cluster sent requests"
    );
    end
}

const NANO_BRANCHES: &[&str] = &[
    "run",
    "luminosityBlock",
    "event",
    "nMuon",
    "Muon_pt",
    "Muon_eta",
    "Muon_phi",
    "Muon_charge",
    "nJet",
    "Jet_pt",
    "Jet_eta",
    "Jet_btagCSVV2",
    "MET_pt",
    "HLT_IsoMu17_eta2p1",
];

const AGC_BRANCHES: &[&str] = &[
    "nJet",
    "Jet_pt",
    "Jet_eta",
    "Jet_phi",
    "Jet_mass",
    "Jet_btagCSVV2",
    "nMuon",
    "Muon_pt",
    "Muon_eta",
    "nElectron",
    "Electron_pt",
    "genWeight",
];

#[test]
fn every_hzz_branch_over_http_equals_the_local_read() {
    let Some(dir) = data() else { return };
    let server = serve(&dir, &[HZZ], None);
    let (root, http) = open_remote(&server.url(HZZ), quick());
    let n = same_as_local(&dir.join(HZZ), &root, "events", &[]);
    assert!(n >= 50, "only {n} branches");
    assert!(http.stats().bytes <= std::fs::metadata(dir.join(HZZ)).map_or(0, |m| m.len()) * 2);
}

#[test]
fn nanoaod_and_agc_branches_over_http_equal_the_local_read() {
    let Some(dir) = data() else { return };
    let server = serve(&dir, &[NANO, AGC], None);
    let (root, _) = open_remote(&server.url(NANO), quick());
    same_as_local(&dir.join(NANO), &root, "Events", NANO_BRANCHES);
    let (root, _) = open_remote(&server.url(name(AGC)), quick());
    same_as_local(&dir.join(AGC), &root, "Events", AGC_BRANCHES);
}

#[test]
fn https_with_a_ca_given_in_the_options() {
    let Some(dir) = data() else { return };
    let (tls, ca_pem) = http_server::tls_config();
    let server = serve(&dir, &[HZZ, AGC], Some(tls));
    let opts = HttpOptions {
        root_certs_pem: vec![ca_pem.into_bytes()],
        ..quick()
    };
    let (root, _) = open_remote(&server.url(HZZ), opts.clone());
    same_as_local(&dir.join(HZZ), &root, "events", &[]);
    let (root, _) = open_remote(&server.url(name(AGC)), opts);
    same_as_local(&dir.join(AGC), &root, "Events", AGC_BRANCHES);
    // Without the CA the certificate is refused, and the error names the URL.
    let err = HttpFile::open_with(&server.url(HZZ), quick()).unwrap_err();
    assert!(err.to_string().contains(&server.url(HZZ)), "{err}");
}

#[test]
fn https_with_the_ca_bundle_environment_variable() {
    let Some(dir) = data() else { return };
    let (tls, ca_pem) = http_server::tls_config();
    let server = serve(&dir, &[HZZ], Some(tls));
    let bundle = std::env::temp_dir().join(format!("anac-test-ca-{}.pem", std::process::id()));
    std::fs::write(&bundle, ca_pem).expect("writing the CA bundle");
    // SAFETY: this is the only test of this binary that reads or writes the variable.
    unsafe { std::env::set_var(anac::io::http::CA_BUNDLE_ENV, &bundle) };
    let root = open_root(&server.url(HZZ));
    unsafe { std::env::remove_var(anac::io::http::CA_BUNDLE_ENV) };
    let _ = std::fs::remove_file(&bundle);
    let root = root.unwrap_or_else(|e| panic!("{e}"));
    same_as_local(
        &dir.join(HZZ),
        &root,
        "events",
        &["Muon_Px", "NMuon", "EventWeight"],
    );
}

/// Round trips of opening + one cluster, for each file and each kind of server; printed for the
/// record and bounded.
#[test]
fn open_and_one_cluster_take_at_most_six_round_trips() {
    let Some(dir) = data() else { return };
    let server = serve(&dir, &[HZZ, NANO, AGC], None);
    let cases: [(&str, &str, &[&str]); 4] = [
        (HZZ, "events", &[]),
        (NANO, "Events", NANO_BRANCHES),
        (AGC, "Events", AGC_BRANCHES),
        (AGC, "Events", &[]),
    ];
    for multi in [Multi::Parts, Multi::FirstOnly, Multi::Whole] {
        server.set_mode(Mode {
            multi,
            latency: Duration::from_millis(20),
            ..Mode::default()
        });
        for (file, tree, branches) in cases {
            let s = open_and_read_one_cluster(&server.url(name(file)), tree, branches, quick());
            println!(
                "{multi:?} {file} ({} branches): {} round trips, {} requests, {} bytes",
                if branches.is_empty() {
                    "all".to_string()
                } else {
                    branches.len().to_string()
                },
                s.round_trips,
                s.requests,
                s.bytes
            );
            assert!(s.round_trips <= 6, "{multi:?} {file}: {s:?}");
            assert_eq!(s.retries, 0);
        }
    }
}

/// Small blocks and a gap limit of zero force many ranges: the multi-range request must carry
/// them, and a server without multi-range gets them in parallel.
#[test]
fn a_prefetch_of_many_ranges_uses_one_multi_range_request_or_parallel_ones() {
    let Some(dir) = data() else { return };
    let server = serve(&dir, &[AGC], None);
    let opts = HttpOptions {
        first_block: 4096,
        block_size: 4096,
        max_gap: 0,
        ..quick()
    };
    let (root, http) = open_remote(&server.url(name(AGC)), opts.clone());
    let t = root.tree("Events").unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<String> = AGC_BRANCHES.iter().map(|s| s.to_string()).collect();
    let ranges = cluster_ranges(&t, &names, &(0..t.entries()));
    assert!(ranges.len() >= 10);
    let before = http.stats();
    let headers_before = server.range_headers().len();
    http.prefetch(&ranges);
    let after = http.stats();
    assert_eq!(after.round_trips - before.round_trips, 1, "{after:?}");
    let sent = server.range_headers()[headers_before..].to_vec();
    assert!(sent.iter().any(|h| h.matches(',').count() >= 5), "{sent:?}");
    assert_eq!(http.multi_range_supported(), Some(true));
    same_as_local(&dir.join(AGC), &root, "Events", AGC_BRANCHES);
    assert_eq!(
        http.stats().requests,
        after.requests,
        "reads after the prefetch sent requests: {:?}",
        &server.range_headers()[headers_before..]
    );

    // Few ranges per request: several multi-range requests, sent in parallel.
    let few = HttpOptions {
        max_ranges_per_request: 4,
        ..opts.clone()
    };
    let (root, http) = open_remote(&server.url(name(AGC)), few);
    root.tree("Events").unwrap_or_else(|e| panic!("{e}"));
    let before = http.stats();
    http.prefetch(&ranges);
    let after = http.stats();
    // The ranges as the prefetch sends them: touching ones merged (the gap limit is 0).
    let mut sorted = ranges.clone();
    sorted.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<u64>> = Vec::new();
    for r in sorted {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    let groups = (merged.len() as u64).div_ceil(4);
    assert!(groups >= 2, "{merged:?}");
    assert!(after.requests - before.requests >= groups, "{after:?}");
    assert!(
        after.round_trips - before.round_trips <= groups.div_ceil(6),
        "{after:?}"
    );
    same_as_local(&dir.join(AGC), &root, "Events", AGC_BRANCHES);
    assert_eq!(http.stats().requests, after.requests);

    server.set_mode(Mode {
        multi: Multi::FirstOnly,
        ..Mode::default()
    });
    let (root, http) = open_remote(&server.url(name(AGC)), opts);
    root.tree("Events").unwrap_or_else(|e| panic!("{e}"));
    let before = http.stats();
    http.prefetch(&ranges);
    let after = http.stats();
    assert_eq!(http.multi_range_supported(), Some(false));
    // One multi-range try, then single ranges six at a time.
    let waves = 1 + (ranges.len() as u64).div_ceil(6);
    assert!(
        after.round_trips - before.round_trips <= waves + 1,
        "{after:?}"
    );
    same_as_local(&dir.join(AGC), &root, "Events", AGC_BRANCHES);
    assert_eq!(http.stats().requests, after.requests);
}

/// Random reads from many threads, through a small cache, equal the file's bytes.
#[test]
fn random_reads_from_many_threads_equal_the_file() {
    use rayon::prelude::*;
    let Some(dir) = data() else { return };
    let server = serve(&dir, &[AGC], None);
    let local = std::fs::read(dir.join(AGC)).expect("read");
    let opts = HttpOptions {
        first_block: 1000,
        block_size: 3000,
        cache_bytes: 50_000,
        max_gap: 500,
        ..quick()
    };
    let http = HttpFile::open_with(&server.url(name(AGC)), opts).unwrap_or_else(|e| panic!("{e}"));
    let size = local.len() as u64;
    (0..2000u64).into_par_iter().for_each(|i| {
        let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x1234_5678;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let off = next() % size;
        let len = (next() % 20_000).min(size - off);
        if i % 7 == 0 {
            let ranges: Vec<Range<u64>> = (0..5)
                .map(|_| {
                    let a = next() % size;
                    a..(a + next() % 4000).min(size)
                })
                .collect();
            http.prefetch(&ranges);
        }
        let mut buf = vec![0u8; len as usize];
        http.read_at(off, &mut buf)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            buf[..] == local[off as usize..(off + len) as usize],
            "bytes {off}..{} differ",
            off + len
        );
    });
}

#[test]
fn many_threads_read_one_file_at_once() {
    use rayon::prelude::*;
    let Some(dir) = data() else { return };
    let server = serve(&dir, &[AGC], None);
    let opts = HttpOptions {
        block_size: 16 << 10,
        cache_bytes: 256 << 10,
        ..quick()
    };
    let (root, http) = open_remote(&server.url(name(AGC)), opts);
    let local = RootFile::open(dir.join(AGC)).unwrap_or_else(|e| panic!("{e}"));
    let lt = local.tree("Events").unwrap_or_else(|e| panic!("{e}"));
    let rt = root.tree("Events").unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<String> = lt
        .branches()
        .iter()
        .filter(|b| b.kind.is_ok())
        .take(200)
        .map(|b| b.name.clone())
        .collect();
    let n = lt.entries();
    names.par_iter().for_each(|b| {
        let w = lt.read(&local, b, 0..n).unwrap_or_else(|e| panic!("{e}"));
        let g = rt.read(&root, b, 0..n).unwrap_or_else(|e| panic!("{e}"));
        assert!(same(&w, &g), "branch `{b}` differs");
    });
    assert_eq!(http.stats().retries, 0);
}

#[test]
fn a_server_ignoring_range_is_refused_unless_the_file_is_small() {
    let Some(dir) = data() else { return };
    let server = serve(&dir, &[HZZ, AGC], None);
    server.set_mode(Mode {
        ignore_range: true,
        ..Mode::default()
    });
    let url = server.url(name(AGC));
    let err = HttpFile::open_with(&url, quick()).unwrap_err();
    assert!(
        matches!(err.kind, HttpErrorKind::RangeIgnored { .. }),
        "{err}"
    );
    assert!(err.to_string().contains(&url), "{err}");
    assert!(err.to_string().contains("ignores range requests"), "{err}");
    // A small file is kept whole: one request, then everything from memory.
    let (root, http) = open_remote(&server.url(HZZ), quick());
    same_as_local(&dir.join(HZZ), &root, "events", &[]);
    assert_eq!(http.stats().requests, 1);
}

#[test]
fn cut_connections_are_retried() {
    let Some(dir) = data() else { return };
    let server = serve(&dir, &[AGC], None);
    server
        .shared
        .cut_next
        .store(3, std::sync::atomic::Ordering::SeqCst);
    let (root, http) = open_remote(&server.url(name(AGC)), quick());
    same_as_local(&dir.join(AGC), &root, "Events", AGC_BRANCHES);
    assert!(http.stats().retries >= 3, "{:?}", http.stats());
    // Cut bodies in a multi-range answer too.
    let (root, http) = open_remote(&server.url(name(AGC)), quick());
    let t = root.tree("Events").unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<String> = AGC_BRANCHES.iter().map(|s| s.to_string()).collect();
    server
        .shared
        .cut_next
        .store(2, std::sync::atomic::Ordering::SeqCst);
    http.prefetch(&cluster_ranges(&t, &names, &(0..t.entries())));
    assert!(http.stats().retries >= 2, "{:?}", http.stats());
    same_as_local(&dir.join(AGC), &root, "Events", AGC_BRANCHES);
}

#[test]
fn a_503_then_success_is_retried_and_a_lasting_one_is_an_error() {
    let Some(dir) = data() else { return };
    let server = serve(&dir, &[HZZ], None);
    server
        .shared
        .busy_next
        .store(2, std::sync::atomic::Ordering::SeqCst);
    let (root, http) = open_remote(&server.url(HZZ), quick());
    assert_eq!(http.stats().retries, 2);
    same_as_local(&dir.join(HZZ), &root, "events", &["NMuon", "Muon_Px"]);

    server
        .shared
        .busy_next
        .store(100, std::sync::atomic::Ordering::SeqCst);
    let opts = HttpOptions {
        retries: 2,
        ..quick()
    };
    let url = server.url(HZZ);
    let err = HttpFile::open_with(&url, opts).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(&url) && msg.contains("503") && msg.contains("3 attempts"),
        "{msg}"
    );
}

/// Storage endpoints (EOS, dCache) redirect reads to a disk server: the Range header follows.
#[test]
fn redirects_keep_the_range() {
    let Some(dir) = data() else { return };
    let server = serve(&dir, &[HZZ], None);
    let url = server.url(&format!("moved/{HZZ}"));
    let (root, http) = open_remote(&url, quick());
    same_as_local(&dir.join(HZZ), &root, "events", &[]);
    // Reads widen mostly forward (a small read fetches to the end of its block), so the
    // metadata at the end of the file takes a request more than whole-block widening did; each
    // byte is still fetched once.
    let st = http.stats();
    assert!(st.requests <= 4, "{st:?}");
    assert!(
        st.bytes <= std::fs::metadata(dir.join(HZZ)).map_or(0, |m| m.len()),
        "{st:?}"
    );
    assert!(
        server
            .range_headers()
            .iter()
            .all(|h| h.starts_with("bytes="))
    );
}

#[test]
fn a_missing_file_is_an_error_naming_the_url() {
    let server = Server::start(None);
    let url = server.url("nothing-here.root");
    let err = HttpFile::open_with(&url, quick()).unwrap_err();
    assert!(
        matches!(err.kind, HttpErrorKind::Status { status: 404, .. }),
        "{err}"
    );
    assert!(err.to_string().contains(&url), "{err}");
    // Not retried.
    assert_eq!(server.requests(), 1);
    let err = open_root(&url).unwrap_err();
    assert!(err.to_string().contains(&url), "{err}");
    assert!(err.to_string().contains("404"), "{err}");
}

#[test]
fn a_file_that_changes_size_while_read_is_an_error() {
    let Some(dir) = data() else { return };
    let server = serve(&dir, &[AGC], None);
    let url = server.url(name(AGC));
    let opts = HttpOptions {
        block_size: 16 << 10,
        ..quick()
    };
    let (root, _http) = open_remote(&url, opts);
    let t = root.tree("Events").unwrap_or_else(|e| panic!("{e}"));
    let mut grown = std::fs::read(dir.join(AGC)).expect("reading the AGC file");
    grown.extend_from_slice(&[0u8; 1000]);
    server.put(name(AGC), grown);
    let err = t.read(&root, "Jet_pt", 0..t.entries()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&url) && msg.contains("changed"), "{msg}");
}

#[test]
fn an_unreachable_or_silent_server_ends_in_an_error_not_a_hang() {
    // A port with no server behind it.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let url = format!("http://127.0.0.1:{port}/f.root");
    let opts = HttpOptions {
        retries: 1,
        ..quick()
    };
    let err = HttpFile::open_with(&url, opts).unwrap_err();
    assert!(err.to_string().contains(&url), "{err}");

    // A server that accepts and never answers: the read timeout ends it.
    let server = Server::start(None);
    server.set_mode(Mode {
        silent: true,
        ..Mode::default()
    });
    let url = server.url("f.root");
    let opts = HttpOptions {
        retries: 1,
        read_timeout: Duration::from_millis(300),
        ..quick()
    };
    let err = HttpFile::open_with(&url, opts).unwrap_err();
    assert!(
        matches!(err.kind, HttpErrorKind::Transport { attempts: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains(&url), "{err}");
}

#[test]
fn schemes() {
    assert!(is_remote("https://eospublic.cern.ch//eos/x.root"));
    assert!(is_remote("http://localhost/x.root"));
    assert!(!is_remote("/data/x.root") && !is_remote("root://eos//x.root"));
    assert!(check_scheme("https://h/x.root").is_ok());
    let err = open_root("root://eospublic.cern.ch//eos/opendata/x.root").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("root://eospublic.cern.ch//eos/opendata/x.root"),
        "{msg}"
    );
    assert!(
        msg.contains(
            "XRootD (root://) is not supported yet; use the storage's HTTPS endpoint \
             (https://host/path), which most XRootD servers also serve"
        ),
        "{msg}"
    );
}

#[test]
fn reads_past_the_end_fail_and_never_return_short_data() {
    let Some(dir) = data() else { return };
    let server = serve(&dir, &[HZZ], None);
    let http = HttpFile::open_with(&server.url(HZZ), quick()).unwrap_or_else(|e| panic!("{e}"));
    let size = http.size();
    assert_eq!(
        size,
        std::fs::metadata(dir.join(HZZ)).map_or(0, |m| m.len())
    );
    let mut buf = vec![0u8; 100];
    assert!(http.read_at(size - 50, &mut buf).is_err());
    assert!(http.read_at(u64::MAX - 10, &mut buf).is_err());
    http.read_at(size - 100, &mut buf)
        .unwrap_or_else(|e| panic!("{e}"));
    let local = std::fs::read(dir.join(HZZ)).expect("read");
    assert_eq!(&buf[..], &local[local.len() - 100..]);
}

/// `anac run` of the AGC analysis with every input served over HTTP (20 ms per request) fills
/// exactly the histograms of the local run, and its summary reports the requests.
#[test]
fn the_agc_analysis_over_http_equals_the_local_run() {
    let Some(dir) = data() else { return };
    let agc = dir.join("agc-small");
    let mut names: Vec<String> = std::fs::read_dir(&agc)
        .expect("agc-small")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".root"))
        .collect();
    names.sort();
    let server = Server::start(None);
    for n in &names {
        server.put(n, std::fs::read(agc.join(n)).expect("read an AGC file"));
    }
    server.set_mode(Mode {
        latency: Duration::from_millis(20),
        ..Mode::default()
    });
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let samples = std::fs::read_to_string(root.join("analyses/ttbar/samples.yaml"))
        .expect("the AGC samples file");
    let remote = samples.replace(
        "../../../shared/data/agc-small/",
        &format!("http://{}/", server.addr),
    );
    assert_ne!(remote, samples);
    let tmp = std::env::temp_dir().join(format!("anac-http-run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).expect("temp folder");
    std::fs::write(tmp.join("samples.yaml"), remote).expect("write the samples");
    let run = |out: &str, samples: Option<&Path>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_anac"));
        cmd.current_dir(&root).args([
            "run",
            "analyses/ttbar/ttbar.ana",
            "-o",
            tmp.join(out).to_str().expect("utf-8"),
        ]);
        if let Some(s) = samples {
            cmd.arg("--samples").arg(s);
        }
        let o = cmd.output().expect("anac runs");
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(o.status.success(), "anac run failed: {err}");
        err
    };
    let t0 = std::time::Instant::now();
    let _ = run("local", None);
    let local_secs = t0.elapsed().as_secs_f64();
    let t0 = std::time::Instant::now();
    let summary = run("remote", Some(&tmp.join("samples.yaml")));
    // Reported, not asserted: with 20 ms per request the run is bounded by round trips.
    eprintln!(
        "AGC-small: local run {local_secs:.2} s, over HTTP (20 ms per request) {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    let read = |d: &str| {
        std::fs::read_to_string(tmp.join(d).join("histograms.json")).expect("histograms.json")
    };
    assert_eq!(read("local"), read("remote"), "remote histograms differ");
    let line = summary
        .lines()
        .find(|l| l.starts_with("remote inputs:"))
        .unwrap_or_else(|| panic!("no remote-input line in the summary:\n{summary}"));
    eprintln!("{line}; the server saw {} requests", server.requests());
    assert!(server.requests() > 0);
    let _ = std::fs::remove_dir_all(&tmp);
}

/// An RNTuple read over HTTP: every field equals the local read, and opening it plus reading
/// its first cluster after a prefetch of that cluster's pages takes few round trips (and no
/// request while the prefetched cluster is read).
#[test]
fn an_rntuple_over_http_equals_the_local_read() {
    use anac::io::dataset::Dataset;
    let local =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/rntuple/types_zstd.root");
    let server = Server::start(None);
    server.put(
        "types.root",
        std::fs::read(&local).expect("the RNTuple test file"),
    );
    server.set_mode(Mode {
        latency: Duration::from_millis(20),
        ..Mode::default()
    });
    let (remote, http) = open_remote(&server.url("types.root"), quick());
    let rset = Dataset::open(&remote, "t").unwrap_or_else(|e| panic!("{e}"));
    let lf = RootFile::open(&local).unwrap_or_else(|e| panic!("{e}"));
    let lset = Dataset::open(&lf, "t").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rset.format(), "RNTuple");
    let schema = lset.schema();
    let mut names: Vec<String> = schema.branches.iter().map(|b| b.branch.clone()).collect();
    names.extend(
        schema
            .collections
            .iter()
            .flat_map(|c| c.fields.iter().map(|f| f.branch.clone())),
    );
    let first = rset.clusters()[0].clone();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    remote.prefetch(&rset.byte_ranges(&refs, first.clone()));
    let before = http.stats();
    for n in &names {
        let want = lset
            .read(&lf, n, first.clone())
            .unwrap_or_else(|e| panic!("{e}"));
        let got = rset
            .read(&remote, n, first.clone())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(same(&want, &got), "field `{n}` differs over HTTP");
    }
    let after = http.stats();
    assert_eq!(
        after.requests, before.requests,
        "reading a prefetched cluster sent requests"
    );
    assert!(after.round_trips <= 6, "{after:?}");
    eprintln!(
        "RNTuple open + one cluster of {} fields: {after:?}",
        names.len()
    );
    // The whole file, every cluster.
    let n = lset.entries();
    for name in &names {
        let want = lset.read(&lf, name, 0..n).unwrap_or_else(|e| panic!("{e}"));
        let got = rset
            .read(&remote, name, 0..n)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(same(&want, &got), "field `{name}` differs over HTTP");
    }
}

/// A cluster far larger than the cache (here the whole 2.5 MB AGC file against a 256 KiB
/// cache), prefetched and read as the engine does: the prefetch is cut to a share of the cache,
/// the rest is read on demand, and nothing is downloaded twice.
#[test]
fn a_cluster_larger_than_the_cache_is_downloaded_once() {
    let Some(dir) = data() else { return };
    let server = serve(&dir, &[AGC], None);
    let size = std::fs::metadata(dir.join(AGC)).map_or(0, |m| m.len());
    let opts = HttpOptions {
        block_size: 32 << 10,
        cache_bytes: 256 << 10,
        ..quick()
    };
    let (root, http) = open_remote(&server.url(name(AGC)), opts);
    let local = RootFile::open(dir.join(AGC)).unwrap_or_else(|e| panic!("{e}"));
    let lt = local.tree("Events").unwrap_or_else(|e| panic!("{e}"));
    let rt = root.tree("Events").unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = rt
        .branches()
        .iter()
        .filter(|b| b.kind.is_ok())
        .map(|b| b.name.as_str())
        .collect();
    let clusters = rt.clusters();
    let biggest = clusters
        .iter()
        .map(|c| {
            rt.byte_ranges(&names, c.clone())
                .iter()
                .map(|r| r.end - r.start)
                .sum::<u64>()
        })
        .max()
        .unwrap_or(0);
    assert!(
        biggest > 4 * (256 << 10),
        "the biggest cluster holds only {biggest} bytes"
    );
    for c in &clusters {
        root.prefetch(&rt.byte_ranges(&names, c.clone()));
        for b in &names {
            let w = lt.read(&local, b, c.clone());
            let g = rt.read(&root, b, c.clone());
            match (w, g) {
                (Ok(w), Ok(g)) => assert!(same(&w, &g), "branch `{b}` differs"),
                (Err(_), Err(_)) => {}
                (w, g) => panic!("branch `{b}`: local {:?}, remote {:?}", w.err(), g.err()),
            }
        }
    }
    let st = http.stats();
    eprintln!("file {size} bytes, biggest cluster {biggest} bytes: {st:?}");
    assert!(
        st.bytes * 10 <= size * 11,
        "{} bytes received for a {size}-byte file ({st:?})",
        st.bytes
    );
}

/// A file replaced by other bytes of the same size while it is read: the server's `ETag`
/// changed, so the range requests (sent with `If-Range`) get the whole new file, `200`: an
/// error naming the URL, never old metadata mixed with new baskets.
#[test]
fn a_file_that_changes_but_keeps_its_size_is_an_error() {
    let Some(dir) = data() else { return };
    let server = serve(&dir, &[AGC], None);
    let url = server.url(name(AGC));
    let opts = HttpOptions {
        block_size: 16 << 10,
        ..quick()
    };
    let (root, _) = open_remote(&url, opts.clone());
    let http = HttpFile::open_with(&url, opts).unwrap_or_else(|e| panic!("{e}"));
    let t = root.tree("Events").unwrap_or_else(|e| panic!("{e}"));
    t.read(&root, "nJet", 0..t.entries())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut other = std::fs::read(dir.join(AGC)).expect("reading the AGC file");
    let n = other.len();
    other[n / 2..].reverse();
    server.put(name(AGC), other);
    let err = t.read(&root, "Jet_pt", 0..t.entries()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(&url) && msg.contains("the file changed while it was read"),
        "{msg}"
    );
    // The same through the byte source: the error's kind says so.
    let mut buf = vec![0u8; 1000];
    let err = http.read_at(http.size() / 2, &mut buf).unwrap_err();
    let kind = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<HttpErrorKind>());
    assert!(matches!(kind, Some(HttpErrorKind::Changed(_))), "{err}");
    assert!(
        server
            .range_headers()
            .iter()
            .skip(1)
            .all(|h| h.starts_with("bytes="))
    );
}

/// A server that answers every range request with the whole file as a `206`: refused before
/// its body is read, at opening and later.
#[test]
fn a_206_far_larger_than_asked_is_refused() {
    let Some(dir) = data() else { return };
    let server = serve(&dir, &[AGC], None);
    let url = server.url(name(AGC));
    server.set_mode(Mode {
        whole_as_206: true,
        ..Mode::default()
    });
    let err = HttpFile::open_with(&url, quick()).unwrap_err();
    assert!(matches!(err.kind, HttpErrorKind::Protocol(_)), "{err}");
    assert!(err.to_string().contains(&url), "{err}");
    assert!(err.to_string().contains("asked for bytes 0-65535"), "{err}");
    assert_eq!(server.requests(), 1, "a protocol error is not retried");

    server.set_mode(Mode::default());
    let http = HttpFile::open_with(&url, quick()).unwrap_or_else(|e| panic!("{e}"));
    let before = http.stats();
    server.set_mode(Mode {
        whole_as_206: true,
        ..Mode::default()
    });
    let mut buf = vec![0u8; 100];
    let err = http.read_at(http.size() / 2, &mut buf).unwrap_err();
    let kind = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<HttpErrorKind>());
    assert!(matches!(kind, Some(HttpErrorKind::Protocol(_))), "{err}");
    assert_eq!(http.stats().bytes, before.bytes, "the body was read");
    // Through the ROOT reader, the error names the URL once.
    let root = RootFile::from_source(PathBuf::from(&url), Box::new(http)).map(|_| ());
    if let Err(e) = root {
        assert_eq!(e.to_string().matches(&url).count(), 1, "{e}");
    }
}

/// Hostile `Content-Range` values (an end at `u64::MAX`, sizes that overflow) are protocol
/// errors, never a panic or a wrapped length.
#[test]
fn hostile_content_ranges_are_protocol_errors() {
    let server = Server::start(None);
    server.put("f.root", vec![7u8; 200_000]);
    let url = server.url("f.root");
    for cr in [
        "bytes 5-18446744073709551615/*",
        "bytes 0-18446744073709551615/*",
        "bytes 0-18446744073709551614/18446744073709551615",
        "bytes 18446744073709551615-18446744073709551615/*",
        "bytes 0-99/18446744073709551615",
    ] {
        server.set_mode(Mode {
            content_range: Some(cr),
            ..Mode::default()
        });
        let err = HttpFile::open_with(&url, quick()).unwrap_err();
        assert!(
            matches!(err.kind, HttpErrorKind::Protocol(_)),
            "{cr}: {err}"
        );
        assert!(err.to_string().contains(&url), "{err}");
    }
}

/// A remote file that cannot be read says to check the address and the server, not the file's
/// permissions.
#[test]
fn network_errors_suggest_checking_the_address() {
    let server = Server::start(None);
    let url = server.url("nothing-here.root");
    let err = open_root(&url).unwrap_err();
    let help = err.diagnostic().help.unwrap_or_default();
    assert!(
        help.contains("address") && help.contains("server"),
        "{help}"
    );
    assert!(!help.contains("permissions"), "{help}");
    assert_eq!(err.to_string().matches(&url).count(), 1, "{err}");
}
