//! `Retry-After` and its millisecond cousins: how long a response asks the client to wait.
//!
//! HTTP-dates are parsed by `httpdate` (RFC 9110's IMF-fixdate and the two obsolete forms);
//! `rfc5322_date` only adds the RFC 5322 spellings the reference's `email.utils.parsedate_tz`
//! also takes and `httpdate` refuses (a one-digit day, a numeric zone, no weekday), so that a
//! server the reference understands is understood here too.

use std::time::{Duration, SystemTime};

use http::HeaderMap;

/// The wait a response asks for: `retry-after` (seconds or HTTP-date, RFC 9110 §10.2.3), then
/// `retry-after-ms`, then `x-ms-retry-after-ms`. A malformed or non-positive value gives
/// `None`; a number too large to represent gives [`Duration::MAX`] (longer than any cap).
/// `now` is the wall-clock time the response was received, for HTTP-dates.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::pipeline::retry::retry_after;
/// use std::time::{Duration, SystemTime};
///
/// let mut h = http::HeaderMap::new();
/// h.insert("retry-after", "2".parse().unwrap());
/// assert_eq!(retry_after(&h, SystemTime::now()), Some(Duration::from_secs(2)));
/// h.insert("retry-after", "soon".parse().unwrap());
/// assert_eq!(retry_after(&h, SystemTime::now()), None);
/// ```
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(v) = value("retry-after") {
        if let Some(d) = seconds(v, 1.0) {
            return Some(d);
        }
        let date = httpdate::parse_http_date(v)
            .ok()
            .or_else(|| rfc5322_date(v));
        if let Some(date) = date {
            return date.duration_since(now).ok().filter(|d| !d.is_zero());
        }
    }
    ["retry-after-ms", "x-ms-retry-after-ms"]
        .into_iter()
        .find_map(|name| seconds(value(name)?, 1000.0))
}

/// The RFC 5322 §3.3 dates the reference's `email.utils.parsedate_tz` also accepts and
/// `httpdate` does not: a one-digit day, a numeric zone (`-0500`), `UT`/`Z`, no weekday.
fn rfc5322_date(value: &str) -> Option<SystemTime> {
    let value = value.split_once(',').map_or(value, |(_, rest)| rest);
    let mut it = value.split_whitespace();
    let day: u32 = it.next()?.parse().ok()?;
    let month = it.next()?.to_ascii_lowercase();
    let month = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    .iter()
    .position(|m| *m == month)?;
    // A year past 9999 is read as 9999 (the wait is longer than any cap either way) and one
    // before 0 as 0 (long past): the day count below stays far from i64's range, which a
    // year of fifteen digits overflowed (found by the `retry_after` fuzz target).
    let year: i64 = it.next()?.parse::<i64>().ok()?.clamp(0, 9999);
    let mut hms = it.next()?.split(':').map(str::parse::<u32>);
    let (hour, minute) = (hms.next()?.ok()?, hms.next()?.ok()?);
    let sec = hms.next().transpose().ok()?.unwrap_or(0);
    let zone = it.next().unwrap_or("GMT");
    if it.next().is_some() || !(1..=31).contains(&day) || hour > 23 || minute > 59 || sec > 60 {
        return None;
    }
    let offset: i64 = match zone {
        "GMT" | "UT" | "UTC" | "Z" => 0,
        z if z.len() == 5 && (z.starts_with('+') || z.starts_with('-')) => {
            let n: i64 = z[1..].parse().ok()?;
            let secs = (n / 100) * 3600 + (n % 100) * 60;
            if z.starts_with('-') {
                -secs
            } else {
                secs
            }
        }
        _ => return None,
    };
    // Days since the epoch of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    let (y, mo) = {
        let mo = i64::try_from(month).ok()? + 1;
        if mo <= 2 {
            (year - 1, mo + 9)
        } else {
            (year, mo - 3)
        }
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let t =
        days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(sec) - offset;
    let t = u64::try_from(t).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(t))
}

fn seconds(v: &str, per_second: f64) -> Option<Duration> {
    let n: f64 = v.parse().ok()?;
    let secs = n / per_second;
    // A positive number too large for a `Duration` (`1e20`, twenty-three nines, or digits
    // enough to overflow f64 itself: all valid delay-seconds per RFC 9110) asks for longer
    // than any cap, not for nothing: the longest wait, which the caller's cap then shortens
    // (or which fails fast past the deadline). Only the words `inf` and `infinity` are not
    // numbers a server meant.
    let spelled_infinity = v
        .trim_start_matches('+')
        .get(..3)
        .is_some_and(|s| s.eq_ignore_ascii_case("inf"));
    if secs >= Duration::MAX.as_secs_f64() && !spelled_infinity {
        return Some(Duration::MAX);
    }
    // Duration::try_from_secs_f64 rejects NaN, infinities and negatives instead of panicking.
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_dates() {
        let at = |s| rfc5322_date(s).map(httpdate::fmt_http_date);
        assert_eq!(
            at("Fri, 1 Oct 2100 00:00:00 GMT").as_deref(),
            Some("Fri, 01 Oct 2100 00:00:00 GMT")
        );
        assert_eq!(
            at("Mon, 20 Nov 1995 19:12:08 -0500").as_deref(),
            Some("Tue, 21 Nov 1995 00:12:08 GMT")
        );
        assert_eq!(
            at("29 Feb 2024 23:59 +0130").as_deref(),
            Some("Thu, 29 Feb 2024 22:29:00 GMT")
        );
        for bad in [
            "",
            "soon",
            "1 Foo 2020 00:00:00 GMT",
            "1 Jan 2020 25:00:00 GMT",
            "1 Jan 1900 00:00:00 GMT",
            "1 Jan -9223372036854775808 00:00:00 GMT",
        ] {
            assert_eq!(rfc5322_date(bad), None, "{bad}");
        }
        // Years beyond i64's day arithmetic: the far future, not a panic.
        assert_eq!(
            at("Wed, 21 Oct 242000005070000 07:28:00 GMT").as_deref(),
            Some("Thu, 21 Oct 9999 07:28:00 GMT")
        );
        let mut h = HeaderMap::new();
        h.insert(
            "retry-after",
            "Wed, 21 Oct 9223372036854775807 07:28:00 GMT"
                .parse()
                .unwrap(),
        );
        assert!(retry_after(&h, SystemTime::UNIX_EPOCH).unwrap() > Duration::from_secs(1 << 37));
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let mut h = HeaderMap::new();
        h.insert("retry-after-ms", "1500".parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_millis(1500)));
        h.insert(
            "retry-after",
            httpdate::fmt_http_date(now + Duration::from_secs(7))
                .parse()
                .unwrap(),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        h.insert("retry-after", "-3".parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_millis(1500)));
        h.insert("retry-after", "NaN".parse().unwrap());
        h.remove("retry-after-ms");
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    fn retry_after_too_large_to_represent_is_the_longest_wait() {
        let now = SystemTime::UNIX_EPOCH;
        for (name, value) in [
            ("retry-after", "1e20"),
            ("retry-after", "99999999999999999999999"),
            ("retry-after-ms", "1e30"),
            ("x-ms-retry-after-ms", "1e30"),
            ("retry-after", "1.7976931348623157e308"),
            // More digits than f64 holds: parsed as infinity, still a number.
            ("retry-after", &"9".repeat(400)),
        ] {
            let mut h = HeaderMap::new();
            h.insert(name, value.parse().unwrap());
            assert_eq!(retry_after(&h, now), Some(Duration::MAX), "{name}: {value}");
        }
        // Not numbers, or not positive: still ignored.
        for value in ["inf", "+Infinity", "-1e30", "1e", "0", "NaN"] {
            let mut h = HeaderMap::new();
            h.insert("retry-after", value.parse().unwrap());
            assert_eq!(retry_after(&h, now), None, "{value}");
        }
    }
}
