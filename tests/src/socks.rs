//! A small real SOCKS5 proxy (RFC 1928 CONNECT, RFC 1929 username/password) for the
//! tests of `LLM_PROXY`: it records every destination it was asked for, so a test can
//! tell which traffic went through it and which went direct.

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// A running proxy; stops when dropped.
#[derive(Debug)]
pub struct Socks5Proxy {
    port: u16,
    credentials: Option<(String, String)>,
    destinations: Arc<Mutex<Vec<String>>>,
    accept: AbortHandle,
}

impl Drop for Socks5Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Socks5Proxy {
    /// Listens on a free local port; with `credentials`, only that user gets through.
    pub async fn start(credentials: Option<(&str, &str)>) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let credentials = credentials.map(|(u, p)| (u.to_owned(), p.to_owned()));
        let destinations = Arc::new(Mutex::new(Vec::new()));
        let accept = {
            let credentials = credentials.clone();
            let destinations = destinations.clone();
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    let credentials = credentials.clone();
                    let destinations = destinations.clone();
                    tokio::spawn(async move {
                        let _ = serve(client, credentials, destinations).await;
                    });
                }
            })
            .abort_handle()
        };
        Ok(Self {
            port,
            credentials,
            destinations,
            accept,
        })
    }

    /// `socks5h://[user:pass@]127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        match &self.credentials {
            Some((user, pass)) => format!("socks5h://{user}:{pass}@127.0.0.1:{}", self.port),
            None => format!("socks5h://127.0.0.1:{}", self.port),
        }
    }

    /// Every `host:port` a client connected to through the proxy, in order.
    pub fn destinations(&self) -> Vec<String> {
        self.destinations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

async fn serve(
    mut client: TcpStream,
    credentials: Option<(String, String)>,
    destinations: Arc<Mutex<Vec<String>>>,
) -> std::io::Result<()> {
    // Greeting: version 5, the methods the client offers.
    let mut head = [0u8; 2];
    client.read_exact(&mut head).await?;
    let mut methods = vec![0u8; usize::from(head[1])];
    client.read_exact(&mut methods).await?;
    let wanted = if credentials.is_some() { 0x02 } else { 0x00 };
    if head[0] != 5 || !methods.contains(&wanted) {
        client.write_all(&[5, 0xFF]).await?;
        return Ok(());
    }
    client.write_all(&[5, wanted]).await?;
    if let Some((user, pass)) = &credentials {
        let mut version_and_len = [0u8; 2];
        client.read_exact(&mut version_and_len).await?;
        let mut given_user = vec![0u8; usize::from(version_and_len[1])];
        client.read_exact(&mut given_user).await?;
        let mut pass_len = [0u8; 1];
        client.read_exact(&mut pass_len).await?;
        let mut given_pass = vec![0u8; usize::from(pass_len[0])];
        client.read_exact(&mut given_pass).await?;
        if given_user != user.as_bytes() || given_pass != pass.as_bytes() {
            client.write_all(&[1, 1]).await?;
            return Ok(());
        }
        client.write_all(&[1, 0]).await?;
    }
    // Request: version, command (1 = CONNECT), reserved, address type.
    let mut request = [0u8; 4];
    client.read_exact(&mut request).await?;
    let host = match request[3] {
        1 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip).await?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => {
            let mut len = [0u8; 1];
            client.read_exact(&mut len).await?;
            let mut name = vec![0u8; usize::from(len[0])];
            client.read_exact(&mut name).await?;
            String::from_utf8_lossy(&name).into_owned()
        }
        4 => {
            let mut ip = [0u8; 16];
            client.read_exact(&mut ip).await?;
            format!("[{}]", std::net::Ipv6Addr::from(ip))
        }
        _ => {
            client.write_all(&[5, 8, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
            return Ok(());
        }
    };
    let mut port = [0u8; 2];
    client.read_exact(&mut port).await?;
    let destination = format!("{host}:{}", u16::from_be_bytes(port));
    if request[1] != 1 {
        client.write_all(&[5, 7, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
        return Ok(());
    }
    destinations
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(destination.clone());
    let Ok(mut upstream) = TcpStream::connect(&destination).await else {
        // 5 = connection refused.
        client.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
        return Ok(());
    };
    client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}
