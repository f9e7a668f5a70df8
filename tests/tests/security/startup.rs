//! Dev surfaces never go live: production refuses the simulated WhatsApp (which mounts
//! `/dev/*`), and a deployment that configures real secrets must say what it is.

use ai_admin_tests::ai_admin_binary;
use std::process::Command;

fn serve_with(vars: &[(&str, &str)]) -> (i32, String) {
    let output = Command::new(ai_admin_binary())
        .arg("serve")
        .env_clear()
        .current_dir(std::env::temp_dir())
        .envs(vars.iter().copied())
        .output()
        .expect("run ai-admin");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

const DATABASE: (&str, &str) = ("DATABASE_URL", "postgres://ai:hunter2@127.0.0.1:1/ai_admin");

#[test]
fn production_with_the_simulated_whatsapp_refuses_to_start_in_one_line() {
    let (code, stderr) = serve_with(&[
        DATABASE,
        ("APP_ENV", "production"),
        ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ("YCLIENTS_PARTNER_TOKEN", "real-partner-token"),
        ("YCLIENTS_APP_ID", "42"),
        ("WHATSAPP_MODE", "simulator"),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("WHATSAPP_MODE"), "{stderr}");
    for secret in ["hunter2", "real-partner-token", "0123456789abcdef"] {
        assert!(!stderr.contains(secret), "no secret echoed: {stderr}");
    }
}

#[test]
fn real_secrets_without_app_env_refuse_to_start_on_development_rules() {
    let (code, stderr) = serve_with(&[DATABASE, ("YCLIENTS_PARTNER_TOKEN", "real-partner-token")]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("APP_ENV"), "{stderr}");
    assert!(!stderr.contains("real-partner-token"), "{stderr}");
}

#[test]
fn a_bad_duration_is_a_one_line_error_never_a_panic() {
    for bad in ["24ч", "2", "99999999999999999999d"] {
        let (code, stderr) = serve_with(&[DATABASE, ("REMINDER_OFFSETS", bad)]);
        assert_eq!(code, 1, "{bad}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{bad}: {stderr}");
        assert!(stderr.contains("REMINDER_OFFSETS"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
