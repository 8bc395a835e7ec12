use super::ErrorKind;

/// Status code and service error code → [`ErrorKind`] for one operation, like the
/// `error_map` of generated code plus the code table of an SDK's own error processing (the
/// Storage SDKs' `process_storage_error`).
///
/// An error's kind is, in order: the entry of its service error code (see
/// [`with_code`](Self::with_code)), the entry of its status, the map's default, and
/// [`ErrorKind::HttpResponse`]. An entry removed with [`without`](Self::without) or
/// [`without_code`](Self::without_code) falls through to the next. Per-call overrides are
/// merged on top with [`merged`](Self::merged), as `error_map.update(...)` does.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::{ErrorKind, ErrorMap};
///
/// let map = ErrorMap::generated();
/// assert_eq!(map.kind_for(404), ErrorKind::ResourceNotFound);
/// assert_eq!(map.kind_for(500), ErrorKind::HttpResponse);
///
/// let per_call = ErrorMap::new().with(500, ErrorKind::ResourceExists).without(404);
/// let merged = map.merged(&per_call);
/// assert_eq!(merged.kind_for(500), ErrorKind::ResourceExists);
/// assert_eq!(merged.kind_for(404), ErrorKind::HttpResponse);
///
/// // A service error code wins over the status.
/// let storage = ErrorMap::generated()
///     .with_code("AuthenticationFailed", ErrorKind::ClientAuthentication)
///     .with_code("QueueAlreadyExists", ErrorKind::ResourceExists);
/// assert_eq!(storage.kind_for_error(403, Some("AuthenticationFailed")), ErrorKind::ClientAuthentication);
/// assert_eq!(storage.kind_for_error(403, Some("AuthorizationFailure")), ErrorKind::HttpResponse);
/// assert_eq!(storage.kind_for_error(404, None), ErrorKind::ResourceNotFound);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorMap {
    // Few entries (five in generated code): a vector beats a hash map here.
    entries: Vec<(u16, Option<ErrorKind>)>,
    // A service maps a handful of its codes; the same reasoning holds.
    codes: Vec<(Box<str>, Option<ErrorKind>)>,
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
    /// # use clientcore_proto as clientcore;
    /// use clientcore::{ErrorKind, ErrorMap};
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
    /// # use clientcore_proto as clientcore;
    /// use clientcore::{ErrorKind, ErrorMap};
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

    /// Maps the service error code `code` to `kind`, whatever the status, replacing any
    /// earlier entry for it. A code entry wins over the status entry.
    ///
    /// The code of an error is the one [`Error::error_code`](crate::Error::error_code)
    /// reports: the `x-ms-error-code` header, else the code of the body parsed in the
    /// operation's format. Codes are compared exactly, case included: they are identifiers
    /// that services document and send in one spelling (`QueueAlreadyExists`), and the
    /// reference compares them exactly too (`StorageErrorCode(value)` looks values up by
    /// equality).
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::{ErrorKind, ErrorMap};
    ///
    /// let map = ErrorMap::generated().with_code("QueueAlreadyExists", ErrorKind::ResourceExists);
    /// assert_eq!(map.kind_for_error(409, Some("QueueAlreadyExists")), ErrorKind::ResourceExists);
    /// assert_eq!(map.kind_for_error(500, Some("queuealreadyexists")), ErrorKind::HttpResponse);
    /// ```
    #[must_use]
    pub fn with_code(mut self, code: impl Into<String>, kind: ErrorKind) -> Self {
        self.set_code(code.into(), Some(kind));
        self
    }

    /// Removes the mapping of the service error code `code`, so an error with it gets the
    /// kind of its status. Like [`without`](Self::without), this also overrides a base map
    /// when merged.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::{ErrorKind, ErrorMap};
    ///
    /// let client = ErrorMap::generated().with_code("LeaseIdMissing", ErrorKind::ResourceModified);
    /// let call = ErrorMap::new().without_code("LeaseIdMissing");
    /// assert_eq!(client.merged(&call).kind_for_error(412, Some("LeaseIdMissing")), ErrorKind::HttpResponse);
    /// ```
    #[must_use]
    pub fn without_code(mut self, code: impl Into<String>) -> Self {
        self.set_code(code.into(), None);
        self
    }

    fn set_code(&mut self, code: String, kind: Option<ErrorKind>) {
        match self.codes.iter_mut().find(|(c, _)| **c == *code) {
            Some(entry) => entry.1 = kind,
            None => self.codes.push((code.into_boxed_str(), kind)),
        }
    }

    /// The mapped kind of the service error code `code`: its entry, if it has one that was
    /// not removed. Neither the status entries nor the default are consulted.
    pub fn get_code(&self, code: &str) -> Option<ErrorKind> {
        self.codes
            .iter()
            .find(|(c, _)| **c == *code)
            .and_then(|(_, k)| *k)
    }

    /// The kind an error with `status` and the service error code `code` gets: the code's
    /// entry, else [`kind_for`](Self::kind_for) the status.
    pub fn kind_for_error(&self, status: u16, code: Option<&str>) -> ErrorKind {
        code.and_then(|c| self.get_code(c))
            .unwrap_or_else(|| self.kind_for(status))
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

    /// This map with `overrides` applied on top (status entries, code entries and default).
    #[must_use]
    pub fn merged(&self, overrides: &ErrorMap) -> ErrorMap {
        let mut out = self.clone();
        for &(status, kind) in &overrides.entries {
            out.set(status, kind);
        }
        for (code, kind) in &overrides.codes {
            out.set_code(code.to_string(), *kind);
        }
        if overrides.default.is_some() {
            out.default = overrides.default;
        }
        out
    }
}
