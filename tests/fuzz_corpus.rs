//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) and the hand-written seeds
//! (`fuzz/seeds/<target>/`) through the same property checks the fuzz targets run
//! (`jetpack_partner_core::fuzzing`), so a regression on any input the fuzzer found fails a normal
//! `cargo test`.

use std::path::Path;

use jetpack_partner_core::fuzzing::{run_target, TARGETS};

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

#[test]
fn every_corpus_file_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    // Every corpus directory belongs to a known target.
    for kind in ["corpus", "seeds"] {
        if let Ok(entries) = std::fs::read_dir(root.join(kind)) {
            for entry in entries.filter_map(Result::ok) {
                let name = entry.file_name().to_string_lossy().into_owned();
                assert!(
                    TARGETS.iter().any(|(t, _)| *t == name),
                    "fuzz/{kind}/{name} is not a fuzz target"
                );
            }
        }
    }
    let mut replayed = 0;
    for (target, _) in TARGETS {
        let mut inputs = files(&root.join("seeds").join(target));
        assert!(!inputs.is_empty(), "fuzz/seeds/{target} has inputs");
        inputs.extend(files(&root.join("corpus").join(target)));
        for path in &inputs {
            let data = std::fs::read(path).expect("read a corpus file");
            let outcome = std::panic::catch_unwind(|| run_target(target, &data));
            match outcome {
                Ok(found) => assert!(found, "{target} is a target"),
                Err(_) => panic!(
                    "{target}: {} fails its properties (input {:?})",
                    path.display(),
                    String::from_utf8_lossy(&data)
                ),
            }
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} fuzz inputs");
}

/// The fuzz targets' binaries in `fuzz/fuzz_targets/` are exactly the targets listed by the library.
#[test]
fn fuzz_target_files_match_the_list() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
    let mut names: Vec<String> = files(&dir)
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    let mut listed: Vec<String> = TARGETS.iter().map(|(t, _)| t.to_string()).collect();
    listed.sort();
    assert_eq!(names, listed);
}
