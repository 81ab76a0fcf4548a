//! Real servers for the reminder tests: an SMTP sink (Python's aiosmtpd, run as a child
//! process from `smtp_sink.py`).
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// How the sink answers (the flags of smtp_sink.py).
#[derive(Debug, Clone, Copy)]
pub enum SinkMode {
    Accept,
    Tempfail,
    Permfail,
    Stall,
}

/// smtp_sink.py running on 127.0.0.1; killed when dropped.
pub struct SmtpSink {
    pub port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

/// The Python that runs the sink: `SMTP_SINK_PYTHON` (scripts/test sets it to the virtualenv
/// it installs aiosmtpd into) or `python3`.
pub fn python() -> String {
    std::env::var("SMTP_SINK_PYTHON")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".to_string())
}

impl SmtpSink {
    pub fn start(mode: SinkMode) -> SmtpSink {
        let python = python();
        let check = Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .output();
        match check {
            Ok(out) if out.status.success() => {}
            other => panic!(
                "the SMTP tests need Python's aiosmtpd, and `{python} -c 'import aiosmtpd'` failed \
                 ({}). Install it: `pip install aiosmtpd` (scripts/test installs it into a \
                 virtualenv and sets SMTP_SINK_PYTHON), or point SMTP_SINK_PYTHON at a Python \
                 that has it.",
                match other {
                    Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_string(),
                    Err(e) => e.to_string(),
                }
            ),
        }
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let flag = match mode {
            SinkMode::Accept => "--accept",
            SinkMode::Tempfail => "--tempfail",
            SinkMode::Permfail => "--permfail",
            SinkMode::Stall => "--stall",
        };
        let mut child = Command::new(&python)
            .arg(&script)
            .arg(dir.path())
            .arg(flag)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {python} {}: {e}", script.display()));
        // The first line is the port, printed once the server listens.
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = match line.trim().parse() {
            Ok(port) => port,
            Err(_) => {
                let _ = child.kill();
                let mut stderr = String::new();
                child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut stderr)
                    .unwrap();
                let _ = child.wait();
                panic!("smtp_sink.py did not start (printed {line:?}): {stderr}");
            }
        };
        SmtpSink { port, child, dir }
    }

    /// The SMTP_URL of this sink (no TLS: a local test server).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    /// The messages received so far, in order, as raw bytes.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        paths.sort();
        paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
