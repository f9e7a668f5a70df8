//! The `ai-admin` binary's start-up contract: a missing or invalid variable stops it
//! with one line naming that variable and a failing exit code.

use std::process::Command;

fn serve_with(vars: &[(&str, &str)]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ai-admin"))
        .arg("serve")
        .env_clear()
        // No .env from the repository may leak in.
        .current_dir(std::env::temp_dir())
        .envs(vars.iter().copied())
        .output()
        .expect("run ai-admin");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn serve_without_a_database_url_names_it_in_one_line() {
    let (code, stderr) = serve_with(&[]);
    assert_eq!(code, 1);
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
}

#[test]
fn serve_in_production_without_secrets_names_the_first_missing_one() {
    let (code, stderr) = serve_with(&[
        ("APP_ENV", "production"),
        ("DATABASE_URL", "postgres://ai:hunter2@db/ai_admin"),
    ]);
    assert_eq!(code, 1);
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("JWT_SECRET"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "no secret echoed: {stderr}");
}

#[test]
fn serve_with_an_invalid_port_names_it() {
    let (code, stderr) = serve_with(&[
        ("DATABASE_URL", "postgres://localhost/ai_admin"),
        ("PORT", "seventy"),
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("PORT"), "{stderr}");
}
