//! Redirect decisions.
//!
//! 300, 301, 302, 303, 307 and 308 are followed; 301 and 302 only for GET and HEAD (a POST
//! that gets them sees the response). 303 becomes a GET without a body; 307 and 308 keep the
//! method and replay the body. A relative `Location` is resolved against the current URL
//! (RFC 3986 §5.2, fixing the reference, which resolved from the root). When the origin
//! changes, `Authorization`, `Cookie` and `Proxy-Authorization` are removed; `https` → `http`
//! is refused unless allowed. A `Location` that is not a URL is an error, never a panic.

use http::Method;
use url::Url;

use crate::error::{Error, ErrorKind};
use crate::pipeline::{RequestParts, ResponseHead};

/// Headers removed when a redirect changes origin.
pub const SENSITIVE_HEADERS: &[&str] = &[
    "authorization",
    "cookie",
    "proxy-authorization",
    "x-ms-authorization-auxiliary",
];

/// Where to go next.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) url: Url,
    pub(crate) method: Method,
    pub(crate) drop_body: bool,
    pub(crate) cross_origin: bool,
}

/// The redirect to follow for `head`, if any.
pub(crate) fn next(
    req: &RequestParts,
    head: &ResponseHead,
    allow_downgrade: bool,
) -> Result<Option<Plan>, Error> {
    let status = head.status.as_u16();
    let get_or_head = req.method == Method::GET || req.method == Method::HEAD;
    let follow = match status {
        301 | 302 => get_or_head,
        300 | 303 | 307 | 308 => true,
        _ => false,
    };
    if !follow {
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
    let url = req.url.join(text.trim()).map_err(|e| {
        Error::with_source(ErrorKind::ServiceResponse, e)
            .with_message("the redirect Location is not a valid URL")
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(Error::new(
            ErrorKind::ServiceResponse,
            format!("refused to follow a redirect to a '{}' URL", url.scheme()),
        ));
    }
    if req.url.scheme() == "https" && url.scheme() == "http" && !allow_downgrade {
        return Err(Error::new(
            ErrorKind::ServiceResponse,
            "refused to follow a redirect from https to http",
        ));
    }
    let cross_origin = url.origin() != req.url.origin();
    let (method, drop_body) = if status == 303 && req.method != Method::HEAD {
        (Method::GET, true)
    } else {
        (req.method.clone(), false)
    };
    Ok(Some(Plan {
        url,
        method,
        drop_body,
        cross_origin,
    }))
}
