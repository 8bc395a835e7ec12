//! The one rule for where a call's credentials may go when the service chooses the URL.
//!
//! A service chooses URLs in four ways: a redirect's `Location`, a pager's next link, an
//! operation's poll URL (`Operation-Location`, `Azure-AsyncOperation`, `Location`) and an
//! operation's final-resource URL. Every one of them is checked here, by [`check`], against the
//! URL the caller's credentials were given for (the caller's own request):
//!
//! - Only `http` and `https` URLs are followed.
//! - From `https` to `http` is refused (the request would go in cleartext), unless the call
//!   allows it ([`Options::with_https_downgrade`](crate::options::Options::with_https_downgrade)).
//! - On another origin (scheme, host or port differ; RFC 6454), the call goes on without
//!   credentials: the key, SAS or bearer credential is not added, and every header in
//!   [`SENSITIVE_HEADERS`] is removed, including any a custom policy adds after that (a
//!   signing policy's `Authorization`). Once a call has left the origin its credentials stay
//!   withheld for the rest of that call, even on a hop back: a service that bounces a request
//!   through another host does not get to decide that the credentials go out again.
//!
//! Python azure-core strips `Authorization` on cross-origin redirects only; its pagers and
//! pollers send every credential to whatever URL the service names (ARCHITECTURE.md,
//! deviation 6).

use http::HeaderMap;
use url::Url;

use crate::error::{Error, ErrorKind};

/// Headers that carry credentials, removed when a call leaves the origin its credentials were
/// given for: `Authorization`, `Cookie`, `Proxy-Authorization` and
/// `x-ms-authorization-auxiliary` (ARM's tokens for other tenants).
pub const SENSITIVE_HEADERS: &[&str] = &[
    "authorization",
    "cookie",
    "proxy-authorization",
    "x-ms-authorization-auxiliary",
];

/// Whether a call's credentials go with its request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Credentials {
    /// The request goes to the origin the credentials were given for: they are added.
    #[default]
    Attach,
    /// The request goes to another origin: no credential is added and
    /// [`SENSITIVE_HEADERS`] are removed.
    Withhold,
}

/// Which service-chosen URL [`check`] is asked about; it only changes the error's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Chosen {
    /// A redirect's `Location`.
    Redirect,
    /// A pager's next link.
    NextLink,
    /// A long-running operation's poll or final-resource URL.
    PollUrl,
    /// A policy's side request ([`side`](super::side)), whose URL may come from what the
    /// service answered.
    SideRequest,
}

impl Chosen {
    fn what(self) -> &'static str {
        match self {
            Chosen::Redirect => "a redirect",
            Chosen::NextLink => "a next link",
            Chosen::PollUrl => "a poll URL",
            Chosen::SideRequest => "a policy's side request",
        }
    }
}

/// Decides whether a request may go to `to`, a URL the service chose, when the caller's
/// credentials were given for `home`, and whether they go with it.
///
/// # Errors
///
/// A [`ServiceResponse`](ErrorKind::ServiceResponse) error when `to` is not `http` or
/// `https`, or goes from `https` to `http` and `allow_downgrade` is false.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::pipeline::follow::{check, Chosen, Credentials};
///
/// let home = "https://account.example.com/list".parse().unwrap();
/// let same = "https://account.example.com/list?page=2".parse().unwrap();
/// let other = "https://evil.example.net/list?page=2".parse().unwrap();
/// let cleartext = "http://account.example.com/list?page=2".parse().unwrap();
///
/// assert_eq!(check(&home, &same, false, Chosen::NextLink).unwrap(), Credentials::Attach);
/// assert_eq!(check(&home, &other, false, Chosen::NextLink).unwrap(), Credentials::Withhold);
/// assert!(check(&home, &cleartext, false, Chosen::NextLink).is_err());
/// ```
pub fn check(
    home: &Url,
    to: &Url,
    allow_downgrade: bool,
    chosen: Chosen,
) -> Result<Credentials, Error> {
    if to.scheme() != "http" && to.scheme() != "https" {
        return Err(Error::new(
            ErrorKind::ServiceResponse,
            format!(
                "refused to follow {} to a '{}' URL",
                chosen.what(),
                to.scheme()
            ),
        ));
    }
    if home.scheme() == "https" && to.scheme() == "http" && !allow_downgrade {
        return Err(Error::new(
            ErrorKind::ServiceResponse,
            format!("refused to follow {} from https to http", chosen.what()),
        ));
    }
    if home.origin() == to.origin() {
        Ok(Credentials::Attach)
    } else {
        Ok(Credentials::Withhold)
    }
}

/// `link` resolved against `base` (RFC 3986 section 5, as `Url::join`), for every URL a
/// service chooses (redirects, next links, poll and final URLs). A link that names a scheme
/// other than http or https is not given to the URL parser: it stands for that scheme's URL
/// (`<scheme>://refused.invalid/`), which [`check`] refuses as before, naming the scheme. The
/// parser is spared such links because fuzzing found one it trips a debug assertion on
/// (`file:../R:` then a line break: url 2.5's file-path handling), a panic in a debug build on
/// bytes a service sent; nothing but http and https is ever followed anyway.
///
/// # Errors
///
/// The URL parser's, for a link that is not a URL reference.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::pipeline::follow::join;
///
/// let base: url::Url = "https://a.example/list?page=1".parse().unwrap();
/// assert_eq!(join(&base, "?page=2").unwrap().as_str(), "https://a.example/list?page=2");
/// assert_eq!(join(&base, " FILE:../R:\n").unwrap().scheme(), "file");
/// ```
pub fn join(base: &Url, link: &str) -> Result<Url, url::ParseError> {
    let refused = |scheme: &str| Url::parse(&format!("{scheme}://refused.invalid/"));
    if let Some(scheme) = foreign_scheme(link) {
        return refused(&scheme);
    }
    // Nothing is resolved against a base that was itself refused (a caller that went on
    // from one): the same parser path would be taken.
    match base.scheme() {
        "http" | "https" => base.join(link),
        other => refused(other),
    }
}

/// The scheme `link` names, lowercased, when it names one other than http or https; read as
/// the URL standard reads it (leading C0 controls and spaces skipped, tabs and line breaks
/// ignored).
fn foreign_scheme(link: &str) -> Option<String> {
    let mut scheme = String::new();
    let chars = link
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'));
    for c in chars {
        match c {
            ':' if !scheme.is_empty() => {
                return (scheme != "http" && scheme != "https").then_some(scheme);
            }
            c if c.is_ascii_alphabetic() => scheme.push(c.to_ascii_lowercase()),
            c if !scheme.is_empty() && (c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) => {
                scheme.push(c);
            }
            _ => return None,
        }
    }
    None
}

/// Removes every header that carries a credential ([`SENSITIVE_HEADERS`]).
pub fn strip(headers: &mut HeaderMap) {
    if headers.is_empty() {
        return;
    }
    for name in SENSITIVE_HEADERS {
        headers.remove(*name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        s.parse().unwrap()
    }

    #[test]
    fn same_origin_keeps_credentials_whatever_the_path() {
        let home = url("https://a.example/x?sig=1");
        for to in [
            "https://a.example/y",
            "https://a.example:443/z#f",
            "https://A.EXAMPLE/",
        ] {
            assert_eq!(
                check(&home, &url(to), false, Chosen::PollUrl).unwrap(),
                Credentials::Attach,
                "{to}"
            );
        }
    }

    #[test]
    fn another_host_port_or_scheme_withholds_them() {
        let home = url("http://a.example/x");
        for to in [
            "http://b.example/x",
            "http://a.example:8080/x",
            "https://a.example/x",
            "http://a.example.evil.net/x",
            "http://sub.a.example/x",
        ] {
            assert_eq!(
                check(&home, &url(to), false, Chosen::NextLink).unwrap(),
                Credentials::Withhold,
                "{to}"
            );
        }
    }

    #[test]
    fn https_to_http_is_refused_unless_allowed() {
        let home = url("https://a.example/x");
        let to = url("http://a.example/x");
        let err = check(&home, &to, false, Chosen::NextLink).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ServiceResponse);
        assert_eq!(
            err.to_string(),
            "refused to follow a next link from https to http"
        );
        // Allowed, it is still another origin: the credentials stay home.
        assert_eq!(
            check(&home, &to, true, Chosen::NextLink).unwrap(),
            Credentials::Withhold
        );
    }

    #[test]
    fn other_schemes_are_refused() {
        let home = url("https://a.example/x");
        for to in [
            "file:///etc/passwd",
            "ftp://a.example/",
            "data:text/plain,x",
        ] {
            let err = check(&home, &url(to), true, Chosen::PollUrl).unwrap_err();
            assert!(
                err.to_string()
                    .starts_with("refused to follow a poll URL to a"),
                "{err}"
            );
        }
    }

    #[test]
    fn strip_removes_every_sensitive_header_and_nothing_else() {
        let mut h = HeaderMap::new();
        for name in SENSITIVE_HEADERS {
            h.insert(*name, "secret".parse().unwrap());
        }
        h.insert("x-ms-date", "today".parse().unwrap());
        strip(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("x-ms-date"));
    }
}
