//! schemathesis against the real binary: every operation of the OpenAPI document, every check
//! (response schemas, status codes, negative and positive data, unsupported methods, stateful
//! links), a fixed seed and a bounded number of examples. Any failure fails the test.
//!
//! `scripts/test` installs the pinned schemathesis and sets `SCHEMATHESIS` to its `st`. Without
//! it the test is skipped with a message, except under `CI`, where it fails.
#![allow(clippy::unwrap_used)]

mod e2e;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use e2e::Server;

/// The seed and the examples per operation: about half a minute on two cores.
const SEED: &str = "20250101";
const MAX_EXAMPLES: &str = "40";

/// One HTTP/1.1 request over loopback: the head and the body.
fn request(address: &str, head: &str, body: &str) -> (String, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "{head}\r\nHost: {address}\r\nOrigin: http://{address}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.to_string(), body.to_string())
}

/// Registers a user and makes a personal access token on the settings page, as a user would.
fn token(address: &str) -> String {
    let form = "Content-Type: application/x-www-form-urlencoded";
    let (head, _) = request(
        address,
        &format!("POST /register HTTP/1.1\r\n{form}"),
        "username=schemathesis&password=correct-horse-battery",
    );
    assert!(head.starts_with("HTTP/1.1 303"), "{head}");
    let cookie = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, value)| value.trim())
        .find(|v| v.starts_with("auth-session="))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_string();
    let (head, page) = request(
        address,
        &format!("POST /settings/tokens HTTP/1.1\r\n{form}\r\nCookie: {cookie}"),
        "name=schemathesis&expires_in=",
    );
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let field = &page[page.find("id=\"new-token\"").unwrap()..];
    let value = &field[field.find("value=\"").unwrap() + 7..];
    value[..value.find('"').unwrap()].to_string()
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

#[test]
fn schemathesis_finds_nothing_in_any_operation() {
    let st = match std::env::var("SCHEMATHESIS") {
        Ok(st) if Path::new(&st).is_file() => st,
        other => {
            let message = format!(
                "schemathesis not found (SCHEMATHESIS={other:?}): scripts/test installs it"
            );
            assert!(!in_ci(), "{message}");
            eprintln!("SKIPPED: {message}");
            return;
        }
    };
    let server = Server::start();
    let address = server
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let token = token(&address);
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemathesis.toml");
    let reports = tempfile::tempdir().unwrap();
    let run = || {
        Command::new(&st)
            .args(["--config-file", config, "run"])
            .arg(format!("http://{address}/api/openapi.json"))
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--checks", "all"])
            .args(["--phases", "examples,coverage,fuzzing,stateful"])
            .args(["--mode", "all"])
            .args(["--seed", SEED, "--max-examples", MAX_EXAMPLES])
            .args(["--workers", "2", "--no-color"])
            .arg("--report-dir")
            .arg(reports.path())
            .current_dir(reports.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {st}: {e}"))
    };
    // CPython 3.11's `ast.parse` can fail when two threads call it at once ("AST constructor
    // recursion depth mismatch"): Hypothesis does, describing its filters, in schemathesis's two
    // workers. That error is the tool's own, reported against no answer of the API: such a run
    // is made again, once, and must then end clean like any other.
    let mut output = run();
    if String::from_utf8_lossy(&output.stdout).contains("AST constructor recursion depth mismatch")
        && !String::from_utf8_lossy(&output.stdout).contains("FAILURES")
    {
        eprintln!("schemathesis hit CPython's ast.parse race; running it again");
        output = run();
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "schemathesis failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    // Every operation was tested, each phase ran, and the run ended clean.
    // ("No issues found", or a warning such as an operation that kept answering 404 to the
    // data generated for it, which the run on a loaded machine sometimes reports: not a
    // failure.)
    let cases = stdout
        .lines()
        .skip_while(|l| !l.contains("Test cases:"))
        .nth(1)
        .unwrap_or_default();
    assert!(
        cases.contains("generated") && !cases.contains("fail") && !stdout.contains("FAILURES"),
        "{stdout}"
    );
    assert!(stdout.contains("Tested: 37"), "{stdout}");
    for phase in ["Coverage", "Fuzzing", "Stateful"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.contains('✅') && l.contains(phase)),
            "{phase} did not pass:\n{stdout}"
        );
    }
}
