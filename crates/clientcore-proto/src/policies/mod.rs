//! Request and response shaping shared by every driver: redaction, logging, credentials and
//! the `User-Agent`.

pub mod arm;
pub mod auth;
pub mod challenge;
pub mod log;
pub mod redact;
pub mod sign;

/// 128 random bits, for client request ids and trace ids.
///
/// `fastrand`'s per-thread generator (wyrand), seeded once per thread from the operating
/// system, so a call makes no system call for its ids. The ids are unique and unpredictable
/// enough for correlation, as OpenTelemetry's own id generator is; they are not secrets and
/// must not be used as such.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::policies::random_u128;
///
/// assert_ne!(random_u128(), random_u128());
/// ```
pub fn random_u128() -> u128 {
    fastrand::u128(..)
}

/// The `User-Agent` value: `[{prefix} ]azsdk-rust-{sdk}/{version} ({os}; {arch})[ {suffix}]`.
///
/// `sdk` is the SDK's name and version (clientcore's own when `None`), `suffix` the value of
/// the user-agent environment variable, read by the driver.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::policies::user_agent;
///
/// let ua = user_agent(Some("myapp/2"), Some(("storage", "1.0.0")), Some("ci"));
/// assert!(ua.starts_with("myapp/2 azsdk-rust-storage/1.0.0 ("));
/// assert!(ua.ends_with(") ci"));
/// ```
pub fn user_agent(prefix: Option<&str>, sdk: Option<(&str, &str)>, suffix: Option<&str>) -> String {
    let (name, version) = sdk.unwrap_or(("clientcore", env!("CARGO_PKG_VERSION")));
    let mut ua = String::with_capacity(96);
    if let Some(p) = prefix.filter(|p| !p.is_empty()) {
        ua.push_str(p);
        ua.push(' ');
    }
    ua.push_str("azsdk-rust-");
    ua.push_str(name);
    ua.push('/');
    ua.push_str(version);
    ua.push_str(" (");
    ua.push_str(std::env::consts::OS);
    ua.push_str("; ");
    ua.push_str(std::env::consts::ARCH);
    ua.push(')');
    if let Some(s) = suffix.filter(|s| !s.is_empty()) {
        ua.push(' ');
        ua.push_str(s);
    }
    ua
}
