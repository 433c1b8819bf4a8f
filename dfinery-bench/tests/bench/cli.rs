//! The report's command line: mistakes are refused before anything is measured.

use std::process::Command;

#[test]
fn an_output_file_that_cannot_be_written_is_refused_before_the_run() {
    let file = std::env::temp_dir().join(format!("dfinery-bench-notdir2-{}", std::process::id()));
    std::fs::write(&file, "not a folder").expect("a file");
    for flag in ["--json", "--markdown"] {
        let target = file.join("report.out");
        let output = Command::new(env!("CARGO_BIN_EXE_dfinery-bench"))
            .args(["--quick", "--only", "serialize", flag])
            .arg(&target)
            .output()
            .expect("the report runs");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        assert!(!output.status.success(), "{stdout}{stderr}");
        assert!(
            stderr.contains(&target.display().to_string()),
            "{flag}: {stderr}"
        );
        assert!(
            !stdout.contains("1. serialisation"),
            "{flag}: measured before refusing: {stdout}"
        );
    }
    let _ = std::fs::remove_file(&file);
}
