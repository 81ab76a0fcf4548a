//! Embeds `migrations/*.sql` of the repository into the binary, so that `devhub db migrate`
//! works from any directory. A build script (rather than a macro) makes cargo rebuild when a
//! migration is added, not only when one changes.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dir = manifest.join("../../migrations");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "sql"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out = String::from("&[\n");
    for path in files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 file name");
        let abs = path.canonicalize().expect("migration path");
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            abs.display().to_string()
        )
        .expect("writing to a String cannot fail");
    }
    out.push(']');
    let target =
        PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("migrations.rs");
    std::fs::write(target, out).expect("write migrations.rs");
}
