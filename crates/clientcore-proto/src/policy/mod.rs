//! Request and response shaping shared by every driver: redaction, logging, credentials and
//! the `User-Agent`.

pub mod auth;
pub mod log;
pub mod redact;

/// 128 random bits, for client request ids and trace ids.
///
/// A per-thread generator (two wyrand streams), seeded once per thread from the operating
/// system (through UUID v4), so a call makes no system call for its ids. The ids are unique and
/// unpredictable enough for correlation, as OpenTelemetry's own id generator is; they are not
/// secrets and must not be used as such.
///
/// # Examples
///
/// ```
/// use clientcore_proto::policy::random_u128;
///
/// assert_ne!(random_u128(), random_u128());
/// ```
pub fn random_u128() -> u128 {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<(u64, u64)> = Cell::new(uuid::Uuid::new_v4().as_u64_pair());
    }
    #[allow(
        clippy::cast_possible_truncation,
        reason = "wyrand folds the two halves of a 128-bit product"
    )]
    fn wyrand(state: u64) -> u64 {
        let t = u128::from(state) * u128::from(state ^ 0xe703_7ed1_a0b4_28db);
        (t >> 64) as u64 ^ t as u64
    }
    STATE.with(|cell| {
        let (a, b) = cell.get();
        let (a, b) = (
            a.wrapping_add(0xa076_1d64_78bd_642f),
            b.wrapping_add(0xa076_1d64_78bd_642f),
        );
        cell.set((a, b));
        (u128::from(wyrand(a)) << 64) | u128::from(wyrand(b))
    })
}

/// The `User-Agent` value: `[{prefix} ]azsdk-rust-{sdk}/{version} ({os}; {arch})[ {suffix}]`.
///
/// `sdk` is the SDK's name and version (clientcore's own when `None`), `suffix` the value of
/// the user-agent environment variable, read by the driver.
///
/// # Examples
///
/// ```
/// use clientcore_proto::policy::user_agent;
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
