//! The setters and accessors of the throttle gate's knobs (issue 17).

use super::Options;
use crate::pipeline::throttle::ThrottleGate;

/// The client's throttle gate ([`crate::pipeline::throttle`]).
impl Options {
    /// Whether the call waits at its host's throttle gate: after a response said the host's
    /// window is spent (a 429 or 503 with `Retry-After`, a rate-limit header at 0; see
    /// [`throttle::signal`](crate::pipeline::throttle::signal)), every call of the client to
    /// that scheme, host and port waits for the window to reopen before sending, within its
    /// deadline. `false` sends at once, as if the gate were open; the call's responses still
    /// close the gate for the others. Default is `true`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::options::Options;
    ///
    /// assert!(Options::new().throttle_gate());
    /// let probe = Options::new().with_throttle_gate(false);
    /// assert!(!Options::new().overwrite(&probe).throttle_gate());
    /// ```
    #[must_use]
    pub fn with_throttle_gate(mut self, on: bool) -> Self {
        self.throttle.enable = Some(on);
        self
    }

    /// Whether the call waits at its host's throttle gate.
    pub fn throttle_gate(&self) -> bool {
        self.throttle.enable.unwrap_or(true)
    }

    /// The gate the calls share. Default: each client gets one of its own when it is built,
    /// shared by its clones; give clients the same gate to share what they learn of a host's
    /// windows. An exchange whose options have none (built by hand) has no gate.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::options::Options;
    /// use clientcore::pipeline::throttle::ThrottleGate;
    ///
    /// let shared = ThrottleGate::new();
    /// let a = Options::new().with_throttle_gate_state(shared.clone());
    /// assert!(a.throttle_gate_state().is_some());
    /// assert!(Options::new().throttle_gate_state().is_none());
    /// ```
    #[must_use]
    pub fn with_throttle_gate_state(mut self, gate: ThrottleGate) -> Self {
        self.throttle.gate = Some(gate);
        self
    }

    /// The gate the calls share, if one is set.
    pub fn throttle_gate_state(&self) -> Option<&ThrottleGate> {
        self.throttle.gate.as_ref()
    }
}
