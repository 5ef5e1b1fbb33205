//! The Rust half of ward's mixed example: a worker that gets its database
//! password from `ward run`, as an environment variable and as a file in
//! $WARD_SECRETS_DIR, through the loader `ward codegen` generated from
//! ../ward.yaml (src/secrets.rs: the standard library only, checked against
//! the type postgres, printing as [redacted]), and prints it in the forms a
//! careless program might. Under `ward run` none of them reaches the log.

mod secrets;

use std::io::Write;
use std::process;
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

fn main() {
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
}
