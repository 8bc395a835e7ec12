//! Date, time and duration wire formats, on `std` types.
//!
//! Dates are [`SystemTime`]s, the type `httpdate` and `Retry-After` already use, so no date
//! crate is imposed on SDKs; convert to `time` or `chrono` at the edge if needed. A `SystemTime`
//! has no offset: RFC 3339 input is normalised to UTC, which is what the reference writes too
//! (`+00:00` becomes `Z`, other offsets are converted).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, ErrorKind};

const NANOS: u32 = 1_000_000_000;

fn invalid(what: &str, input: &str) -> Error {
    let shown: String = input.chars().take(64).collect();
    Error::new(
        ErrorKind::Deserialization,
        format!("invalid {what}: '{shown}'"),
    )
}

/// Seconds and nanoseconds since the epoch, floored (nanoseconds are always forward).
fn to_unix(t: SystemTime) -> (i64, u32) {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_nanos(),
        ),
        Err(e) => {
            let d = e.duration();
            let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            match d.subsec_nanos() {
                0 => (-secs, 0),
                n => (-secs - 1, NANOS - n),
            }
        }
    }
}

fn from_unix(secs: i64, nanos: u32) -> Option<SystemTime> {
    let whole = if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()))?
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))?
    };
    whole.checked_add(Duration::from_nanos(u64::from(nanos)))
}

// Howard Hinnant's `days_from_civil` and `civil_from_days` (proleptic Gregorian, day 0 is
// 1970-01-01), exact for every year an i64 day count can hold.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let (m, d) = (i64::from(m), i64::from(d));
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// A tiny cursor over ASCII input.
struct Cursor<'a> {
    s: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let chunk = self.s.get(self.at..self.at + n)?;
        let mut v = 0u32;
        for &b in chunk {
            if !b.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(b - b'0');
        }
        self.at += n;
        Some(v)
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn eat(&mut self, pred: impl Fn(u8) -> bool) -> Option<u8> {
        let b = self.peek().filter(|&b| pred(b))?;
        self.at += 1;
        Some(b)
    }

    fn done(&self) -> bool {
        self.at == self.s.len()
    }
}

/// The serde `with` functions of a text format module: `serialize` writes `format(value)`,
/// `deserialize` reads a string with `parse`. Written once for every such module.
macro_rules! text_serde {
    ($ty:ident, $what:literal) => {
        /// Serializes with [`format()`].
        ///
        /// # Errors
        ///
        /// Only the serializer's own.
        #[allow(
            clippy::trivially_copy_pass_by_ref,
            reason = "serde's `with` calls it with a reference"
        )]
        pub fn serialize<S: serde::Serializer>(value: &$ty, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_str(&format(*value))
        }

        #[doc = concat!("Deserializes with [`parse`].\n\n# Errors\n\nWhen the value is not ", $what, ".")]
        pub fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<$ty, D::Error> {
            let s = <String as serde::Deserialize>::deserialize(deserializer)?;
            parse(&s).map_err(serde::de::Error::custom)
        }

        /// The same format for an optional field (`#[serde(default, with = "….option")]`):
        /// `None` is written as nothing (`null` in JSON) and read from `null` or, with
        /// `default`, from a missing field.
        pub mod option {
            /// Serializes `Some` with [`format()`](super::format), `None` as the format's none.
            ///
            /// # Errors
            ///
            /// Only the serializer's own.
            #[allow(
                clippy::ref_option,
                reason = "serde's `with` calls it with a reference to the field"
            )]
            pub fn serialize<S: serde::Serializer>(value: &Option<super::$ty>, serializer: S) -> Result<S::Ok, S::Error> {
                match value {
                    Some(v) => serializer.serialize_some(&super::format(*v)),
                    None => serializer.serialize_none(),
                }
            }

            #[doc = concat!("Deserializes with [`parse`](super::parse).\n\n# Errors\n\nWhen the value is neither null nor ", $what, ".")]
            pub fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<super::$ty>, D::Error> {
                let s = <Option<String> as serde::Deserialize>::deserialize(deserializer)?;
                s.map(|s| super::parse(&s).map_err(serde::de::Error::custom)).transpose()
            }
        }
    };
}

/// RFC 3339 date-times (`2020-01-02T03:04:05.123456Z`), as the reference's `AzureJSONEncoder`
/// writes them.
///
/// Written in UTC with `Z`; the fraction has 6 digits when the time is a whole number of
/// microseconds and not a whole second (the reference's `.780000`), 9 digits when it has
/// nanoseconds, and none otherwise. Read: any offset (`Z`, `z`, `+hh:mm`, `-hh:mm`), `T`, `t`
/// or a space between date and time, and any number of fraction digits (beyond nanoseconds
/// they are cut).
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::model::rfc3339;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let t = rfc3339::parse("1999-12-31T23:59:59-12:00").unwrap();
/// assert_eq!(rfc3339::format(t), "2000-01-01T11:59:59Z");
/// assert_eq!(rfc3339::format(UNIX_EPOCH + Duration::from_millis(1500)), "1970-01-01T00:00:01.500000Z");
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Blob {
///     #[serde(with = "rfc3339")]
///     created: std::time::SystemTime,
/// }
/// let b: Blob = serde_json::from_str(r#"{"created": "2015-06-01T16:10:08.0121+12:00"}"#).unwrap();
/// assert_eq!(serde_json::to_string(&b).unwrap(), r#"{"created":"2015-06-01T04:10:08.012100Z"}"#);
/// ```
pub mod rfc3339 {
    use super::{
        civil_from_days, days_from_civil, days_in_month, from_unix, invalid, to_unix, Cursor,
    };
    use crate::error::Error;
    use std::fmt::Write as _;
    use std::time::SystemTime;

    /// Writes `t` in UTC.
    pub fn format(t: SystemTime) -> String {
        let (secs, nanos) = to_unix(t);
        let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        let mut out = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            sod / 3600,
            sod / 60 % 60,
            sod % 60
        );
        if nanos % 1000 == 0 && nanos != 0 {
            let _ = write!(out, ".{:06}", nanos / 1000);
        } else if nanos != 0 {
            let _ = write!(out, ".{nanos:09}");
        }
        out.push('Z');
        out
    }

    /// Reads an RFC 3339 date-time.
    ///
    /// # Errors
    ///
    /// A [`Deserialization`](crate::ErrorKind::Deserialization) error when `s` is not one.
    pub fn parse(s: &str) -> Result<SystemTime, Error> {
        parse_inner(s.trim()).ok_or_else(|| invalid("RFC 3339 date-time", s))
    }

    #[allow(
        clippy::many_single_char_names,
        reason = "y, m, d and c read like the grammar they parse"
    )]
    fn parse_inner(s: &str) -> Option<SystemTime> {
        let mut c = Cursor {
            s: s.as_bytes(),
            at: 0,
        };
        let y = c.digits(4)?;
        c.eat(|b| b == b'-')?;
        let m = c.digits(2)?;
        c.eat(|b| b == b'-')?;
        let d = c.digits(2)?;
        c.eat(|b| matches!(b, b'T' | b't' | b' '))?;
        let hh = c.digits(2)?;
        c.eat(|b| b == b':')?;
        let mm = c.digits(2)?;
        c.eat(|b| b == b':')?;
        let ss = c.digits(2)?;
        let mut nanos = 0u32;
        if c.eat(|b| b == b'.').is_some() {
            let mut scale = 100_000_000u32;
            let mut any = false;
            while let Some(b) = c.eat(|b| b.is_ascii_digit()) {
                nanos += u32::from(b - b'0') * scale;
                scale /= 10;
                any = true;
            }
            if !any {
                return None;
            }
        }
        let offset = match c.eat(|b| matches!(b, b'Z' | b'z' | b'+' | b'-'))? {
            b'+' => offset(&mut c)?,
            b'-' => -offset(&mut c)?,
            _ => 0,
        };
        if !c.done()
            || !(1..=12).contains(&m)
            || d == 0
            || d > days_in_month(i64::from(y), m)
            || hh > 23
            || mm > 59
            // RFC 3339 §5.6 allows a leap second; it reads as the next second's start.
            || ss > 60
        {
            return None;
        }
        let days = days_from_civil(i64::from(y), m, d);
        let secs =
            days * 86_400 + i64::from(hh) * 3600 + i64::from(mm) * 60 + i64::from(ss) - offset;
        from_unix(secs, nanos)
    }

    /// `hh:mm` of an offset, in seconds.
    fn offset(c: &mut Cursor<'_>) -> Option<i64> {
        let oh = c.digits(2)?;
        c.eat(|b| b == b':')?;
        let om = c.digits(2)?;
        (oh <= 23 && om <= 59).then_some(i64::from(oh * 3600 + om * 60))
    }

    text_serde!(SystemTime, "an RFC 3339 string");
}

/// RFC 7231 HTTP dates (`Sun, 06 Nov 1994 08:49:37 GMT`), as in `Last-Modified` and
/// `x-ms-date`. Whole seconds; years 1970 to 9999 (what `httpdate` handles). Read: also the
/// obsolete RFC 850 and asctime forms, as RFC 7231 §7.1.1.1 requires of recipients.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::model::rfc7231;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
/// assert_eq!(rfc7231::format(t), "Sun, 06 Nov 1994 08:49:37 GMT");
/// assert_eq!(rfc7231::parse("Sunday, 06-Nov-94 08:49:37 GMT").unwrap(), t);
///
/// // An optional date: `option` reads null or a missing field (with `default`) as `None`.
/// #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
/// struct Message {
///     #[serde(default, with = "rfc7231::option")]
///     expires: Option<std::time::SystemTime>,
/// }
/// let m: Message = serde_json::from_str(r#"{"expires": "Sun, 06 Nov 1994 08:49:37 GMT"}"#).unwrap();
/// assert_eq!(m.expires, Some(t));
/// assert_eq!(serde_json::from_str::<Message>("{}").unwrap().expires, None);
/// assert_eq!(serde_json::to_string(&Message { expires: None }).unwrap(), r#"{"expires":null}"#);
/// assert!(serde_json::from_str::<Message>(r#"{"expires": "soon"}"#).is_err());
/// ```
pub mod rfc7231 {
    use super::invalid;
    use crate::error::Error;
    use std::time::SystemTime;

    /// Writes `t` (sub-second precision is dropped).
    pub fn format(t: SystemTime) -> String {
        httpdate::fmt_http_date(t)
    }

    /// Reads an HTTP date.
    ///
    /// # Errors
    ///
    /// A [`Deserialization`](crate::ErrorKind::Deserialization) error when `s` is not one.
    pub fn parse(s: &str) -> Result<SystemTime, Error> {
        httpdate::parse_http_date(s.trim()).map_err(|_| invalid("HTTP date", s))
    }

    text_serde!(SystemTime, "an HTTP-date string");
}

/// Unix time: whole seconds since 1970-01-01T00:00:00Z as a JSON integer (negative before).
/// Sub-second precision is dropped when writing (floored).
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::model::unix_time;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Token {
///     #[serde(with = "unix_time")]
///     expires_on: std::time::SystemTime,
/// }
/// let t: Token = serde_json::from_str(r#"{"expires_on": 1577934245}"#).unwrap();
/// assert_eq!(t.expires_on, UNIX_EPOCH + Duration::from_secs(1_577_934_245));
/// assert_eq!(unix_time::to_secs(t.expires_on), 1_577_934_245);
/// ```
pub mod unix_time {
    use super::{from_unix, to_unix};
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::SystemTime;

    /// Whole seconds since the epoch, floored.
    pub fn to_secs(t: SystemTime) -> i64 {
        to_unix(t).0
    }

    /// The time `secs` seconds after the epoch; `None` when the platform cannot hold it.
    pub fn from_secs(secs: i64) -> Option<SystemTime> {
        from_unix(secs, 0)
    }

    /// Serializes as an integer.
    ///
    /// # Errors
    ///
    /// Only the serializer's own.
    #[allow(
        clippy::trivially_copy_pass_by_ref,
        reason = "serde's `with` calls it with a reference"
    )]
    pub fn serialize<S: Serializer>(t: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(to_secs(*t))
    }

    /// Deserializes from an integer.
    ///
    /// # Errors
    ///
    /// When the value is not an integer, or out of range.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SystemTime, D::Error> {
        let secs = i64::deserialize(deserializer)?;
        from_secs(secs).ok_or_else(|| serde::de::Error::custom("unix time out of range"))
    }
}

/// ISO 8601 durations (`P4DT12H30M05S`), written exactly as the reference's
/// `AzureJSONEncoder` writes a `timedelta`: days when non-zero, then hours and minutes (two
/// digits) once a larger unit is non-zero, and seconds always, with trailing zeros of the
/// fraction removed (`PT00S`, `PT01M00S`, `P1DT00H00M00S`, `PT01.5S`).
///
/// Read: weeks, days, hours, minutes and seconds, each with an optional fraction (`.` or `,`).
/// Years and months have no fixed length and are refused, as is a negative duration (a
/// [`Duration`](std::time::Duration) cannot hold one; the reference writes `timedelta(seconds=-1)`
/// as `P-1DT23H59M59S`).
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::model::duration;
/// use std::time::Duration;
///
/// assert_eq!(duration::format(Duration::from_secs(86_400)), "P1DT00H00M00S");
/// assert_eq!(duration::format(Duration::from_millis(1500)), "PT01.5S");
/// assert_eq!(duration::parse("PT1H30M").unwrap(), Duration::from_secs(5400));
/// assert!(duration::parse("P1Y").is_err());
/// ```
pub mod duration {
    use super::{invalid, NANOS};
    use crate::error::Error;
    use std::fmt::Write as _;
    use std::time::Duration;

    /// Writes `d` as the reference does.
    pub fn format(d: Duration) -> String {
        let total = d.as_secs();
        let (days, hours, minutes, seconds) = (
            total / 86_400,
            total / 3600 % 24,
            total / 60 % 60,
            total % 60,
        );
        let mut out = String::from("P");
        if days != 0 {
            let _ = write!(out, "{days}D");
        }
        out.push('T');
        let mut bigger = days != 0 || hours != 0;
        if bigger {
            let _ = write!(out, "{hours:02}H");
        }
        bigger = bigger || minutes != 0;
        if bigger {
            let _ = write!(out, "{minutes:02}M");
        }
        let _ = write!(out, "{seconds:02}");
        let nanos = d.subsec_nanos();
        if nanos != 0 {
            let frac = format!("{nanos:09}");
            let _ = write!(out, ".{}", frac.trim_end_matches('0'));
        }
        out.push('S');
        out
    }

    /// Reads an ISO 8601 duration.
    ///
    /// # Errors
    ///
    /// A [`Deserialization`](crate::ErrorKind::Deserialization) error when `s` is not a
    /// duration this module reads.
    pub fn parse(s: &str) -> Result<Duration, Error> {
        parse_inner(s.trim()).ok_or_else(|| invalid("ISO 8601 duration", s))
    }

    fn parse_inner(s: &str) -> Option<Duration> {
        let rest = s.strip_prefix(['P', 'p'])?;
        let mut total: u128 = 0;
        let mut in_time = false;
        let mut any = false;
        let mut chars = rest;
        while !chars.is_empty() {
            if let Some(r) = chars.strip_prefix(['T', 't']) {
                if in_time {
                    return None;
                }
                in_time = true;
                chars = r;
                continue;
            }
            let end = chars
                .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
                .filter(|&e| e > 0)?;
            let (number, after) = chars.split_at(end);
            let unit = after.chars().next()?.to_ascii_uppercase();
            let nanos_per: u128 = match (unit, in_time) {
                ('W', false) => 7 * 86_400 * u128::from(NANOS),
                ('D', false) => 86_400 * u128::from(NANOS),
                ('H', true) => 3600 * u128::from(NANOS),
                ('M', true) => 60 * u128::from(NANOS),
                ('S', true) => u128::from(NANOS),
                _ => return None,
            };
            total = total.checked_add(scaled(number, nanos_per)?)?;
            any = true;
            chars = &after[1..];
        }
        if !any {
            return None;
        }
        let secs = u64::try_from(total / u128::from(NANOS)).ok()?;
        let nanos = u32::try_from(total % u128::from(NANOS)).ok()?;
        Some(Duration::new(secs, nanos))
    }

    /// `number` (with an optional fraction) times `per`, exactly for up to 9 fraction digits.
    fn scaled(number: &str, per: u128) -> Option<u128> {
        let (int, frac) = match number.split_once(['.', ',']) {
            Some((i, f)) if !i.is_empty() && !f.is_empty() => (i, f),
            Some(_) => return None,
            None => (number, ""),
        };
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let whole = int.parse::<u128>().ok()?.checked_mul(per)?;
        let frac: String = frac.chars().take(9).collect();
        let scale = 10u128.pow(u32::try_from(frac.len()).ok()?);
        let part = if frac.is_empty() {
            0
        } else {
            frac.parse::<u128>().ok()? * per / scale
        };
        whole.checked_add(part)
    }

    text_serde!(Duration, "an ISO 8601 duration string");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_dates_read_null_missing_and_bad_values_apart() {
        #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        struct Item {
            #[serde(default, with = "rfc3339::option")]
            at: Option<SystemTime>,
        }
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(86_400);
        let got: Item = serde_json::from_str(r#"{"at": "1970-01-02T00:00:00Z"}"#).unwrap();
        assert_eq!(got.at, Some(t));
        assert_eq!(
            serde_json::to_string(&got).unwrap(),
            r#"{"at":"1970-01-02T00:00:00Z"}"#
        );
        let none: Item = serde_json::from_str(r#"{"at": null}"#).unwrap();
        assert_eq!(none.at, None);
        assert_eq!(serde_json::from_str::<Item>("{}").unwrap().at, None);
        let err = serde_json::from_str::<Item>(r#"{"at": "yesterday"}"#).unwrap_err();
        assert!(err.to_string().contains("yesterday"), "{err}");
    }

    #[test]
    fn civil_round_trips_at_edges() {
        for (y, m, d) in [
            (1, 1, 1),
            (1970, 1, 1),
            (2000, 2, 29),
            (9999, 12, 31),
            (1600, 3, 1),
        ] {
            assert_eq!(civil_from_days(days_from_civil(y, m, d)), (y, m, d));
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
    }

    #[test]
    fn negative_times_floor() {
        let t = UNIX_EPOCH - Duration::from_millis(1500);
        assert_eq!(to_unix(t), (-2, 500_000_000));
        assert_eq!(from_unix(-2, 500_000_000), Some(t));
    }
}
