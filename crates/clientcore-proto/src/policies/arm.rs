//! ARM's resource-provider auto-registration (azure-mgmt-core's
//! `ARMAutoResourceProviderRegistrationPolicy`), as a policy that takes a
//! [detour](crate::pipeline::side).
//!
//! On a 409 whose error code is `MissingSubscriptionRegistration`, the provider named last in
//! quotes in the message is registered (`POST …/subscriptions/{id}/providers/{rp}/register`),
//! then polled (`GET …/providers/{rp}`) until its `registrationState` is `Registered`, and the
//! original request is sent once more. A registration that fails, or is not done within the
//! polls allowed, leaves the 409 as the call's answer, as the reference does.

use std::time::Duration;

use url::Url;

use crate::error::Error;
use crate::pipeline::side::{SideAnswer, SideStep, SideTask};
use crate::pipeline::{HookRequest, RequestParts, ResponseHead};
use crate::policies::log::{self, Level};

use crate::pipeline::policy::Policy;

const API_VERSION: &str = "2016-02-01";

/// The policy. Add it per call (or per client) with
/// [`Options::with_policy`](crate::options::Options::with_policy).
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::options::{Options, Position};
/// use clientcore::pipeline::policy::SharedPolicy;
/// use clientcore::policies::arm::ProviderRegistration;
/// use std::time::Duration;
///
/// let registration = ProviderRegistration::new().with_poll_interval(Duration::from_secs(10));
/// let options = Options::new().with_policy(Position::PerCall, SharedPolicy::new(registration));
/// # let _ = options;
/// ```
#[derive(Clone, Debug)]
pub struct ProviderRegistration {
    poll_interval: Duration,
    max_polls: u32,
}

impl Default for ProviderRegistration {
    fn default() -> Self {
        ProviderRegistration {
            poll_interval: Duration::from_secs(10),
            max_polls: 60,
        }
    }
}

impl ProviderRegistration {
    /// Every default.
    pub fn new() -> Self {
        ProviderRegistration::default()
    }

    /// The wait before each poll of the registration. Default is 10 s (the reference's).
    #[must_use]
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// How many polls before giving up (the 409 stands). Default is 60 (ten minutes at the
    /// default interval; the reference polls for ever).
    #[must_use]
    pub fn with_max_polls(mut self, polls: u32) -> Self {
        self.max_polls = polls;
        self
    }
}

impl Policy for ProviderRegistration {
    fn detour(
        &self,
        request: &HookRequest<'_>,
        response: &ResponseHead,
        error: &Error,
    ) -> Option<Box<dyn SideTask>> {
        if response.status != 409 || error.error_code() != Some("MissingSubscriptionRegistration") {
            return None;
        }
        let message = error.service_error()?.message()?;
        let provider = last_quoted(message)?;
        let provider_url = provider_url(&request.parts.url, provider)?;
        log::emit(
            None,
            Level::Warn,
            &format!(
                "Resource provider '{provider}' used by this operation is not registered. We are \
                 registering for you."
            ),
        );
        Some(Box::new(Registration {
            provider_url,
            poll_interval: self.poll_interval,
            polls_left: self.max_polls,
            phase: Phase::Register,
        }))
    }
}

/// The last `'…'`-quoted text of `message` (the reference's `.*'(.*)'`).
fn last_quoted(message: &str) -> Option<&str> {
    let end = message.rfind('\'')?;
    let start = message[..end].rfind('\'')?;
    let name = &message[start + 1..end];
    // A provider namespace: letters, digits and dots (`Microsoft.Compute`); anything else is
    // not put in a URL.
    (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.'))
        .then_some(name)
}

/// `{scheme}://{host}/subscriptions/{id}/providers/{rp}` from the request's URL.
fn provider_url(url: &Url, provider: &str) -> Option<Url> {
    let mut segments = url.path_segments()?;
    segments.find(|s| s.eq_ignore_ascii_case("subscriptions"))?;
    let id = segments.next()?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        return None;
    }
    let mut out = url.clone();
    out.set_query(None);
    out.set_fragment(None);
    out.set_path(&format!("/subscriptions/{id}/providers/{provider}"));
    Some(out)
}

struct Registration {
    provider_url: Url,
    poll_interval: Duration,
    polls_left: u32,
    phase: Phase,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Register,
    Registering,
    Wait,
    Polling,
}

impl Registration {
    fn request(&self, method: http::Method, suffix: &str) -> SideStep {
        let mut url = self.provider_url.clone();
        url.set_path(&format!("{}{suffix}", self.provider_url.path()));
        url.query_pairs_mut()
            .append_pair("api-version", API_VERSION);
        SideStep::Send(
            RequestParts {
                method,
                url,
                headers: http::HeaderMap::new(),
            },
            bytes::Bytes::new(),
        )
    }
}

impl SideTask for Registration {
    fn next(&mut self, answer: Option<SideAnswer>) -> SideStep {
        match (self.phase, answer) {
            (Phase::Register, _) => {
                self.phase = Phase::Registering;
                self.request(http::Method::POST, "/register")
            }
            (Phase::Registering, Some(Ok(r))) if r.status == 200 => {
                self.phase = Phase::Wait;
                SideStep::Sleep(self.poll_interval)
            }
            (Phase::Registering, _) => {
                log::emit(
                    None,
                    Level::Warn,
                    "Registration failed. Please register manually.",
                );
                SideStep::GiveUp
            }
            (Phase::Wait, _) if self.polls_left == 0 => SideStep::GiveUp,
            (Phase::Wait, _) => {
                self.polls_left -= 1;
                self.phase = Phase::Polling;
                self.request(http::Method::GET, "")
            }
            (Phase::Polling, Some(Ok(r))) => {
                let state = serde_json::from_slice::<serde_json::Value>(&r.body)
                    .ok()
                    .and_then(|v| v.get("registrationState")?.as_str().map(str::to_owned));
                if state.as_deref() == Some("Registered") {
                    log::emit(None, Level::Info, "Registration succeeded.");
                    SideStep::Resend
                } else {
                    self.phase = Phase::Wait;
                    SideStep::Sleep(self.poll_interval)
                }
            }
            (Phase::Polling, _) => {
                self.phase = Phase::Wait;
                SideStep::Sleep(self.poll_interval)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_and_subscription_are_read_as_the_reference_reads_them() {
        assert_eq!(
            last_quoted(
                "The subscription is not registered to use namespace 'Microsoft.Network'. See \
                 https://aka.ms/rps-not-found"
            ),
            Some("Microsoft.Network")
        );
        assert_eq!(last_quoted("no quotes"), None);
        assert_eq!(last_quoted("'../../evil'"), None);
        let url: Url =
            "https://management.example/subscriptions/0b1f-aa/resourceGroups/rg/x?api-version=1"
                .parse()
                .unwrap();
        assert_eq!(
            provider_url(&url, "Microsoft.Network").unwrap().as_str(),
            "https://management.example/subscriptions/0b1f-aa/providers/Microsoft.Network"
        );
        let no_sub: Url = "https://management.example/tenants/x".parse().unwrap();
        assert!(provider_url(&no_sub, "Microsoft.Network").is_none());
    }
}
