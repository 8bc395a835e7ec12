//! Request shaping: what the pipeline adds to the caller's request, once per call (the
//! options' headers and cookies, the request id, a SAS, an idempotency key, per-call
//! policies) and on each attempt (the request id and `User-Agent` when the template does not
//! hold them), and the service-chosen URL check that decides whether credentials go along.

use std::sync::Arc;

use http::{HeaderMap, HeaderValue};

use crate::error::{Error, ErrorKind};
use crate::options::{Options, Position, TransportConfig};
use crate::policies::auth::Credential;

use super::follow::{self, Credentials};
use super::{ChosenUrl, Exchange, PipelineHeaders, RequestBody};

impl<B: RequestBody> Exchange<B> {
    /// Shapes a request to a URL the service chose: [`follow::check`] decides whether it may
    /// be sent and whether the credentials go with it; the headers that carry credentials are
    /// removed after the options and per-call policies have added theirs.
    #[cold]
    #[inline(never)]
    pub(super) fn shape_chosen(&mut self, chosen: ChosenUrl) -> Result<(), Error> {
        self.credentials = follow::check(
            &chosen.home,
            &self.template.parts.url,
            self.opts.allow_https_downgrade(),
            chosen.by,
        )?;
        self.home = Some(Box::new(chosen.home));
        self.shape_per_call()?;
        if self.credentials == Credentials::Withhold {
            follow::strip(&mut self.template.parts.headers);
        }
        Ok(())
    }

    pub(super) fn shape_per_call(&mut self) -> Result<(), Error> {
        let parts = &mut self.template.parts;
        for (name, value) in self.opts.headers() {
            parts.headers.insert(name.clone(), value.clone());
        }
        // The request id is fixed here, once per call, unless the caller's request has one.
        if parts.headers.is_empty() || !parts.headers.contains_key(self.opts.request_id_header()) {
            // Formatted on the stack and copied once, into the header value.
            let mut buffer = uuid::Uuid::encode_buffer();
            let id = match self.opts.request_id() {
                Some(id) => id,
                // A UUID v4 from the per-thread generator: no system call per call.
                None => {
                    uuid::Builder::from_random_bytes(crate::policies::random_u128().to_be_bytes())
                        .into_uuid()
                        .hyphenated()
                        .encode_lower(&mut buffer)
                }
            };
            self.request_id = Some(header_value(id)?);
        }
        if !self.opts.cookies().is_empty()
            || self.opts.credential().is_some()
            || self.opts.retry().idempotency_key().is_some()
            || !self.opts.hooks.policies.is_empty()
        {
            self.shape_more()?;
        }
        Ok(())
    }

    /// The shaping only some calls need: cookies, a SAS query, idempotency keys, per-call
    /// policies. Out of line, as `step_other`.
    #[cold]
    #[inline(never)]
    pub(super) fn shape_more(&mut self) -> Result<(), Error> {
        let parts = &mut self.template.parts;
        if !self.opts.cookies().is_empty() {
            let mut cookie = String::new();
            for (k, v) in self.opts.cookies() {
                if !cookie.is_empty() {
                    cookie.push_str("; ");
                }
                cookie.push_str(k);
                cookie.push('=');
                cookie.push_str(v);
            }
            parts
                .headers
                .append(http::header::COOKIE, header_value(&cookie)?);
        }
        let sas = match self.opts.credential() {
            Some(Credential::Sas(sas)) if self.credentials == Credentials::Attach => {
                Some(sas.signature())
            }
            _ => None,
        };
        if let Some(sas) = sas {
            super::credentials::append_sas(&mut parts.url, &sas);
        }
        if let Some(key) = self.opts.retry().idempotency_key() {
            // The same key on every attempt (and redirect) of the call, generated once.
            for (name, value) in key.headers(self.wall.0) {
                if !parts.headers.contains_key(&name) {
                    parts.headers.insert(name, header_value(&value)?);
                }
            }
        }
        // Per-call policies see the request as the reference's do, request id and
        // `User-Agent` included: they go into the template, once.
        if self.opts.policies(Position::PerCall).next().is_some() {
            add_pipeline_headers(
                &mut parts.headers,
                &self.opts,
                self.request_id.take(),
                &self.prepared,
            )?;
            self.pipeline_headers = PipelineHeaders::InTemplate;
            for p in self.opts.policies(Position::PerCall) {
                p.on_request(parts)?;
            }
        }
        Ok(())
    }

    /// The headers of the next attempt: the template's, and the request id and `User-Agent`
    /// unless the template holds them already.
    pub(super) fn attempt_headers(&mut self) -> Result<HeaderMap, Error> {
        let template = &mut self.template.parts.headers;
        let mut headers = if template.is_empty() {
            // Room for the pipeline's two and the few the wire and the driver add
            // (`accept`, `accept-encoding`, `traceparent`…), so none of them reallocates; no
            // more, so that the allocation stays small (six entries come from malloc's
            // per-thread cache).
            HeaderMap::with_capacity(6)
        } else {
            // The attempt's headers grow, the template's never do (redirects only remove). A
            // clone keeps the stored hashes but has no spare room, while the template's map
            // has the room it grew by as it was built. So the attempt takes the template's
            // map and the template keeps the clone.
            let copy = template.clone();
            std::mem::replace(template, copy)
        };
        if self.pipeline_headers == PipelineHeaders::PerAttempt {
            add_pipeline_headers(
                &mut headers,
                &self.opts,
                self.request_id.clone(),
                &self.prepared,
            )?;
        }
        Ok(headers)
    }
}

/// Values derived from [`Options`] that do not change from call to call: computed once per
/// client and shared, instead of once per call.
#[derive(Clone, Debug)]
pub struct Prepared {
    user_agent: Result<HeaderValue, String>,
    pub(super) transport: Arc<TransportConfig>,
}

impl Prepared {
    /// Derives the values of `options`.
    pub fn new(options: &Options) -> Self {
        let ua = crate::policies::user_agent(
            options.user_agent_prefix(),
            options.sdk(),
            options.user_agent_suffix(),
        );
        Prepared {
            user_agent: HeaderValue::from_str(&ua).map_err(|_| ua),
            transport: Arc::new(options.transport_config()),
        }
    }

    /// The `User-Agent` value.
    ///
    /// # Errors
    ///
    /// `ServiceRequest` when the prefix or suffix holds characters a header cannot carry.
    pub fn user_agent(&self) -> Result<HeaderValue, Error> {
        self.user_agent.clone().or_else(|ua| header_value(&ua))
    }

    /// The transport settings.
    pub fn transport(&self) -> &Arc<TransportConfig> {
        &self.transport
    }
}

/// Adds the pipeline's own headers: the call's request id (`None` when the request has its
/// own) and the `User-Agent`.
pub(super) fn add_pipeline_headers(
    headers: &mut HeaderMap,
    opts: &Options,
    request_id: Option<HeaderValue>,
    prepared: &Prepared,
) -> Result<(), Error> {
    if let Some(id) = request_id {
        headers.insert(opts.request_id_header(), id);
    }
    headers.insert(http::header::USER_AGENT, prepared.user_agent()?);
    Ok(())
}

pub(super) fn header_value(s: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(s).map_err(|e| {
        Error::with_source(ErrorKind::ServiceRequest, e)
            .with_message("a header value is not valid HTTP")
    })
}
