//! The Rust half of ward's mixed example: a worker that gets its database
//! password from `ward run`, as an environment variable and as a file in
//! $WARD_SECRETS_DIR, through the loader `ward codegen` generated from
//! ../ward.yaml (src/secrets.rs: the standard library only, checked against
//! the type postgres, printing as [redacted]), and prints it in the forms a
//! careless program might. Under `ward run` none of them reaches the log.
//!
//! With `--serve` it keeps running, as a service does, and reloads its
//! signing key when `ward run --watch` gives it a new one: ward replaces
//! $WARD_SECRETS_DIR/signing/key and sends SIGHUP, which the worker catches
//! through libc's signal(2) (std links libc; no crate is needed) and
//! answers by loading its secrets again.

mod secrets;

use std::io::Write;
use std::process;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

fn fnv64(s: &[u8]) -> u64 {
    let mut h: u64 = 14695981039346656037;
    for b in s {
        h ^= *b as u64;
        h = h.wrapping_mul(1099511628211);
    }
    h
}

fn base64(s: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in s.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn hex(s: &[u8]) -> String {
    s.iter().map(|b| format!("{:02x}", b)).collect()
}

fn json_escape(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// RELOAD is set by the SIGHUP handler and read by the main loop: an
/// atomic store is all a signal handler may safely do.
static RELOAD: AtomicBool = AtomicBool::new(false);

const SIGHUP: i32 = 1;

extern "C" {
    fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
}

extern "C" fn on_hup(_: i32) {
    RELOAD.store(true, Ordering::SeqCst);
}

fn print_signing_key(s: &secrets::Secrets) {
    match &s.signing_key_file {
        Some(k) => {
            let key = k.reveal();
            println!("worker: signing key {} bytes, fnv64 {:016x}: {}", key.len(), fnv64(key.as_bytes()), key);
        }
        None => println!("worker: no signing key"),
    }
}

/// serve runs until killed, loading the secrets again on each SIGHUP.
fn serve(first: secrets::Secrets) -> ! {
    print_signing_key(&first);
    loop {
        thread::sleep(Duration::from_millis(20));
        if RELOAD.swap(false, Ordering::SeqCst) {
            match secrets::Secrets::load() {
                Ok(s) => print_signing_key(&s),
                Err(e) => eprintln!("worker: keeping the secrets it has: {}", e),
            }
        }
    }
}

fn main() {
    let serving = std::env::args().nth(1).as_deref() == Some("--serve");
    if serving {
        // First of all, so that an early SIGHUP does not end the worker.
        // SAFETY: on_hup only stores to an atomic, which is async-signal-safe.
        unsafe {
            signal(SIGHUP, on_hup);
        }
    }
    let s = match secrets::Secrets::load() {
        Ok(s) => s,
        Err(e) => {
            // Names the variable or file, the field and the rule; never a value.
            eprintln!("worker: {}", e);
            process::exit(2);
        }
    };
    println!("worker: loaded {:?}", s); // sensitive values print as [redacted]
    let pw = s.db_password.reveal().clone();
    if s.db_password_file.reveal() != &pw {
        eprintln!("worker: $WARD_SECRETS_DIR/db/password does not hold the same password");
        process::exit(1);
    }
    let b = pw.as_bytes();
    println!("worker: received {} bytes, fnv64 {:016x}", b.len(), fnv64(b));
    println!("worker: plain {}", pw);
    println!("worker: base64 {}", base64(b));
    println!("worker: hex {}", hex(b));
    println!("worker: json {{\"password\":{}}}", json_escape(&pw));
    let mut err = std::io::stderr();
    let _ = write!(err, "worker: bytes ");
    for byte in b {
        let _ = err.write_all(&[*byte]);
        let _ = err.flush();
        thread::sleep(Duration::from_millis(1));
    }
    let _ = writeln!(err);
    println!("worker: the file agrees");
    // The job's own database user, made by ward run for this job and
    // dropped when it ends: its name says where it came from.
    let user = s.job_db_user.reveal();
    println!(
        "worker: job database user from role app: {}, password {} bytes",
        user.starts_with("v-staging-app-"),
        s.job_db_password.reveal().len()
    );
    if serving {
        serve(s);
    }
}
