//! Dates without a time and times without a date, as the reference writes `date` and `time`
//! (`"2021-05-12"`, `"11:12:13"`, `"11:22:33.444444"`).

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind};

/// A calendar date in the proleptic Gregorian calendar, written `YYYY-MM-DD`.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::model::Date;
///
/// let d: Date = "2021-05-12".parse()?;
/// assert_eq!((d.year(), d.month(), d.day()), (2021, 5, 12));
/// assert_eq!(d.to_string(), "2021-05-12");
/// assert!("2021-02-29".parse::<Date>().is_err());
/// # Ok::<(), clientcore::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// A time of day, written `HH:MM:SS` with microseconds only when they are not zero, as
/// Python's `time.isoformat()` does.
///
/// # Examples
///
/// ```
/// # use clientcore_proto as clientcore;
/// use clientcore::model::TimeOfDay;
///
/// let t: TimeOfDay = "11:22:33.444444".parse()?;
/// assert_eq!(t.microsecond(), 444_444);
/// assert_eq!(t.to_string(), "11:22:33.444444");
/// assert_eq!(TimeOfDay::new(11, 12, 13, 0)?.to_string(), "11:12:13");
/// # Ok::<(), clientcore::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay {
    hour: u8,
    minute: u8,
    second: u8,
    microsecond: u32,
}

fn invalid(what: &str, text: &str) -> Error {
    Error::new(
        ErrorKind::Deserialization,
        format!("'{text}' is not a valid {what}"),
    )
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses exactly `n` ASCII digits.
fn digits(text: &str, n: usize) -> Option<u32> {
    (text.len() == n && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

impl Date {
    /// A date.
    ///
    /// # Errors
    ///
    /// `Deserialization` when the date does not exist (year 0 included).
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, Error> {
        let ok = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        if ok {
            Ok(Date { year, month, day })
        } else {
            Err(invalid("date", &format!("{year:04}-{month:02}-{day:02}")))
        }
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u8 {
        self.day
    }
}

impl FromStr for Date {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let mut it = text.split('-');
        let (Some(y), Some(m), Some(d), None) = (it.next(), it.next(), it.next(), it.next()) else {
            return Err(invalid("date", text));
        };
        let (Some(y), Some(m), Some(d)) = (digits(y, 4), digits(m, 2), digits(d, 2)) else {
            return Err(invalid("date", text));
        };
        // Four and two digits always fit.
        let (y, m, d) = (
            u16::try_from(y).unwrap_or(0),
            u8::try_from(m).unwrap_or(0),
            u8::try_from(d).unwrap_or(0),
        );
        Date::new(y, m, d).map_err(|_| invalid("date", text))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl TimeOfDay {
    /// A time of day.
    ///
    /// # Errors
    ///
    /// `Deserialization` when a field is out of range.
    pub fn new(hour: u8, minute: u8, second: u8, microsecond: u32) -> Result<Self, Error> {
        if hour < 24 && minute < 60 && second < 60 && microsecond < 1_000_000 {
            Ok(TimeOfDay {
                hour,
                minute,
                second,
                microsecond,
            })
        } else {
            Err(invalid(
                "time of day",
                &format!("{hour:02}:{minute:02}:{second:02}.{microsecond:06}"),
            ))
        }
    }

    /// The hour, 0 to 23.
    pub fn hour(self) -> u8 {
        self.hour
    }

    /// The minute.
    pub fn minute(self) -> u8 {
        self.minute
    }

    /// The second.
    pub fn second(self) -> u8 {
        self.second
    }

    /// The microseconds.
    pub fn microsecond(self) -> u32 {
        self.microsecond
    }
}

impl FromStr for TimeOfDay {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let (hms, fraction) = match text.split_once('.') {
            Some((hms, f)) => (hms, Some(f)),
            None => (text, None),
        };
        let mut it = hms.split(':');
        let (Some(h), Some(m), Some(s), None) = (it.next(), it.next(), it.next(), it.next()) else {
            return Err(invalid("time of day", text));
        };
        let (Some(h), Some(m), Some(s)) = (digits(h, 2), digits(m, 2), digits(s, 2)) else {
            return Err(invalid("time of day", text));
        };
        let micro = match fraction {
            None => 0,
            Some(f) if (1..=6).contains(&f.len()) => {
                let padded = format!("{f:0<6}");
                digits(&padded, 6).ok_or_else(|| invalid("time of day", text))?
            }
            Some(_) => return Err(invalid("time of day", text)),
        };
        let narrow = |v: u32| u8::try_from(v).unwrap_or(u8::MAX);
        TimeOfDay::new(narrow(h), narrow(m), narrow(s), micro)
            .map_err(|_| invalid("time of day", text))
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}:{:02}", self.hour, self.minute, self.second)?;
        if self.microsecond != 0 {
            write!(f, ".{:06}", self.microsecond)?;
        }
        Ok(())
    }
}

macro_rules! serde_as_string {
    ($ty:ty) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

serde_as_string!(Date);
serde_as_string!(TimeOfDay);
