use std::fmt;

/// The Azion API's status classes: a classification of every HTTP error by status.
///
/// Reach it from any error with [`Error::azion_status`](crate::Error::azion_status); a status
/// with no class gives `None` and the error stays a generic
/// [`HttpResponse`](crate::ErrorKind::HttpResponse) error (the reference raised `TypeError`).
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::AzionStatus;
///
/// assert_eq!(AzionStatus::from_status(429), Some(AzionStatus::TooManyRequests));
/// assert_eq!(AzionStatus::from_status(502), None);
/// assert_eq!(AzionStatus::BadRequest.to_string(), "BadRequest");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AzionStatus {
    /// 400: the server could not understand the request.
    BadRequest,
    /// 401: the request lacks valid credentials.
    Unauthorized,
    /// 403: the server refuses to authorize the request.
    Forbidden,
    /// 404: the server cannot find the resource.
    NotFound,
    /// 405: the method is known but disabled.
    MethodNotAllowed,
    /// 406: no response matches the acceptable values.
    NotAcceptable,
    /// 409: the request conflicts with the server's state.
    Conflict,
    /// 429: rate limited.
    TooManyRequests,
    /// 500: the server failed.
    InternalServerError,
}

impl AzionStatus {
    /// The class of `status`, if it has one.
    pub const fn from_status(status: u16) -> Option<Self> {
        Some(match status {
            400 => AzionStatus::BadRequest,
            401 => AzionStatus::Unauthorized,
            403 => AzionStatus::Forbidden,
            404 => AzionStatus::NotFound,
            405 => AzionStatus::MethodNotAllowed,
            406 => AzionStatus::NotAcceptable,
            409 => AzionStatus::Conflict,
            429 => AzionStatus::TooManyRequests,
            500 => AzionStatus::InternalServerError,
            _ => return None,
        })
    }

    /// The status code of the class.
    pub const fn status(self) -> u16 {
        match self {
            AzionStatus::BadRequest => 400,
            AzionStatus::Unauthorized => 401,
            AzionStatus::Forbidden => 403,
            AzionStatus::NotFound => 404,
            AzionStatus::MethodNotAllowed => 405,
            AzionStatus::NotAcceptable => 406,
            AzionStatus::Conflict => 409,
            AzionStatus::TooManyRequests => 429,
            AzionStatus::InternalServerError => 500,
        }
    }

    /// The Azion class name, e.g. `NotFound`.
    pub const fn class_name(self) -> &'static str {
        match self {
            AzionStatus::BadRequest => "BadRequest",
            AzionStatus::Unauthorized => "Unauthorized",
            AzionStatus::Forbidden => "Forbidden",
            AzionStatus::NotFound => "NotFound",
            AzionStatus::MethodNotAllowed => "MethodNotAllowed",
            AzionStatus::NotAcceptable => "NotAcceptable",
            AzionStatus::Conflict => "Conflict",
            AzionStatus::TooManyRequests => "TooManyRequests",
            AzionStatus::InternalServerError => "InternalServerError",
        }
    }
}

impl fmt::Display for AzionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.class_name())
    }
}
