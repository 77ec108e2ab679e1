//! Output failures never panic: a closed pipe ends the output quietly (the exit code is the
//! command's own), a full disk is an I/O error (exit 2). Every command that prints is covered.

use std::process::{Command, Stdio};

fn anac() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_anac"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// The commands under test: each prints something on stdout or stderr.
const COMMANDS: &[&[&str]] = &[
    &["explain", "--list"],
    &["explain", "sema::unknown-field"],
    &[
        "check",
        "analyses/ttbar/ttbar.ana",
        "--samples",
        "analyses/ttbar/toy.yaml",
        "--format",
        "json",
    ],
    &["check", "tests/ui/invalid/unknown_name.ana"],
    &[
        "ir",
        "analyses/ttbar/ttbar.ana",
        "--samples",
        "analyses/ttbar/toy.yaml",
    ],
    &["inspect", "analyses/ttbar/toy/wjets__nominal__0000.root"],
];

#[test]
fn a_full_disk_is_exit_2_never_a_panic() {
    if !std::path::Path::new("/dev/full").exists() {
        eprintln!("skipping: no /dev/full on this system");
        return;
    }
    for args in COMMANDS {
        for on_stderr in [false, true] {
            let full = std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .expect("/dev/full opens");
            let mut c = anac();
            c.args(*args);
            if on_stderr {
                c.stderr(full).stdout(Stdio::null());
            } else {
                c.stdout(full).stderr(Stdio::null());
            }
            let status = c.status().expect("anac runs");
            let wrote = if on_stderr { "stderr" } else { "stdout" };
            // A command may print nothing on one of the streams; then its own code stands.
            assert_ne!(
                status.code(),
                Some(101),
                "{args:?} panicked with {wrote} full"
            );
            assert!(
                status.code().is_some(),
                "{args:?} died by a signal with {wrote} full"
            );
        }
    }
    // explain --list certainly writes to stdout: its failure is an I/O error.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full opens");
    let s = anac()
        .args(["explain", "--list"])
        .stdout(full)
        .status()
        .expect("runs");
    assert_eq!(s.code(), Some(2));
}

#[test]
fn a_closed_pipe_ends_output_quietly() {
    for args in COMMANDS {
        let mut child = anac()
            .args(*args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("anac runs");
        // Close both ends at once: every write meets a broken pipe.
        drop(child.stdout.take());
        drop(child.stderr.take());
        let status = child.wait().expect("anac ends");
        assert_ne!(
            status.code(),
            Some(101),
            "{args:?} panicked on a closed pipe"
        );
        assert_ne!(
            status.code(),
            Some(2),
            "{args:?} reported a closed pipe as an error"
        );
    }
}
