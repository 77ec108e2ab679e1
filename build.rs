//! Embeds the diagnostic code pages of `docs/codes/*.md` so `anac explain CODE` works from the
//! binary alone. File `sema.unknown-field.md` documents code `anac::sema::unknown-field`.
use std::{env, fs, path::Path};

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/codes");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries = Vec::new();
    if let Ok(read) = fs::read_dir(&dir) {
        for entry in read.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("md") {
                continue;
            }
            println!("cargo:rerun-if-changed={}", path.display());
            let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            let code = format!("anac::{}", stem.replace('.', "::"));
            entries.push((code, path.display().to_string()));
        }
    }
    // A copy of the sources without the pages would silently ship an empty `anac explain`.
    if entries.is_empty() {
        panic!(
            "no diagnostic code pages found in {}: the build needs docs/codes/*.md",
            dir.display()
        );
    }
    entries.sort();
    let mut out = String::from(
        "/// (code, page) for every documented code, sorted by code.\npub static CODE_DOCS: &[(&str, &str)] = &[\n",
    );
    for (code, path) in entries {
        out.push_str(&format!("    ({code:?}, include_str!({path:?})),\n"));
    }
    out.push_str("];\n");
    let dest = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("code_docs.rs");
    fs::write(dest, out).expect("OUT_DIR is writable");
}
