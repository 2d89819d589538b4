//! The daemon as a process in the tests: a free port for its API, starting it on a
//! configuration, signals, and waiting for it to exit within a bound (killing it when it does
//! not, so no test leaves one behind).

use std::net::TcpListener;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `ketenpost run --config CONFIG`, its output discarded; killed when dropped.
pub struct RunningDaemon(pub Child);

impl RunningDaemon {
    /// Starts the daemon (it may not be listening yet).
    pub fn start(config: &str) -> Self {
        Self(
            Command::new(env!("CARGO_BIN_EXE_ketenpost"))
                .args(["run", "--config", config])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    }
}

impl Drop for RunningDaemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sends a signal (`-TERM`, `-9`, ...) with the shell's own `kill` (no procps needed).
pub fn signal(child: &Child, name: &str) {
    let status = Command::new("sh")
        .args(["-c", &format!("kill {name} {}", child.id())])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits until `child` exits; after `limit` it is killed and the test fails, saying `what`.
pub fn wait_exit(child: &mut Child, limit: Duration, what: &str) -> ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("the daemon did not exit within {limit:?}: {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
