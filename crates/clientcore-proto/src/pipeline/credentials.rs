//! Credentials on each attempt: the key or bearer token (asked for as a step, cached,
//! refreshed), and continuous access evaluation (a 401 claims challenge answered once).

use http::HeaderValue;

use crate::error::{Error, ErrorKind};
use crate::policies::auth::{AccessToken, Credential};

use super::follow::Credentials;
use super::{Exchange, RequestBody, RequestParts, ResponseHead, State, Step, TokenRequest};

impl<B: RequestBody> Exchange<B> {
    /// Reports the token the credential gave.
    pub fn on_token(&mut self, token: Result<AccessToken, Error>) {
        let Some(Credential::Bearer { cache, .. }) = self.opts.credential() else {
            return;
        };
        let for_claims = matches!(self.cae, Cae::Pending(_) | Cae::Discovered(_));
        if for_claims {
            self.cae = Cae::Answered;
        }
        match token {
            // The cached token is the one the service refused: no falling back to it.
            Err(e) if for_claims => self.state = State::Finished(e),
            Ok(t) => {
                self.token = Some(t.token.clone());
                cache.store(t);
                self.state = State::Ready;
            }
            // A failed refresh still uses a token that has not expired yet.
            Err(e) => match cache.usable(self.wall.0) {
                Some(t) => {
                    self.token = Some(t);
                    self.state = State::Ready;
                }
                None => self.state = State::Finished(e),
            },
        }
    }

    /// Adds the credential to an attempt; `Some` when the attempt cannot go out yet: the
    /// call must first get a token, or ends.
    #[cold]
    #[inline(never)]
    pub(super) fn authorize_attempt(&mut self, parts: &mut RequestParts) -> Option<Step<B>> {
        let cred = self.opts.credential().cloned()?;
        match self.authorize(&cred, parts) {
            Ok(()) => None,
            Err(Blocked::NeedToken(request)) => {
                self.state = State::AwaitToken;
                Some(Step::GetToken(request))
            }
            Err(Blocked::Fail(e)) => Some(self.finished(e)),
        }
    }

    pub(super) fn authorize(
        &mut self,
        cred: &Credential,
        parts: &mut RequestParts,
    ) -> Result<(), Blocked> {
        match cred {
            Credential::Key { .. } if self.credentials == Credentials::Attach => {
                attach_key_or_sas(parts, cred).map_err(Blocked::Fail)?;
                Ok(())
            }
            Credential::Bearer { scopes, cache } if self.credentials == Credentials::Attach => {
                if parts.url.scheme() != "https" {
                    return Err(Blocked::Fail(Error::new(
                        ErrorKind::ClientAuthentication,
                        "Bearer token authentication is not permitted for non-TLS protected \
                         (non-https) URLs.",
                    )));
                }
                match &self.cae {
                    Cae::Pending(claims) => {
                        let request = TokenRequest::new(scopes.clone()).with_claims(claims);
                        return Err(Blocked::NeedToken(request.challenged()));
                    }
                    Cae::Discovered(request) => {
                        return Err(Blocked::NeedToken((**request).clone()))
                    }
                    Cae::Unchallenged | Cae::Answered => {}
                }
                let token = match self.token.take() {
                    Some(t) => t,
                    None => match cache.fresh(self.wall.0) {
                        Some(t) => t,
                        None => return Err(Blocked::NeedToken(TokenRequest::new(scopes.clone()))),
                    },
                };
                let v =
                    credential_value(&format!("Bearer {token}"), "token").map_err(Blocked::Fail)?;
                parts.headers.insert(http::header::AUTHORIZATION, v);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Continuous access evaluation, as the reference's bearer policy: a 401 whose
    /// `WWW-Authenticate` is a claims challenge gets one new token, asked for with those
    /// claims, and the request is sent once more. Not a retry (no retry budget, no wait); the
    /// resend counts in `resend_count`. `true` when the call goes on that way.
    #[cold]
    #[inline(never)]
    pub(super) fn answer_claims_challenge(&mut self, head: &ResponseHead) -> bool {
        let bearer = matches!(self.opts.credential(), Some(Credential::Bearer { .. }));
        let unchallenged = matches!(self.cae, Cae::Unchallenged);
        if !bearer
            || self.credentials == Credentials::Withhold
            || !unchallenged
            || !self.template.body.is_replayable()
        {
            return false;
        }
        let Some(claims) = crate::policies::auth::claims_challenge(&head.headers) else {
            return false;
        };
        self.cae = Cae::Pending(claims);
        self.token = None;
        self.resend_count += 1;
        self.state = State::Ready;
        true
    }
    /// A policy's challenge handler asks for a token as `request` says (the scope and
    /// tenant a challenge named) and for the original request to be sent again with it.
    /// Once per call, as a claims challenge: `false` (the 401 stands) when the call has
    /// answered a challenge already, has no bearer credential, withholds credentials (it was
    /// redirected to another origin), or cannot send its body again.
    pub(super) fn answer_discovered_challenge(&mut self, request: TokenRequest) -> bool {
        let bearer = matches!(self.opts.credential(), Some(Credential::Bearer { .. }));
        if !bearer
            || self.credentials == Credentials::Withhold
            || !matches!(self.cae, Cae::Unchallenged)
            || !self.template.body.is_replayable()
        {
            return false;
        }
        self.cae = Cae::Discovered(Box::new(request.challenged()));
        self.token = None;
        self.resend_count += 1;
        self.state = State::Ready;
        true
    }
}

/// Why an attempt cannot go out with its credential yet.
pub(super) enum Blocked {
    /// The call must first get this token.
    NeedToken(TokenRequest),
    /// The call ends with this error (the credential cannot be sent).
    Fail(Error),
}

/// Continuous access evaluation in a call: the reference answers one claims challenge per
/// call.
pub(super) enum Cae {
    Unchallenged,
    /// Challenged: the next token must satisfy these claims.
    Pending(String),
    /// A policy's challenge handler named the scope and tenant of the next token
    /// ([`SideStep::ResendWithToken`](super::side::SideStep::ResendWithToken)).
    Discovered(Box<TokenRequest>),
    /// Answered: a further challenge ends the call with its 401.
    Answered,
}

/// Puts a key or SAS credential on a request: the key in its header, the SAS at the end of
/// the query. `false` for a bearer credential or none (a token may first have to be fetched:
/// each caller decides what to do then). The one place a key or SAS is attached: attempts,
/// side requests and batch sub-requests all come here.
pub(super) fn attach_key_or_sas(
    parts: &mut RequestParts,
    cred: &Credential,
) -> Result<bool, Error> {
    match cred {
        Credential::Key { header, value } => {
            parts
                .headers
                .insert(header.clone(), credential_value(&value.key(), "key")?);
        }
        Credential::Sas(sas) => append_sas(&mut parts.url, &sas.signature()),
        _ => return Ok(false),
    }
    Ok(true)
}

/// Appends a SAS to the URL's query, after what it already has.
pub(super) fn append_sas(url: &mut url::Url, sas: &str) {
    let query = match url.query() {
        Some(q) if !q.is_empty() => format!("{q}&{sas}"),
        _ => sas.to_owned(),
    };
    url.set_query(Some(&query));
}

/// A credential as a header value, marked sensitive. A value a header cannot carry (CR, LF,
/// NUL, other control characters) fails the call before anything is sent: dropping the
/// header would send the request unauthenticated, and a caller whose key got a stray newline
/// would find out only from an anonymous endpoint's answer. The error never holds the value.
pub(super) fn credential_value(s: &str, what: &str) -> Result<HeaderValue, Error> {
    match HeaderValue::from_str(s) {
        Ok(mut v) => {
            v.set_sensitive(true);
            Ok(v)
        }
        Err(_) => Err(Error::new(
            ErrorKind::ClientAuthentication,
            format!(
                "the credential's {what} cannot be sent in a header: it holds a control \
                 character (CR, LF, NUL...) or a byte outside visible ASCII and tab; the request \
                 was not sent"
            ),
        )),
    }
}
