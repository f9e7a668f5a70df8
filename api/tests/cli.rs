//! The `ai-admin` binary's start-up contract: a missing or invalid variable stops it
//! with one line naming that variable and a failing exit code; dev surfaces never go
//! live (production refuses the simulated WhatsApp, which mounts `/dev/*`, and a
//! deployment that configures real secrets must say what it is).

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

/// Kills the child when the test ends, whatever happens.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn simulate_gemini_serves_generate_content_on_the_given_port() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let _simulator = Running(
        Command::new(env!("CARGO_BIN_EXE_ai-admin"))
            .args(["simulate", "gemini", "--port", &port.to_string()])
            .env_clear()
            .env("GEMINI_API_KEY", "cli-test-key")
            .current_dir(std::env::temp_dir())
            .spawn()
            .expect("run ai-admin"),
    );
    let url = format!("http://127.0.0.1:{port}/v1beta/models/gemini-2.5-flash:generateContent");
    let body = serde_json::json!({
        "contents": [{ "role": "user", "parts": [{ "text": "Сколько стоит маникюр?" }] }],
        "generationConfig": { "responseMimeType": "application/json" },
    });
    let http = reqwest::Client::new();
    let mut answer = None;
    for _ in 0..100 {
        match http
            .post(&url)
            .header("x-goog-api-key", "cli-test-key")
            .json(&body)
            .send()
            .await
        {
            Ok(response) => {
                answer = Some(response);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    let answer = answer.expect("the simulator started");
    assert_eq!(answer.status(), 200);
    let json: serde_json::Value = answer.json().await.unwrap();
    let text = json["candidates"][0]["content"]["parts"][0]["text"]
        .as_str()
        .unwrap();
    assert!(text.contains("SHOW_PRICES"), "{text}");
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
