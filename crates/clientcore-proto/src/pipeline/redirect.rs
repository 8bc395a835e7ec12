//! Redirect decisions.
//!
//! 300, 301, 302, 303, 307 and 308 are followed; 301 and 302 only for GET and HEAD (a POST
//! that gets them sees the response). 303 becomes a GET without a body; 307 and 308 keep the
//! method and replay the body. A relative `Location` is resolved against the current URL
//! (RFC 3986 §5.2, fixing the reference, which resolved from the root). Where the call's
//! credentials may follow is decided by [`follow::check`], the rule every
//! service-chosen URL goes through. A `Location` that is not a URL is an error, never a panic.

use http::Method;
use url::Url;

use crate::error::RedirectHop;
use crate::error::{Error, ErrorKind};
use crate::pipeline::follow::{self, Chosen, Credentials};
use crate::pipeline::{Exchange, RequestBody, RequestParts, ResponseHead, State};

/// Headers removed when a call leaves its origin; see [`follow`].
pub use crate::pipeline::follow::SENSITIVE_HEADERS;

/// Where to go next.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) url: Url,
    pub(crate) method: Method,
    pub(crate) drop_body: bool,
    /// Whether the credentials may go to `url`, from the call's own URL.
    pub(crate) credentials: Credentials,
}

/// The redirect to follow for `head`, if any. `home` is the URL the call's credentials were
/// given for.
pub(crate) fn next(
    req: &RequestParts,
    home: &Url,
    head: &ResponseHead,
    allow_downgrade: bool,
) -> Result<Option<Plan>, Error> {
    let status = head.status.as_u16();
    let get_or_head = req.method == Method::GET || req.method == Method::HEAD;
    let follows = match status {
        301 | 302 => get_or_head,
        300 | 303 | 307 | 308 => true,
        _ => false,
    };
    if !follows {
        return Ok(None);
    }
    let Some(location) = head
        .headers
        .get(http::header::LOCATION)
        .filter(|v| !v.is_empty())
    else {
        return Ok(None);
    };
    // Not UTF-8 is not a URI-reference (RFC 9110 §10.2.2, RFC 3986 §2); guessing what the
    // server meant (a lossy decode) would send the request somewhere nobody named.
    let text = std::str::from_utf8(location.as_bytes()).map_err(|e| {
        Error::with_source(ErrorKind::ServiceResponse, e)
            .with_message("the redirect Location is not a valid URL")
    })?;
    let url = follow::join(&req.url, text.trim()).map_err(|e| {
        Error::with_source(ErrorKind::ServiceResponse, e)
            .with_message("the redirect Location is not a valid URL")
    })?;
    // No hop may go from https to http, so the downgrade is checked from the URL being
    // redirected; whether the credentials go along is judged against the call's home.
    follow::check(&req.url, &url, allow_downgrade, Chosen::Redirect)?;
    let credentials = follow::check(home, &url, allow_downgrade, Chosen::Redirect)?;
    let (method, drop_body) = if status == 303 && req.method != Method::HEAD {
        (Method::GET, true)
    } else {
        (req.method.clone(), false)
    };
    Ok(Some(Plan {
        url,
        method,
        drop_body,
        credentials,
    }))
}

impl<B: RequestBody> Exchange<B> {
    #[cold]
    #[inline(never)]
    pub(super) fn follow(&mut self, plan: Plan, head: &ResponseHead) {
        let hop = RedirectHop::new(
            self.template.parts.method.clone(),
            self.template.parts.url.as_str(),
            head.status,
        );
        self.redirects.push(hop);
        if self.redirects.len() > self.opts.redirect_max() as usize {
            let history = std::mem::take(&mut self.redirects);
            self.state = State::Finished(Error::too_many_redirects(history));
            return;
        }
        if plan.credentials == Credentials::Withhold {
            self.credentials = Credentials::Withhold;
        }
        // A batch's body holds whole requests, each with the call's credentials
        // (`batch::authorize`): stripping the outer headers would leave those in the body.
        if !plan.drop_body
            && self.credentials == Credentials::Withhold
            && is_batch(&self.template.parts.headers)
        {
            self.state = State::Finished(Error::new(
                ErrorKind::ServiceRequest,
                format!(
                    "cannot follow the redirect to {}: the request is a batch, whose \
                     sub-requests may carry the call's credentials, and the redirect leaves \
                     the origin they were given for",
                    plan.url.origin().ascii_serialization()
                ),
            ));
            return;
        }
        let parts = &mut self.template.parts;
        let from = std::mem::replace(&mut parts.url, plan.url);
        if self.home.is_none() {
            self.home = Some(Box::new(from));
        }
        if plan.method != parts.method {
            parts.method = plan.method;
        }
        if plan.drop_body {
            self.template.body = B::empty();
            parts.headers.remove(http::header::CONTENT_TYPE);
            parts.headers.remove(http::header::CONTENT_LENGTH);
        } else if !self.template.body.is_replayable() {
            self.state = State::Finished(Error::new(
                ErrorKind::ServiceRequest,
                "cannot follow the redirect: the request body cannot be rewound",
            ));
            return;
        }
        if self.credentials == Credentials::Withhold {
            follow::strip(&mut parts.headers);
        }
        self.resend_count += 1;
        self.state = State::Ready;
    }
}

/// Whether the request's body is a batch (`multipart/mixed`, as
/// [`Request::with_batch`](super::Request::with_batch) sets it).
fn is_batch(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("multipart/mixed"))
}
