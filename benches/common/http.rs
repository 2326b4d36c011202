//! What the HTTP benches share: a minimal keep-alive HTTP/1.1 client, a client runtime of its
//! own (so that clients do not take the server's workers), and the outcome of a load phase.
//! Only loopback traffic.

#![allow(dead_code, reason = "each bench uses the part it needs")]
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Longest one HTTP exchange may take.
pub const IO_TIMEOUT: Duration = Duration::from_mins(2);

/// Outcome of one load phase.
#[derive(Debug, Default, Clone)]
pub struct Load {
    pub requests: usize,
    pub rate: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Answers that found what was asked for (a grid, a stored write).
    pub hits: usize,
}

impl Load {
    pub fn from_latencies(mut latencies: Vec<Duration>, elapsed: Duration, hits: usize) -> Self {
        latencies.sort_unstable();
        let q = |f: f64| {
            latencies
                .get(((latencies.len() as f64 * f) as usize).min(latencies.len().saturating_sub(1)))
                .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
        };
        Self {
            requests: latencies.len(),
            rate: latencies.len() as f64 / elapsed.as_secs_f64(),
            p50_ms: q(0.50),
            p99_ms: q(0.99),
            hits,
        }
    }
}

impl Load {
    /// The rate and latencies as a report's cell: `1234/s (p50 5.1 ms, p99 9.9 ms)`.
    #[must_use]
    pub fn rate_cell(&self) -> String {
        format!(
            "{:.0}/s (p50 {:.1} ms, p99 {:.1} ms)",
            self.rate, self.p50_ms, self.p99_ms
        )
    }
}

impl std::fmt::Display for Load {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} requests, {:.0}/s, p50 {:.3} ms, p99 {:.3} ms, {} hits",
            self.requests, self.rate, self.p50_ms, self.p99_ms, self.hits
        )
    }
}

/// Runs `f` on a fresh one-thread runtime on a blocking thread, so that it does not take a
/// worker of the server's runtime.
pub async fn on_client_thread<T, F, Fut>(f: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = T>,
{
    tokio::task::spawn_blocking(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("the client runtime starts")
            .block_on(f())
    })
    .await
    .expect("the client thread panicked")
}

/// A minimal keep-alive HTTP/1.1 client: one request at a time on one connection.
pub struct Http {
    reader: BufReader<TcpStream>,
}

impl Http {
    pub async fn connect(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            reader: BufReader::with_capacity(256 * 1024, stream),
        })
    }

    /// Sends `head` (request line and headers, ending in an empty line) and `body`, and reads
    /// the whole response: status and body (content-length or chunked).
    pub async fn exchange(&mut self, head: &[u8], body: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
        tokio::time::timeout(IO_TIMEOUT, async {
            let stream = self.reader.get_mut();
            stream.write_all(head).await?;
            if !body.is_empty() {
                stream.write_all(body).await?;
            }
            self.read_response().await
        })
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "HTTP exchange timed out"))?
    }

    async fn read_line(&mut self, line: &mut String) -> std::io::Result<()> {
        line.clear();
        if self.reader.read_line(line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }

    async fn read_response(&mut self) -> std::io::Result<(u16, Vec<u8>)> {
        let bad =
            |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
        let mut line = String::new();
        self.read_line(&mut line).await?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("no status line"))?;
        let mut length: Option<usize> = None;
        let mut chunked = false;
        loop {
            self.read_line(&mut line).await?;
            if line == "\r\n" {
                break;
            }
            let Some((name, value)) = line.split_once(':') else {
                return Err(bad("malformed header"));
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse().map_err(|_| bad("bad content-length"))?);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            }
        }
        let mut body = Vec::new();
        if status == 204 || status == 304 {
            // No body, whatever the headers say (RFC 9110, 6.4.1).
            return Ok((status, body));
        }
        if chunked {
            loop {
                self.read_line(&mut line).await?;
                let size = line.trim().split(';').next().unwrap_or("");
                let size = usize::from_str_radix(size, 16).map_err(|_| bad("bad chunk size"))?;
                if size == 0 {
                    // Trailers, then the final empty line.
                    loop {
                        self.read_line(&mut line).await?;
                        if line == "\r\n" {
                            break;
                        }
                    }
                    break;
                }
                let start = body.len();
                body.resize(start + size, 0);
                self.reader.read_exact(&mut body[start..]).await?;
                let mut crlf = [0u8; 2];
                self.reader.read_exact(&mut crlf).await?;
            }
        } else {
            let length = length.ok_or_else(|| bad("neither content-length nor chunked"))?;
            body.resize(length, 0);
            self.reader.read_exact(&mut body).await?;
        }
        Ok((status, body))
    }
}

/// One request with a bearer `token` and a JSON `body` (empty for a GET).
pub fn request(method: &str, path: &str, token: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// An event reported at `p`, as the intake benches post it.
pub fn event_body(p: geo::Coord) -> String {
    format!(
        r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{},{}]}},"properties":{{"category":"theft","occurred_at":"2026-11-01T10:00:00Z","reported_at":"2026-11-01T10:05:00Z","status":"reported","source":"app"}}}}"#,
        p.x, p.y
    )
}

/// `requests(i)` from `clients` keep-alive connections, `per_client` each, on the client
/// runtime; `ok` tells a good answer.
pub async fn http_phase(
    addr: SocketAddr,
    clients: usize,
    per_client: usize,
    request: Arc<dyn Fn(usize) -> Vec<u8> + Send + Sync>,
    ok: fn(u16) -> bool,
) -> Load {
    paced_http_phase(addr, clients, per_client, None, request, ok).await
}

/// [`http_phase`], each client sending at most one request `every` (so that `clients` of them
/// offer `clients / every` requests a second) when given.
pub async fn paced_http_phase(
    addr: SocketAddr,
    clients: usize,
    per_client: usize,
    every: Option<Duration>,
    request: Arc<dyn Fn(usize) -> Vec<u8> + Send + Sync>,
    ok: fn(u16) -> bool,
) -> Load {
    on_client_thread(move || async move {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..clients {
            let request = request.clone();
            tasks.push(tokio::spawn(async move {
                let mut http = Http::connect(addr).await.expect("connect");
                let mut latencies = Vec::with_capacity(per_client);
                let mut good = 0;
                let mut pace = every.map(|every| {
                    let mut pace = tokio::time::interval(every);
                    pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    pace
                });
                for i in 0..per_client {
                    if let Some(pace) = pace.as_mut() {
                        pace.tick().await;
                    }
                    let head = request(c * per_client + i);
                    let t = Instant::now();
                    let (status, _) = http.exchange(&head, &[]).await.expect("an answer");
                    latencies.push(t.elapsed());
                    good += usize::from(ok(status));
                }
                (latencies, good)
            }));
        }
        let mut latencies = Vec::new();
        let mut good = 0;
        for t in tasks {
            let (l, g) = t.await.expect("client");
            latencies.extend(l);
            good += g;
        }
        Load::from_latencies(latencies, started.elapsed(), good)
    })
    .await
}
