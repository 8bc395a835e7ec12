use std::fmt;

/// What went wrong, as a fieldless enum to `match` on, like [`std::io::ErrorKind`].
///
/// Each variant is one exception class of the Azure Core hierarchy. The hierarchy's is-a
/// relations hold through [`ErrorKind::is_a`] and the predicates on [`Error`](crate::Error):
/// a [`ResourceNotFound`](ErrorKind::ResourceNotFound) is also an
/// [`HttpResponse`](ErrorKind::HttpResponse) error, an
/// [`IncompleteRead`](ErrorKind::IncompleteRead) is also a [`Decode`](ErrorKind::Decode) error.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::ErrorKind;
///
/// assert!(ErrorKind::IncompleteRead.is_a(ErrorKind::Decode));
/// assert!(ErrorKind::IncompleteRead.is_a(ErrorKind::HttpResponse));
/// assert!(ErrorKind::ServiceRequestTimeout.is_a(ErrorKind::ServiceRequest));
/// assert!(ErrorKind::ServiceRequest.is_a(ErrorKind::Other)); // everything is an AzureError
/// assert!(!ErrorKind::Decode.is_a(ErrorKind::IncompleteRead));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `AzureError`: an error that fits no narrower kind. Every kind [`is_a`](Self::is_a) this.
    Other,
    /// `ServiceRequestError`: the request could not be sent; the service never saw it.
    ServiceRequest,
    /// `ServiceRequestTimeoutError`: connecting timed out.
    ServiceRequestTimeout,
    /// `ServiceResponseError`: the request was sent but the response could not be read.
    ServiceResponse,
    /// `ServiceResponseTimeoutError`: the response did not arrive in time.
    ServiceResponseTimeout,
    /// `HttpResponseError`: the service answered with a status the operation does not accept.
    HttpResponse,
    /// `DecodeError`: the response body could not be decoded.
    Decode,
    /// `IncompleteReadError`: the connection closed before the whole body arrived.
    IncompleteRead,
    /// `ResourceExistsError`: typically 409.
    ResourceExists,
    /// `ResourceNotFoundError`: typically 404, or 412 with `IfPresent`.
    ResourceNotFound,
    /// `ClientAuthenticationError`: typically 401.
    ClientAuthentication,
    /// `ResourceModifiedError`: typically 412 with `IfNotModified`.
    ResourceModified,
    /// `ResourceNotModifiedError`: typically 304.
    ResourceNotModified,
    /// `TooManyRedirectsError`: the redirect limit was reached.
    TooManyRedirects,
    /// `StreamConsumedError`: the response stream was already read.
    StreamConsumed,
    /// `StreamClosedError`: the response stream was already closed.
    StreamClosed,
    /// `ResponseNotReadError`: the content was asked for before the body was read.
    ResponseNotRead,
    /// `SerializationError`: a value could not be serialized.
    Serialization,
    /// `DeserializationError`: a value could not be deserialized.
    Deserialization,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 19] = [
        ErrorKind::Other,
        ErrorKind::ServiceRequest,
        ErrorKind::ServiceRequestTimeout,
        ErrorKind::ServiceResponse,
        ErrorKind::ServiceResponseTimeout,
        ErrorKind::HttpResponse,
        ErrorKind::Decode,
        ErrorKind::IncompleteRead,
        ErrorKind::ResourceExists,
        ErrorKind::ResourceNotFound,
        ErrorKind::ClientAuthentication,
        ErrorKind::ResourceModified,
        ErrorKind::ResourceNotModified,
        ErrorKind::TooManyRedirects,
        ErrorKind::StreamConsumed,
        ErrorKind::StreamClosed,
        ErrorKind::ResponseNotRead,
        ErrorKind::Serialization,
        ErrorKind::Deserialization,
    ];

    /// The kind this one specialises in the seed's hierarchy; `None` for
    /// [`Other`](Self::Other), the root.
    ///
    /// `Serialization` and `Deserialization` derive from Python's `ValueError`, not
    /// `AzureError`; here they sit under `Other` so that every error shares one root.
    pub const fn parent(self) -> Option<ErrorKind> {
        use ErrorKind as K;
        Some(match self {
            K::Other => return None,
            K::ServiceRequestTimeout => K::ServiceRequest,
            K::ServiceResponseTimeout => K::ServiceResponse,
            K::IncompleteRead => K::Decode,
            K::Decode
            | K::ResourceExists
            | K::ResourceNotFound
            | K::ClientAuthentication
            | K::ResourceModified
            | K::ResourceNotModified
            | K::TooManyRedirects => K::HttpResponse,
            K::ServiceRequest
            | K::ServiceResponse
            | K::HttpResponse
            | K::StreamConsumed
            | K::StreamClosed
            | K::ResponseNotRead
            | K::Serialization
            | K::Deserialization => K::Other,
        })
    }

    /// Whether this kind is `other` or one of its descendants, like Python's `isinstance`.
    pub const fn is_a(self, other: ErrorKind) -> bool {
        let mut k = self;
        loop {
            if k as u8 == other as u8 {
                return true;
            }
            match k.parent() {
                Some(p) => k = p,
                None => return false,
            }
        }
    }

    /// The name of the seed's exception class for this kind, e.g. `ResourceNotFoundError`.
    pub const fn class_name(self) -> &'static str {
        use ErrorKind as K;
        match self {
            K::Other => "AzureError",
            K::ServiceRequest => "ServiceRequestError",
            K::ServiceRequestTimeout => "ServiceRequestTimeoutError",
            K::ServiceResponse => "ServiceResponseError",
            K::ServiceResponseTimeout => "ServiceResponseTimeoutError",
            K::HttpResponse => "HttpResponseError",
            K::Decode => "DecodeError",
            K::IncompleteRead => "IncompleteReadError",
            K::ResourceExists => "ResourceExistsError",
            K::ResourceNotFound => "ResourceNotFoundError",
            K::ClientAuthentication => "ClientAuthenticationError",
            K::ResourceModified => "ResourceModifiedError",
            K::ResourceNotModified => "ResourceNotModifiedError",
            K::TooManyRedirects => "TooManyRedirectsError",
            K::StreamConsumed => "StreamConsumedError",
            K::StreamClosed => "StreamClosedError",
            K::ResponseNotRead => "ResponseNotReadError",
            K::Serialization => "SerializationError",
            K::Deserialization => "DeserializationError",
        }
    }

    /// A short description, used when an error has no message of its own.
    pub const fn description(self) -> &'static str {
        use ErrorKind as K;
        match self {
            K::Other => "client error",
            K::ServiceRequest => "the request could not be sent",
            K::ServiceRequestTimeout => "timed out while sending the request",
            K::ServiceResponse => "the response could not be read",
            K::ServiceResponseTimeout => "timed out while waiting for the response",
            K::HttpResponse => "the service returned an error status",
            K::Decode => "the response body could not be decoded",
            K::IncompleteRead => "the connection closed before the whole body arrived",
            K::ResourceExists => "the resource already exists",
            K::ResourceNotFound => "the resource was not found",
            K::ClientAuthentication => "authentication failed",
            K::ResourceModified => "the resource was modified",
            K::ResourceNotModified => "the resource was not modified",
            K::TooManyRedirects => "Reached maximum redirect attempts.",
            K::StreamConsumed => "the response stream was already consumed",
            K::StreamClosed => "the response stream was already closed",
            K::ResponseNotRead => "the response body was not read",
            K::Serialization => "serialization failed",
            K::Deserialization => "deserialization failed",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.class_name())
    }
}
