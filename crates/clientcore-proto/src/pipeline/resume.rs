//! Transparent resume of streamed downloads: the decisions, with no I/O.
//!
//! When the body of a streamed download is cut (the connection closed or reset before the
//! end, a read timed out, the stalled-stream protection gave up), the client asks the server
//! for the rest and hands the caller one intact body. [`Resume`] decides everything: whether
//! a response can be resumed at all, whether a failure is a cut worth resuming, whether the
//! call's retry budget and deadline allow another request and after what wait, the headers
//! of that request, and whether its answer really continues the same bytes.
//!
//! # When a download is resumed
//!
//! - The call is a `GET` whose response (200, or 206 for a single range) the caller streams:
//!   not a buffered call ([`Options::with_buffered_body`](crate::options::Options::with_buffered_body)),
//!   and resume not turned off ([`Options::with_resume`](crate::options::Options::with_resume)).
//! - The response names its version: a strong `ETag` (one that is not `W/…`), else a
//!   `Last-Modified` date. A weak `ETag` or no validator: never resumed, the failure surfaces
//!   as it would without resume (a weak `ETag` promises equivalent content, not the same
//!   bytes).
//! - Ranges count the bytes as sent (the encoded representation). A body passed as stored
//!   (`with_decompress(false)`, or no `Content-Encoding`) is resumed with a range, gzip or not.
//!   A 200 the transport may have decoded on the fly (gzip or deflate with
//!   [`decompress`](crate::options::Options::decompress) on: the default transport then
//!   removes `Content-Encoding` and `Content-Length`, and the decoder's position is not a
//!   position in the encoded bytes) is *restarted* instead: asked for whole again, under the
//!   same condition, decoded afresh, and the bytes the caller already has are skipped. It
//!   costs the download of what was read again, and it never splices two versions.
//!
//! # The resume request
//!
//! The caller's request again (same URL, same headers, sent through the whole pipeline, so
//! credentials, request ids and redirects are handled as for any call), with
//! `Range: bytes=<next>-` (`bytes=<next>-<last>` within a 206's range) and
//! `If-Match: <etag>`, or `If-Range: <last-modified>` when there is no `ETag`. A restart has
//! no `Range`, and `If-Match: <etag>` or `If-Unmodified-Since: <last-modified>`.
//!
//! # Its answer
//!
//! - 206 whose `Content-Range` starts at the byte due (and ends where the body ends, of the
//!   same complete length): the bytes continue the body.
//! - 200 with the same strong `ETag` (or the same `Last-Modified` date, for `If-Range`) and
//!   the same length: the server ignored `Range` (or it was a restart); the bytes already
//!   read are skipped (read and dropped, never held) and the rest continues the body.
//! - 412, or a 200 or 206 whose validator differs: the resource changed while it was being
//!   read. The read fails with [`ErrorKind::ResourceModified`], and no byte of the new
//!   version reaches the caller.
//! - A 206 that does not continue at the byte due: [`ErrorKind::ServiceResponse`].
//!
//! # Budget
//!
//! Each resume is a retry of the call: made only while the call's retries allow one more
//! (resumes and the call's retries together stay within `min(total, read)` of
//! [`RetryOptions`]), after the backoff of that retry (without jitter), and only when that
//! wait ends before the call's deadline ([`Options::with_timeout`](crate::options::Options::with_timeout),
//! counted from when the call was sent). The resume request gets what is left of the
//! deadline and of the retries.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{
    CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, ETAG, IF_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE,
    LAST_MODIFIED, RANGE,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};

use super::retry::RetryOptions;
use crate::{Error, ErrorKind};

/// One resume of a download: where it resumed, after what, and the wait before it.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::pipeline::resume::Resume;
/// use clientcore::http::{HeaderMap, Method, StatusCode};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("etag", "\"v1\"".parse().unwrap());
/// headers.insert("content-length", "10".parse().unwrap());
/// let resume = Resume::start(&Method::GET, StatusCode::OK, &headers, true).unwrap();
/// assert!(resume.records().is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResumeRecord {
    /// The offset in the representation the resume asked for (the `Range` start); for a
    /// restart (a body decoded on the fly), the decoded bytes the caller had, skipped.
    pub offset: u64,
    /// The kind of the failure that cut the body.
    pub cause: ErrorKind,
    /// The wait before the resume request.
    pub wait: Duration,
}

/// What names the version being read.
#[derive(Clone, Debug)]
enum Validator {
    /// A strong entity tag, sent back in `If-Match`.
    ETag(HeaderValue),
    /// A `Last-Modified` date, sent back in `If-Range`.
    LastModified(HeaderValue),
}

/// The state of a resumable download; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct Resume {
    validator: Validator,
    /// The offset, in the representation, of the next byte the caller is owed.
    next: u64,
    /// Where the caller's bytes end (exclusive), when known.
    end: Option<u64>,
    /// The representation's complete length, when known.
    total: Option<u64>,
    /// Whether the body is a 206 range: the resume then asks for the rest of that range.
    ranged: bool,
    /// Bytes still to drop from the current body: a 200 that answered a resume starts over.
    skip: u64,
    /// The body may have been decoded on the fly: a resume asks for all of it again (no
    /// `Range`) and skips what the caller has.
    restart: bool,
    records: Vec<ResumeRecord>,
}

/// A `Content-Range: bytes first-last/complete` (`complete` may be `*`).
fn content_range(headers: &HeaderMap) -> Option<(u64, u64, Option<u64>)> {
    let value = headers.get(CONTENT_RANGE)?.to_str().ok()?.trim();
    let rest = value.strip_prefix("bytes ")?.trim_start();
    let (range, complete) = rest.split_once('/')?;
    let (first, last) = range.trim().split_once('-')?;
    let first: u64 = first.trim().parse().ok()?;
    let last: u64 = last.trim().parse().ok()?;
    let complete = match complete.trim() {
        "*" => None,
        n => Some(n.parse().ok()?),
    };
    if last < first || complete.is_some_and(|c| last >= c) {
        return None;
    }
    Some((first, last, complete))
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The strong entity tag of `headers`, if any.
fn strong_etag(headers: &HeaderMap) -> Option<&HeaderValue> {
    let etag = headers.get(ETAG)?;
    let text = etag.to_str().ok()?.trim();
    // A weak tag promises equivalent content, not the same bytes: never a base for ranges.
    (text.starts_with('"') && text.len() >= 2 && text.ends_with('"')).then_some(etag)
}

fn changed(detail: &str, read: u64) -> Error {
    Error::new(
        ErrorKind::ResourceModified,
        format!(
            "the resource changed while it was being read: {detail}; {read} bytes had been \
             read and the download was not resumed"
        ),
    )
}

impl Resume {
    /// The state of a download that can be resumed, or `None` when this response cannot be
    /// (see the [module docs](self)): `decompress` is whether the call decodes content
    /// codings on the fly.
    pub fn start(
        method: &Method,
        status: StatusCode,
        headers: &HeaderMap,
        decompress: bool,
    ) -> Option<Resume> {
        if method != Method::GET {
            return None;
        }
        let validator = match strong_etag(headers) {
            Some(etag) => Validator::ETag(etag.clone()),
            None if headers.contains_key(ETAG) => return None,
            None => Validator::LastModified(headers.get(LAST_MODIFIED)?.clone()),
        };
        let coded = headers
            .get(CONTENT_ENCODING)
            .is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
        let mut restart = false;
        let (next, end, total, ranged) = match status {
            StatusCode::OK => {
                let length = content_length(headers);
                // A body the transport may decode: its bytes are not the representation's,
                // so it is restarted rather than ranged. The default transport removes
                // `Content-Encoding` and `Content-Length` from a body it decodes.
                if decompress && (coded || length.is_none()) {
                    restart = true;
                    (0, None, None, false)
                } else {
                    (0, length, length, false)
                }
            }
            StatusCode::PARTIAL_CONTENT => {
                let (first, last, complete) = content_range(headers)?;
                (first, Some(last + 1), complete, true)
            }
            _ => return None,
        };
        if end.is_some_and(|end| next >= end) {
            return None;
        }
        Some(Resume {
            validator,
            next,
            end,
            total,
            ranged,
            skip: 0,
            restart,
            records: Vec::new(),
        })
    }

    /// The resumes made so far.
    pub fn records(&self) -> &[ResumeRecord] {
        &self.records
    }

    /// The offset of the next byte the caller is owed.
    pub fn offset(&self) -> u64 {
        self.next
    }

    /// A chunk read from the body: what of it the caller gets (the part of a restarted body
    /// already read is dropped, and nothing past the end is kept); `None` when nothing.
    pub fn on_chunk(&mut self, mut chunk: Bytes) -> Option<Bytes> {
        if self.skip > 0 {
            let n = usize::try_from(self.skip)
                .unwrap_or(usize::MAX)
                .min(chunk.len());
            let _ = chunk.split_to(n);
            self.skip -= n as u64;
        }
        if let Some(end) = self.end {
            let left = usize::try_from(end - self.next).unwrap_or(usize::MAX);
            chunk.truncate(left);
        }
        self.next += chunk.len() as u64;
        (!chunk.is_empty()).then_some(chunk)
    }

    /// Whether every byte the caller is owed has been read.
    pub fn is_complete(&self) -> bool {
        self.end.is_some_and(|end| self.next >= end)
    }

    /// The body reached its end: an error when bytes are still owed (a body cut without an
    /// error of the transport's), to be resumed like any cut.
    ///
    /// # Errors
    ///
    /// `IncompleteRead` when the end came early.
    pub fn on_end(&self) -> Result<(), Error> {
        match self.end {
            Some(end) if self.next < end => Err(Error::new(
                ErrorKind::IncompleteRead,
                format!("the response body ended at byte {} of {end}", self.next),
            )),
            _ => Ok(()),
        }
    }

    /// Whether `error`, from a read of the body, is a cut that a resume can repair: the
    /// connection closed or failed, or a read timed out (the stalled-stream protection
    /// included).
    pub fn is_cut(error: &Error) -> bool {
        matches!(
            error.kind(),
            ErrorKind::IncompleteRead
                | ErrorKind::ServiceResponse
                | ErrorKind::ServiceResponseTimeout
        )
    }

    /// Whether the body may be resumed after `cut`, and after what wait: `None` when it is
    /// not a cut, the retries are spent (`retried` retries of the call and its resumes so
    /// far, against `min(total, read)` of `retry`), or the wait would end past `deadline`.
    pub fn plan(
        &self,
        cut: &Error,
        retry: &RetryOptions,
        retried: u32,
        now: Instant,
        deadline: Option<Instant>,
    ) -> Option<Duration> {
        if !Self::is_cut(cut) {
            return None;
        }
        let used = retried.saturating_add(u32::try_from(self.records.len()).unwrap_or(u32::MAX));
        if used >= retry.total().min(retry.read()) {
            return None;
        }
        let wait = retry.backoff(used.saturating_add(1));
        match deadline {
            Some(deadline) if now.checked_add(wait).is_none_or(|at| at >= deadline) => None,
            _ => Some(wait),
        }
    }

    /// How many more retries the resume request itself may take, after `retried` and this
    /// resume.
    pub fn retries_left(&self, retry: &RetryOptions, retried: u32) -> u32 {
        let used = retried
            .saturating_add(u32::try_from(self.records.len()).unwrap_or(u32::MAX))
            .saturating_add(1);
        retry.total().min(retry.read()).saturating_sub(used)
    }

    /// Records a resume after `cause`, following a wait of `wait`, and returns the headers of
    /// its request: `Range`, and `If-Match` or `If-Range`; for a restart, `If-Match` or
    /// `If-Unmodified-Since` alone.
    pub fn begin(&mut self, cause: ErrorKind, wait: Duration) -> Vec<(HeaderName, HeaderValue)> {
        self.records.push(ResumeRecord {
            offset: self.next,
            cause,
            wait,
        });
        if self.restart {
            let condition = match &self.validator {
                Validator::ETag(etag) => (IF_MATCH, etag.clone()),
                Validator::LastModified(date) => (IF_UNMODIFIED_SINCE, date.clone()),
            };
            return vec![condition];
        }
        let range = match self.end {
            Some(end) if self.ranged => format!("bytes={}-{}", self.next, end - 1),
            _ => format!("bytes={}-", self.next),
        };
        // Digits and ASCII always make a header value; the fallback asks for the whole body,
        // which `accept` then reads as a restart and skips.
        let range =
            HeaderValue::try_from(range).unwrap_or_else(|_| HeaderValue::from_static("bytes=0-"));
        let condition = match &self.validator {
            Validator::ETag(etag) => (IF_MATCH, etag.clone()),
            Validator::LastModified(date) => (IF_RANGE, date.clone()),
        };
        vec![(RANGE, range), condition]
    }

    /// Checks the answer to a resume request (a success status: a 412 is
    /// [`precondition_failed`](Self::precondition_failed)). On `Ok`, its body continues the
    /// download (a 200's start is skipped).
    ///
    /// # Errors
    ///
    /// `ResourceModified` when the validator or the length differs; `ServiceResponse` when a
    /// 206 does not continue at the byte due or the status is neither 200 nor 206.
    pub fn accept(&mut self, status: StatusCode, headers: &HeaderMap) -> Result<(), Error> {
        self.same_version(headers)?;
        match status {
            StatusCode::PARTIAL_CONTENT if self.restart => {
                Err(self.not_continued("a 206 to a request for the whole body"))
            }
            StatusCode::PARTIAL_CONTENT => {
                let Some((first, last, complete)) = content_range(headers) else {
                    return Err(self.not_continued("a 206 without a valid Content-Range"));
                };
                if complete.is_some() && self.total.is_some() && complete != self.total {
                    return Err(changed(
                        &format!(
                            "its length was {} and is now {}",
                            self.total.unwrap_or_default(),
                            complete.unwrap_or_default()
                        ),
                        self.next,
                    ));
                }
                if first != self.next || self.end.is_some_and(|end| last + 1 != end) {
                    return Err(self.not_continued(&format!(
                        "Content-Range bytes {first}-{last} where bytes {}-{} were asked for",
                        self.next,
                        self.end.map_or_else(String::new, |e| (e - 1).to_string())
                    )));
                }
                self.skip = 0;
                Ok(())
            }
            StatusCode::OK => {
                let length = content_length(headers);
                if length.is_some() && self.total.is_some() && length != self.total {
                    return Err(changed(
                        &format!(
                            "its length was {} and is now {}",
                            self.total.unwrap_or_default(),
                            length.unwrap_or_default()
                        ),
                        self.next,
                    ));
                }
                // The server sent the whole representation again: what was read is skipped.
                self.skip = self.next;
                Ok(())
            }
            other => Err(self.not_continued(&format!("status {}", other.as_u16()))),
        }
    }

    /// The error of a 412 to the resume request: the `If-Match` failed.
    pub fn precondition_failed(&self) -> Error {
        let what = match &self.validator {
            Validator::ETag(etag) => format!(
                "the server answered 412 Precondition Failed to If-Match: {}",
                String::from_utf8_lossy(etag.as_bytes())
            ),
            Validator::LastModified(_) => {
                "the server answered 412 Precondition Failed to the resume request".to_owned()
            }
        };
        changed(&what, self.next)
    }

    /// Whether the answer names the version being read: the same strong `ETag`, or (read by
    /// date) the same `Last-Modified`. A validator the answer leaves out is not taken as
    /// changed for a 206 (the condition held), but is for a 200 ([`accept`](Self::accept)
    /// checks the status after this).
    fn same_version(&self, headers: &HeaderMap) -> Result<(), Error> {
        match &self.validator {
            Validator::ETag(etag) => match headers.get(ETAG) {
                Some(now) if now == etag && strong_etag(headers).is_some() => Ok(()),
                Some(now) => Err(changed(
                    &format!(
                        "its ETag was {} and is now {}",
                        String::from_utf8_lossy(etag.as_bytes()),
                        String::from_utf8_lossy(now.as_bytes())
                    ),
                    self.next,
                )),
                None => Err(changed("the answer to the resume has no ETag", self.next)),
            },
            Validator::LastModified(date) => match headers.get(LAST_MODIFIED) {
                Some(now) if now == date => Ok(()),
                Some(now) => Err(changed(
                    &format!(
                        "it was last modified {} and now {}",
                        String::from_utf8_lossy(date.as_bytes()),
                        String::from_utf8_lossy(now.as_bytes())
                    ),
                    self.next,
                )),
                None => Err(changed(
                    "the answer to the resume has no Last-Modified",
                    self.next,
                )),
            },
        }
    }

    fn not_continued(&self, detail: &str) -> Error {
        Error::new(
            ErrorKind::ServiceResponse,
            format!(
                "the answer to the resume of the download at byte {} does not continue it: \
                 {detail}",
                self.next
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn only_a_strong_validator_and_raw_bytes_are_resumed() {
        let ok = StatusCode::OK;
        let get = Method::GET;
        let strong = head(&[("etag", "\"a\""), ("content-length", "9")]);
        assert!(Resume::start(&get, ok, &strong, true).is_some());
        assert!(Resume::start(&Method::POST, ok, &strong, true).is_none());
        let weak = head(&[("etag", "W/\"a\""), ("content-length", "9")]);
        assert!(Resume::start(&get, ok, &weak, true).is_none());
        let weak_dated = head(&[
            ("etag", "W/\"a\""),
            ("last-modified", "Sun, 06 Nov 1994 08:49:37 GMT"),
            ("content-length", "9"),
        ]);
        assert!(Resume::start(&get, ok, &weak_dated, true).is_none());
        assert!(Resume::start(&get, ok, &head(&[("content-length", "9")]), true).is_none());
        let gz = head(&[
            ("etag", "\"a\""),
            ("content-length", "9"),
            ("content-encoding", "gzip"),
        ]);
        // Decoded on the fly (or a custom transport's coded body): restarted, not ranged.
        assert!(Resume::start(&get, ok, &gz, true).unwrap().restart);
        assert!(!Resume::start(&get, ok, &gz, false).unwrap().restart);
        // Decoded by the default transport: no Content-Length left.
        assert!(
            Resume::start(&get, ok, &head(&[("etag", "\"a\"")]), true)
                .unwrap()
                .restart
        );
        assert!(
            !Resume::start(&get, ok, &head(&[("etag", "\"a\"")]), false)
                .unwrap()
                .restart
        );
    }

    #[test]
    fn a_decoded_body_is_restarted_whole_and_skipped_to_where_it_was_cut() {
        let h = head(&[("etag", "\"a\"")]);
        let mut r = Resume::start(&Method::GET, StatusCode::OK, &h, true).unwrap();
        assert_eq!(
            r.on_chunk(Bytes::from_static(b"0123")).unwrap(),
            &b"0123"[..]
        );
        // No Range: the decoded offset is not one in the encoded bytes.
        let headers = r.begin(ErrorKind::IncompleteRead, Duration::ZERO);
        assert_eq!(headers, [(IF_MATCH, HeaderValue::from_static("\"a\""))]);
        // A 206 cannot answer a request for the whole body.
        let mut ranged = r.clone();
        let partial = head(&[("etag", "\"a\""), ("content-range", "bytes 4-9/10")]);
        assert_eq!(
            ranged
                .accept(StatusCode::PARTIAL_CONTENT, &partial)
                .unwrap_err()
                .kind(),
            ErrorKind::ServiceResponse
        );
        // Another version is refused; the same one is skipped to byte 4.
        let other = head(&[("etag", "\"b\"")]);
        assert_eq!(
            r.clone().accept(StatusCode::OK, &other).unwrap_err().kind(),
            ErrorKind::ResourceModified
        );
        r.accept(StatusCode::OK, &h).unwrap();
        assert_eq!(r.on_chunk(Bytes::from_static(b"012")), None);
        assert_eq!(
            r.on_chunk(Bytes::from_static(b"3456")).unwrap(),
            &b"456"[..]
        );
        assert_eq!(r.records()[0].offset, 4);
        // By date: the condition is If-Unmodified-Since.
        let dated = head(&[("last-modified", "Sun, 06 Nov 1994 08:49:37 GMT")]);
        let mut d = Resume::start(&Method::GET, StatusCode::OK, &dated, true).unwrap();
        let headers = d.begin(ErrorKind::IncompleteRead, Duration::ZERO);
        assert_eq!(headers[0].0, IF_UNMODIFIED_SINCE);
    }

    #[test]
    fn a_range_is_resumed_within_itself() {
        let h = head(&[("etag", "\"a\""), ("content-range", "bytes 10-19/100")]);
        let mut r = Resume::start(&Method::GET, StatusCode::PARTIAL_CONTENT, &h, true).unwrap();
        assert_eq!(
            r.on_chunk(Bytes::from_static(b"0123")).unwrap(),
            &b"0123"[..]
        );
        let [(range, from), (cond, tag)] =
            <[_; 2]>::try_from(r.begin(ErrorKind::IncompleteRead, Duration::ZERO)).unwrap();
        assert_eq!(
            (range.as_str(), from.to_str().unwrap()),
            ("range", "bytes=14-19")
        );
        assert_eq!(
            (cond.as_str(), tag.to_str().unwrap()),
            ("if-match", "\"a\"")
        );
        let shifted = head(&[("etag", "\"a\""), ("content-range", "bytes 13-19/100")]);
        let err = r.accept(StatusCode::PARTIAL_CONTENT, &shifted).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ServiceResponse);
        let good = head(&[("etag", "\"a\""), ("content-range", "bytes 14-19/100")]);
        r.accept(StatusCode::PARTIAL_CONTENT, &good).unwrap();
        // A 200 restarts at 0: the first 14 bytes are skipped, and the body ends at 20.
        let full = head(&[("etag", "\"a\""), ("content-length", "100")]);
        r.accept(StatusCode::OK, &full).unwrap();
        let body: Vec<u8> = (0..100).collect();
        assert_eq!(
            r.on_chunk(Bytes::from(body)).unwrap(),
            &(14..20).collect::<Vec<u8>>()[..]
        );
        assert!(r.is_complete());
    }

    #[test]
    fn budget_backoff_and_deadline_bound_the_resumes() {
        let h = head(&[("etag", "\"a\""), ("content-length", "9")]);
        let mut r = Resume::start(&Method::GET, StatusCode::OK, &h, true).unwrap();
        let cut = Error::new(ErrorKind::IncompleteRead, "cut");
        let retry = RetryOptions::new().with_total(2).with_backoff_factor(1.0);
        let now = Instant::now();
        assert_eq!(r.plan(&cut, &retry, 0, now, None), Some(Duration::ZERO));
        let _ = r.begin(ErrorKind::IncompleteRead, Duration::ZERO);
        assert_eq!(
            r.plan(&cut, &retry, 0, now, None),
            Some(Duration::from_secs(2))
        );
        // The wait would end at the deadline: no resume.
        let soon = now + Duration::from_secs(2);
        assert_eq!(r.plan(&cut, &retry, 0, now, Some(soon)), None);
        assert_eq!(r.plan(&cut, &retry, 1, now, None), None);
        let decode = Error::new(ErrorKind::Decode, "bad");
        assert_eq!(r.plan(&decode, &retry, 0, now, None), None);
    }

    #[test]
    fn a_changed_validator_is_refused() {
        let h = head(&[("etag", "\"a\""), ("content-length", "9")]);
        let mut r = Resume::start(&Method::GET, StatusCode::OK, &h, true).unwrap();
        let _ = r.on_chunk(Bytes::from_static(b"abc"));
        let other = head(&[("etag", "\"b\""), ("content-range", "bytes 3-8/9")]);
        let err = r.accept(StatusCode::PARTIAL_CONTENT, &other).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ResourceModified);
        assert!(
            err.to_string().contains("changed while it was being read"),
            "{err}"
        );
        let longer = head(&[("etag", "\"a\""), ("content-length", "10")]);
        assert_eq!(
            r.accept(StatusCode::OK, &longer).unwrap_err().kind(),
            ErrorKind::ResourceModified
        );
    }
}
