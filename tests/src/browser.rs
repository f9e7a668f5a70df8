//! Drives a real headless Chromium (Debian's `chromium`, never a downloaded one) over the
//! Chrome DevTools Protocol: navigate, evaluate JavaScript, wait for a condition, take
//! screenshots. Just enough of CDP for the pages' end-to-end tests.

use anyhow::{Context as _, bail};
use base64::Engine as _;
use futures::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The Chromium binary: `CHROMIUM_BIN`, else the usual Debian/Ubuntu names.
pub fn chromium_binary() -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var("CHROMIUM_BIN") {
        return Ok(PathBuf::from(path));
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|path| path.exists())
    .context("Chromium is not installed (apt-get install chromium), or set CHROMIUM_BIN")
}

/// A browser with one page open.
pub struct Browser {
    child: Child,
    page: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    profile: PathBuf,
}

impl Browser {
    /// Starts headless Chromium with a fresh profile and attaches to its page.
    pub async fn launch() -> anyhow::Result<Browser> {
        let profile =
            std::env::temp_dir().join(format!("ai-admin-chromium-{}", rand::random::<u64>()));
        let mut child = Command::new(chromium_binary()?)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-quic",
                "--disable-sync",
                "--no-first-run",
                "--remote-debugging-port=0",
                "--window-size=1000,1100",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("Failed to start Chromium")?;
        let stderr = child.stderr.take().context("no stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let browser_url = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    return Ok::<_, anyhow::Error>(url.trim().to_owned());
                }
            }
            bail!("Chromium exited before opening DevTools")
        })
        .await
        .context("Chromium did not start within 30 s")??;
        // Keep draining stderr so Chromium never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

        let port = browser_url
            .split(':')
            .nth(2)
            .and_then(|rest| rest.split('/').next())
            .context("unexpected DevTools URL")?;
        let targets: Value = reqwest::get(format!("http://127.0.0.1:{port}/json/list"))
            .await?
            .json()
            .await?;
        let page_url = targets
            .as_array()
            .and_then(|targets| targets.iter().find(|t| t["type"] == "page"))
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .context("Chromium has no page target")?
            .to_owned();
        let (page, _) = tokio_tungstenite::connect_async(page_url).await?;
        let mut browser = Browser {
            child,
            page,
            next_id: 0,
            profile,
        };
        browser.call("Page.enable", json!({})).await?;
        browser.call("Runtime.enable", json!({})).await?;
        Ok(browser)
    }

    /// Sends one CDP command and returns its result.
    pub async fn call(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let request = json!({ "id": id, "method": method, "params": params });
        self.page
            .send(Message::Text(request.to_string().into()))
            .await?;
        let response = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(message) = self.page.next().await {
                if let Message::Text(text) = message? {
                    let value: Value = serde_json::from_str(&text)?;
                    if value["id"] == id {
                        return Ok::<_, anyhow::Error>(value);
                    }
                }
            }
            bail!("Chromium closed the DevTools connection")
        })
        .await
        .with_context(|| format!("{method} got no answer"))??;
        if let Some(error) = response.get("error") {
            bail!("{method} failed: {error}");
        }
        Ok(response["result"].clone())
    }

    /// Opens `url` and waits for the document to load.
    pub async fn open(&mut self, url: &str) -> anyhow::Result<()> {
        self.call("Page.navigate", json!({ "url": url })).await?;
        self.wait_for(
            "document.readyState === 'complete'",
            Duration::from_secs(15),
        )
        .await
    }

    /// Evaluates JavaScript (promises awaited) and returns the value.
    pub async fn eval(&mut self, expression: &str) -> anyhow::Result<Value> {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await?;
        if let Some(exception) = result.get("exceptionDetails") {
            bail!("JavaScript failed: {exception}");
        }
        Ok(result["result"]["value"].clone())
    }

    /// Polls `expression` every 20 ms until it is truthy.
    pub async fn wait_for(&mut self, expression: &str, timeout: Duration) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let value = self.eval(&format!("Boolean({expression})")).await?;
            if value == Value::Bool(true) {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                bail!("timed out after {timeout:?} waiting for {expression}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Saves a PNG screenshot of the page.
    pub async fn screenshot(&mut self, path: &Path) -> anyhow::Result<()> {
        let result = self
            .call("Page.captureScreenshot", json!({ "format": "png" }))
            .await?;
        let data = result["data"].as_str().context("no screenshot data")?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(data)?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes)?;
        Ok(())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
