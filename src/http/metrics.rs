//! Prometheus metrics (`METRICS_ADDR`): what each request asked and got, how
//! long it took, the database pool and database failures, served as text on
//! a listener of their own, never on the app's port.
//!
//! The registry belongs to one [`Metrics`], not to the process: each
//! application (and each test's) counts only its own requests.

use std::net::TcpListener;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{App, HttpResponse, HttpServer, web};
use prometheus::core::Collector;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use super::DbErrorKind;
use crate::database::{Database, GroupCommits, PoolStatus};

/// The `route` of a request no route matched: its path would make a new
/// series per URL anyone cares to try.
pub const UNMATCHED: &str = "unmatched";

/// From a millisecond to ten seconds: pages take a few milliseconds, a search
/// at its budget (`QUERY_TIMEOUT_MS`) two seconds, a wait for a connection up
/// to fifteen.
const DURATION_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0,
];

/// The registry and the metrics the middleware updates. A new one is one
/// field and one line in [`Metrics::new`] (e.g. sign-in failures:
/// `sign_in_failures: counter(&registry, "sign_in_failures_total", "…")?`),
/// then `metrics.sign_in_failures.inc()` where it happens.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    durations: HistogramVec,
    db_errors: IntCounterVec,
}

impl Metrics {
    pub fn new() -> prometheus::Result<Self> {
        let registry = Registry::new();
        let requests = register(
            &registry,
            IntCounterVec::new(
                Opts::new("http_requests_total", "HTTP requests answered"),
                &["route", "method", "status"],
            )?,
        )?;
        let durations = register(
            &registry,
            HistogramVec::new(
                HistogramOpts::new(
                    "http_request_duration_seconds",
                    "Time to answer an HTTP request, up to its response head",
                )
                .buckets(DURATION_BUCKETS.to_vec()),
                &["route", "method"],
            )?,
        )?;
        let db_errors = register(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "db_errors_total",
                    "Requests answered with a database failure, by kind",
                ),
                &["kind"],
            )?,
        )?;
        // Every kind from the start: a rate needs the zero before the first.
        for kind in DbErrorKind::ALL {
            db_errors.with_label_values(&[kind.label()]);
        }
        Ok(Self {
            registry,
            requests,
            durations,
            db_errors,
        })
    }

    fn observe(&self, route: &str, method: &Method, status: u16, started: Instant) {
        let method = method_label(method);
        let mut status_text = [0; 3];
        self.requests
            .with_label_values(&[route, method, status_label(status, &mut status_text)])
            .inc();
        self.durations
            .with_label_values(&[route, method])
            .observe(started.elapsed().as_secs_f64());
    }

    /// Everything, in the Prometheus text format, the pool as it is now,
    /// and on SQLite how its writes were grouped into commits.
    pub fn render(
        &self,
        pool: PoolStatus,
        groups: Option<GroupCommits>,
    ) -> prometheus::Result<String> {
        let mut families = self.registry.gather();
        families.extend(pool_families(pool)?);
        if let Some(groups) = groups {
            families.extend(group_commit_families(groups)?);
        }
        families.sort_by(|a, b| a.name().cmp(b.name()));
        let mut text = Vec::new();
        TextEncoder::new().encode(&families, &mut text)?;
        String::from_utf8(text).map_err(|err| prometheus::Error::Msg(err.to_string()))
    }
}

fn register<T: Collector + Clone + 'static>(
    registry: &Registry,
    metric: T,
) -> prometheus::Result<T> {
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

/// The pool's metrics, made afresh from what the pool says at each scrape.
fn pool_families(pool: PoolStatus) -> prometheus::Result<Vec<prometheus::proto::MetricFamily>> {
    let connections = IntGaugeVec::new(
        Opts::new(
            "db_pool_connections",
            "Pooled database connections, by state",
        ),
        &["state"],
    )?;
    connections
        .with_label_values(&["in_use"])
        .set(pool.in_use.into());
    connections
        .with_label_values(&["idle"])
        .set(pool.idle.into());
    let max = IntGauge::new(
        "db_pool_max_connections",
        "The most connections the pool opens (DATABASE_POOL_SIZE)",
    )?;
    max.set(pool.max.into());
    let waiting = IntGauge::new(
        "db_pool_waiting",
        "Requests waiting for a pooled connection now",
    )?;
    waiting.set(i64::try_from(pool.waiting).unwrap_or(i64::MAX));
    let timeouts = IntCounter::new(
        "db_pool_timeouts_total",
        "Requests that waited the pool's whole timeout for a connection",
    )?;
    timeouts.inc_by(pool.timed_out);
    let checkouts = IntCounter::new(
        "db_pool_checkouts_total",
        "Connections handed out: one per trip to the database",
    )?;
    checkouts.inc_by(pool.checkouts);
    Ok([
        connections.collect(),
        max.collect(),
        waiting.collect(),
        timeouts.collect(),
        checkouts.collect(),
    ]
    .concat())
}

/// SQLite's group commit: writes per commit is the one divided by the other.
fn group_commit_families(
    groups: GroupCommits,
) -> prometheus::Result<Vec<prometheus::proto::MetricFamily>> {
    let commits = IntCounter::new(
        "db_write_groups_total",
        "Transactions of grouped writes ended (SQLite's group commit)",
    )?;
    commits.inc_by(groups.commits);
    let writes = IntCounter::new(
        "db_grouped_writes_total",
        "Writes run in those transactions",
    )?;
    writes.inc_by(groups.writes);
    Ok([commits.collect(), writes.collect()].concat())
}

/// The standard methods by name; anything else is one label, `other`.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    KNOWN
        .iter()
        .find(|known| *known == method)
        .map_or("other", |known| known.as_str())
}

/// The status code as text, without allocating (it is always three digits).
fn status_label(status: u16, text: &mut [u8; 3]) -> &str {
    let digits = [status / 100 % 10, status / 10 % 10, status % 10];
    for (byte, digit) in text.iter_mut().zip(digits) {
        *byte = b'0' + digit as u8;
    }
    std::str::from_utf8(text).unwrap_or("000")
}

/// `/{id:\d+}/edit/` as people write it: `/{id}/edit/`.
fn without_regexes(pattern: String) -> String {
    if !pattern.contains(':') {
        return pattern;
    }
    let mut plain = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        plain.push(c);
        if c != '{' {
            continue;
        }
        // The segment's name, then its regex (which may hold braces) is skipped.
        for c in chars.by_ref() {
            if c == ':' {
                let mut depth = 1;
                for c in chars.by_ref() {
                    depth += match c {
                        '{' => 1,
                        '}' => -1,
                        _ => 0,
                    };
                    if depth == 0 {
                        break;
                    }
                }
                plain.push('}');
                break;
            }
            plain.push(c);
            if c == '}' {
                break;
            }
        }
    }
    plain
}

/// Counts every request, outermost, so refused hosts, 404s and errors count
/// too. `route` is the pattern that matched (`/{id}/edit/`), never the path.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let Some(metrics) = req.app_data::<web::Data<Metrics>>().cloned() else {
        return next.call(req).await;
    };
    let route = req.match_pattern().map(without_regexes);
    let route = route.as_deref().unwrap_or(UNMATCHED);
    let method = req.method().clone();
    let result = next.call(req).await;
    let (status, db_error) = match &result {
        Ok(res) => (res.status(), DbErrorKind::of(res.response())),
        Err(err) => (err.as_response_error().status_code(), None),
    };
    metrics.observe(route, &method, status.as_u16(), started);
    if let Some(kind) = db_error {
        metrics.db_errors.with_label_values(&[kind.label()]).inc();
    }
    result
}

/// The metrics server: `GET /metrics` on `listener`, nothing else. One
/// worker (a scrape every few seconds needs no more), no signal handling of
/// its own: the application stops it after its main server.
pub fn serve(
    listener: TcpListener,
    metrics: web::Data<Metrics>,
    database: web::Data<Database>,
) -> std::io::Result<Server> {
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(metrics.clone())
            .app_data(database.clone())
            .route("/metrics", web::get().to(scrape))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run())
}

async fn scrape(metrics: web::Data<Metrics>, database: web::Data<Database>) -> HttpResponse {
    match metrics.render(database.pool_status(), database.group_commits()) {
        Ok(text) => HttpResponse::Ok()
            .content_type(TextEncoder::new().format_type())
            .body(text),
        Err(err) => {
            tracing::error!("cannot render the metrics: {err}");
            HttpResponse::InternalServerError().finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_are_three_digits() {
        let mut text = [0; 3];
        assert_eq!(status_label(200, &mut text), "200");
        assert_eq!(status_label(404, &mut text), "404");
        assert_eq!(status_label(503, &mut text), "503");
    }

    #[test]
    fn route_patterns_lose_their_regexes() {
        for (pattern, plain) in [
            ("/", "/"),
            ("/{id:\\d+}/edit/", "/{id}/edit/"),
            ("/api/students/{id}", "/api/students/{id}"),
            ("/static/{path:.*}", "/static/{path}"),
            ("/{y:\\d{4}}/{m:\\d{2}}/", "/{y}/{m}/"),
        ] {
            assert_eq!(without_regexes(pattern.to_owned()), plain);
        }
    }

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(
            method_label(&Method::from_bytes(b"BREW").expect("a method")),
            "other"
        );
    }

    #[test]
    fn renders_the_text_format_with_every_metric() {
        let metrics = Metrics::new().expect("the metrics");
        metrics.observe("/{id}/", &Method::GET, 200, Instant::now());
        let text = metrics
            .render(
                PoolStatus {
                    in_use: 1,
                    idle: 2,
                    max: 8,
                    waiting: 0,
                    timed_out: 3,
                    checkouts: 12,
                },
                Some(GroupCommits {
                    commits: 4,
                    writes: 10,
                }),
            )
            .expect("the text");
        for line in [
            "# TYPE http_requests_total counter",
            r#"http_requests_total{method="GET",route="/{id}/",status="200"} 1"#,
            r#"http_request_duration_seconds_bucket{method="GET",route="/{id}/",le="+Inf"} 1"#,
            r#"db_errors_total{kind="not_saved"} 0"#,
            r#"db_pool_connections{state="in_use"} 1"#,
            r#"db_pool_connections{state="idle"} 2"#,
            "db_pool_max_connections 8",
            "db_pool_waiting 0",
            "db_pool_timeouts_total 3",
            "db_pool_checkouts_total 12",
            "db_write_groups_total 4",
            "db_grouped_writes_total 10",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
        }
    }
}
