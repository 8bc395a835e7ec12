//! A scenario of one exchange, as ureq-proto's client tests script theirs: a request and its
//! options, the answers of the service (responses, transport errors), of the credential
//! (tokens) and of a manual clock, run with [`Exchange::step`] to the end. The run keeps every
//! step the exchange asked for, every request it asked to send, and what it returned.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, StatusCode};

use crate::error::{Error, ErrorKind};
use crate::options::Options;
use crate::pipeline::{Attempt, Completion, Exchange, Request, RequestParts, ResponseHead, Step};
use crate::policies::auth::AccessToken;
use crate::time::Clock;

/// The wall-clock time scenarios start at (2023-11-14T22:13:20Z).
pub(super) const WALL_START: u64 = 1_700_000_000;

/// A clock that moves only when the exchange sleeps (or the scenario says so).
#[derive(Debug)]
pub(super) struct ManualClock {
    start: Instant,
    elapsed: Mutex<Duration>,
}

impl ManualClock {
    fn new() -> Self {
        ManualClock {
            start: Instant::now(),
            elapsed: Mutex::new(Duration::ZERO),
        }
    }

    fn advance(&self, d: Duration) {
        *self.elapsed.lock().unwrap() += d;
    }

    fn elapsed(&self) -> Duration {
        *self.elapsed.lock().unwrap()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + self.elapsed()
    }
    fn wall(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(WALL_START) + self.elapsed()
    }
}

/// What the service does with one attempt.
#[derive(Clone, Debug)]
pub(super) enum Reply {
    /// Answers with this status, headers and body.
    Response(u16, Vec<(&'static str, String)>, Bytes),
    /// The transport fails with an error of this kind.
    Fail(ErrorKind),
    /// The attempt takes this long on the clock, then the next reply answers it.
    Slow(Duration),
}

/// One call to script and run.
pub(super) struct Scenario {
    request: Request<Bytes>,
    options: Options,
    replies: VecDeque<Reply>,
    tokens: VecDeque<Result<AccessToken, Error>>,
}

impl Scenario {
    /// A call of `method` to `url`, with default options.
    pub(super) fn new(method: Method, url: &str) -> Self {
        Scenario {
            request: Request::new(method, url.parse().expect("a test URL")),
            options: Options::new(),
            replies: VecDeque::new(),
            tokens: VecDeque::new(),
        }
    }

    /// A GET of `url`.
    pub(super) fn get(url: &str) -> Self {
        Scenario::new(Method::GET, url)
    }

    /// The request's body.
    pub(super) fn body(mut self, body: &'static str) -> Self {
        self.request = self.request.with_body(Bytes::from_static(body.as_bytes()));
        self
    }

    /// A header on the caller's request.
    pub(super) fn header(mut self, name: &'static str, value: &str) -> Self {
        self.request = self.request.with_header(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).unwrap(),
        );
        self
    }

    /// The call's options.
    pub(super) fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// The request itself, for what the builders above do not cover.
    pub(super) fn map_request(mut self, f: impl FnOnce(Request<Bytes>) -> Request<Bytes>) -> Self {
        self.request = f(self.request);
        self
    }

    /// The next attempt is answered with `status` and no body.
    pub(super) fn reply(self, status: u16) -> Self {
        self.reply_with(status, &[], "")
    }

    /// The next attempt is answered with `status`, `headers` and `body`.
    pub(super) fn reply_with(
        mut self,
        status: u16,
        headers: &[(&'static str, &str)],
        body: &'static str,
    ) -> Self {
        let headers = headers.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        self.replies.push_back(Reply::Response(
            status,
            headers,
            Bytes::from_static(body.as_bytes()),
        ));
        self
    }

    /// The next attempt fails in the transport with `kind`.
    pub(super) fn fail(mut self, kind: ErrorKind) -> Self {
        self.replies.push_back(Reply::Fail(kind));
        self
    }

    /// The next attempt takes `d` before it is answered (by the reply scripted after this).
    pub(super) fn slow(mut self, d: Duration) -> Self {
        self.replies.push_back(Reply::Slow(d));
        self
    }

    /// The next token the credential gives (by default each is `token1`, `token2`... valid for
    /// an hour).
    pub(super) fn token(mut self, token: Result<AccessToken, Error>) -> Self {
        self.tokens.push_back(token);
        self
    }

    /// Runs the call to its end.
    ///
    /// # Panics
    ///
    /// When the exchange asks to send more attempts than were scripted, or never ends.
    pub(super) fn run(mut self) -> Run {
        let clock = ManualClock::new();
        let mut ex = Exchange::new(self.request, self.options);
        let mut run = Run {
            steps: Vec::new(),
            sent: Vec::new(),
            token_claims: Vec::new(),
            result: Err(Error::from(ErrorKind::Other)),
            elapsed: Duration::ZERO,
        };
        let mut body = Bytes::new();
        for _ in 0..1_000 {
            match ex.step(&clock) {
                Step::GetToken(asked) => {
                    run.steps.push("token".into());
                    run.token_claims.push(asked.claims);
                    let n = run.token_claims.len();
                    let token = self.tokens.pop_front().unwrap_or_else(|| {
                        Ok(AccessToken {
                            token: format!("token{n}"),
                            expires_on: clock.wall() + Duration::from_secs(3600),
                        })
                    });
                    ex.on_token(token);
                }
                Step::Send(Attempt {
                    request,
                    timeout,
                    resend_count,
                    ..
                }) => {
                    run.steps.push(format!("send {}", request.parts.method));
                    run.sent.push(Sent {
                        parts: request.parts,
                        body: request.body,
                        timeout,
                        resend_count,
                    });
                    let reply = loop {
                        match self.replies.pop_front() {
                            Some(Reply::Slow(d)) => clock.advance(d),
                            Some(reply) => break reply,
                            None => panic!("attempt {} was not scripted", run.sent.len()),
                        }
                    };
                    match reply {
                        Reply::Response(status, headers, b) => {
                            let mut head = ResponseHead::new(StatusCode::from_u16(status).unwrap());
                            head.received = clock.wall();
                            for (k, v) in headers {
                                head.headers.append(k, v.parse().unwrap());
                            }
                            body = b;
                            ex.on_response(head);
                        }
                        Reply::Fail(kind) => ex.on_transport_error(Error::new(kind, "injected")),
                        Reply::Slow(_) => unreachable!(),
                    }
                }
                Step::ReadBody { limit } => {
                    run.steps.push("read".into());
                    let n = body.len().min(limit);
                    ex.on_body(Ok(body.slice(..n)));
                }
                Step::Sleep(d) => {
                    run.steps.push(format!("sleep {d:?}"));
                    clock.advance(d);
                }
                Step::Done(result) => {
                    run.steps.push(match &result {
                        Ok(done) => format!("done {}", done.head.status.as_u16()),
                        Err(e) => format!("error {:?}", e.kind()),
                    });
                    run.result = result;
                    run.elapsed = clock.elapsed();
                    // The call is over: any further step is the driver's bug, said as such.
                    let Step::Done(Err(e)) = ex.step(&clock) else {
                        panic!("a step after the end")
                    };
                    assert!(e.to_string().contains("driver bug"), "{e}");
                    return run;
                }
            }
        }
        panic!("the exchange did not end");
    }
}

/// One request the exchange asked to send.
#[derive(Debug)]
pub(super) struct Sent {
    pub(super) parts: RequestParts,
    pub(super) body: Bytes,
    pub(super) timeout: Duration,
    pub(super) resend_count: u32,
}

impl Sent {
    /// The value of header `name`, if sent (and valid UTF-8).
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The URL sent.
    pub(super) fn url(&self) -> &str {
        self.parts.url.as_str()
    }
}

/// What a scenario's call did.
#[derive(Debug)]
pub(super) struct Run {
    /// Every step, in order: `token`, `send GET`, `read`, `sleep 1.6s`, `done 200`,
    /// `error ServiceResponse`...
    pub(super) steps: Vec<String>,
    /// Every request the exchange asked to send.
    pub(super) sent: Vec<Sent>,
    /// The claims of each token asked for (`None` for an ordinary one).
    pub(super) token_claims: Vec<Option<String>>,
    /// What the call returned.
    pub(super) result: Result<Completion, Error>,
    /// How long the call took on the manual clock.
    pub(super) elapsed: Duration,
}

impl Run {
    /// The steps, as `&str`s to compare with a literal.
    pub(super) fn steps(&self) -> Vec<&str> {
        self.steps.iter().map(String::as_str).collect()
    }

    /// The completion of a call that succeeded.
    pub(super) fn ok(&self) -> &Completion {
        match &self.result {
            Ok(done) => done,
            Err(e) => panic!("the call failed: {e}"),
        }
    }

    /// The error of a call that failed.
    pub(super) fn err(&self) -> &Error {
        match &self.result {
            Ok(done) => panic!("the call succeeded with {}", done.head.status),
            Err(e) => e,
        }
    }

    /// The `n`-th request sent, from 0.
    pub(super) fn sent(&self, n: usize) -> &Sent {
        &self.sent[n]
    }
}

#[test]
fn a_scenario_runs_a_call_to_its_end_and_keeps_every_step() {
    let run = Scenario::get("https://example.com/x").reply(200).run();
    assert_eq!(run.steps(), ["send GET", "done 200"]);
    assert_eq!(run.sent.len(), 1);
    assert_eq!(run.sent(0).url(), "https://example.com/x");
    assert_eq!(run.ok().head.status, StatusCode::OK);
    assert_eq!(run.elapsed, Duration::ZERO);
}
