use super::ErrorKind;

/// Status code → [`ErrorKind`] for one operation, like the `error_map` of generated code.
///
/// A status with no entry (or an entry removed with [`without`](Self::without)) falls back to
/// the map's default, and without a default to [`ErrorKind::HttpResponse`]. Per-call
/// overrides are merged on top with [`merged`](Self::merged), as `error_map.update(...)` does.
///
/// # Examples
///
/// ```
/// use clientcore_proto::{ErrorKind, ErrorMap};
///
/// let map = ErrorMap::generated();
/// assert_eq!(map.kind_for(404), ErrorKind::ResourceNotFound);
/// assert_eq!(map.kind_for(500), ErrorKind::HttpResponse);
///
/// let per_call = ErrorMap::new().with(500, ErrorKind::ResourceExists).without(404);
/// let merged = map.merged(&per_call);
/// assert_eq!(merged.kind_for(500), ErrorKind::ResourceExists);
/// assert_eq!(merged.kind_for(404), ErrorKind::HttpResponse);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorMap {
    // Few entries (five in generated code): a vector beats a hash map here.
    entries: Vec<(u16, Option<ErrorKind>)>,
    default: Option<ErrorKind>,
}

impl ErrorMap {
    /// An empty map: every status is [`ErrorKind::HttpResponse`].
    pub fn new() -> Self {
        ErrorMap::default()
    }

    /// The defaults of generated operations: 401 `ClientAuthentication`, 404
    /// `ResourceNotFound`, 409 `ResourceExists`.
    ///
    /// 412 and 304 are not in it: they mean "a precondition failed" only for a call that
    /// carried one, and generated code adds them then (see
    /// [`with_match_conditions`](Self::with_match_conditions) and
    /// [`Conditional`](crate::conditions::Conditional)). Without a condition a 412 (say Azure
    /// Storage's `LeaseIdMissing`) is a plain [`ErrorKind::HttpResponse`].
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore_proto::{ErrorKind, ErrorMap};
    ///
    /// assert_eq!(ErrorMap::generated().kind_for(412), ErrorKind::HttpResponse);
    /// assert_eq!(ErrorMap::generated().kind_for(409), ErrorKind::ResourceExists);
    /// ```
    pub fn generated() -> Self {
        ErrorMap::new()
            .with(401, ErrorKind::ClientAuthentication)
            .with(404, ErrorKind::ResourceNotFound)
            .with(409, ErrorKind::ResourceExists)
    }

    /// [`generated`](Self::generated) plus what a call with a match condition adds: 412
    /// `ResourceModified` and 304 `ResourceNotModified`. For an SDK that wants the old
    /// default on every call, or a call that sets its conditional headers by hand.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore_proto::{ErrorKind, ErrorMap};
    ///
    /// let map = ErrorMap::with_match_conditions();
    /// assert_eq!(map.kind_for(412), ErrorKind::ResourceModified);
    /// assert_eq!(map.kind_for(304), ErrorKind::ResourceNotModified);
    /// assert_eq!(map.kind_for(404), ErrorKind::ResourceNotFound);
    /// ```
    pub fn with_match_conditions() -> Self {
        ErrorMap::generated()
            .with(304, ErrorKind::ResourceNotModified)
            .with(412, ErrorKind::ResourceModified)
    }

    /// Maps `status` to `kind`, replacing any earlier entry.
    #[must_use]
    pub fn with(mut self, status: u16, kind: ErrorKind) -> Self {
        self.set(status, Some(kind));
        self
    }

    /// Removes the mapping of `status` (Python's `{404: None}`), so it falls back to the
    /// default. Unlike simply not having an entry, this also overrides a base map when merged.
    #[must_use]
    pub fn without(mut self, status: u16) -> Self {
        self.set(status, None);
        self
    }

    /// The kind of every status without an entry. Default is none, i.e. `HttpResponse`.
    #[must_use]
    pub fn with_default(mut self, kind: ErrorKind) -> Self {
        self.default = Some(kind);
        self
    }

    fn set(&mut self, status: u16, kind: Option<ErrorKind>) {
        match self.entries.iter_mut().find(|(s, _)| *s == status) {
            Some(entry) => entry.1 = kind,
            None => self.entries.push((status, kind)),
        }
    }

    /// The mapped kind of `status`: its entry, else the default, else `None`.
    pub fn get(&self, status: u16) -> Option<ErrorKind> {
        self.entries
            .iter()
            .find(|(s, _)| *s == status)
            .and_then(|(_, k)| *k)
            .or(self.default)
    }

    /// The kind an error with `status` gets: [`get`](Self::get), else `HttpResponse`.
    pub fn kind_for(&self, status: u16) -> ErrorKind {
        self.get(status).unwrap_or(ErrorKind::HttpResponse)
    }

    /// This map with `overrides` applied on top (entries and default).
    #[must_use]
    pub fn merged(&self, overrides: &ErrorMap) -> ErrorMap {
        let mut out = self.clone();
        for &(status, kind) in &overrides.entries {
            out.set(status, kind);
        }
        if overrides.default.is_some() {
            out.default = overrides.default;
        }
        out
    }
}
