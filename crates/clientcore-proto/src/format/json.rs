//! JSON helpers shared by the formats.

use serde_json::Value;
use std::fmt;
use std::sync::OnceLock;

/// Free-form JSON an error keeps (`innererror`, `additionalInfo` `info`): the text as the
/// service sent it, turned into a [`Value`] the first time something reads it.
///
/// Building a `Value` is most of the cost of parsing JSON (a node, and often a string, per
/// member), and most errors are matched on their kind and code and never have these read, so
/// the parser keeps only the text (already checked to parse: [`super::stream`]).
#[derive(Clone)]
pub(crate) struct LazyJson {
    /// The JSON text; `None` once it is no longer the source of truth (see `bound`).
    raw: Option<Box<str>>,
    // Boxed: a `Value` is about 80 bytes, and errors are moved while they are built.
    value: OnceLock<Box<Value>>,
}

impl LazyJson {
    pub(crate) fn from_value(value: Value) -> Self {
        LazyJson {
            raw: None,
            value: OnceLock::from(Box::new(value)),
        }
    }

    /// JSON text that `serde_json` parses into a `Value` (the caller checked).
    pub(crate) fn from_raw(raw: &str) -> Self {
        LazyJson {
            raw: Some(raw.into()),
            value: OnceLock::new(),
        }
    }

    pub(crate) fn get(&self) -> &Value {
        self.value
            .get_or_init(|| Box::new(materialize(self.raw.as_deref())))
    }

    /// The length of the text while no `Value` was built: an upper bound for a budget check
    /// that needs no `Value` (see [`super::parse`]).
    pub(crate) fn raw_len(&self) -> Option<usize> {
        match (&self.raw, self.value.get()) {
            (Some(raw), None) => Some(raw.len()),
            _ => None,
        }
    }

    /// [`bound`] on the value.
    pub(crate) fn bound(&mut self, budget: &mut usize) {
        let mut value = self
            .value
            .take()
            .unwrap_or_else(|| Box::new(materialize(self.raw.as_deref())));
        bound(&mut value, budget);
        // The value may have been cut: it, not the text, is now what the error holds.
        self.raw = None;
        self.value = OnceLock::from(value);
    }
}

/// The `Value` of checked JSON text. The parser checked the text with `serde_json`'s own
/// rules (depth included), so this cannot fail; if it did, the text is kept as a string
/// rather than lost.
fn materialize(raw: Option<&str>) -> Value {
    let raw = raw.unwrap_or("null");
    serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()))
}

impl PartialEq for LazyJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl fmt::Debug for LazyJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // As the `Value` it stands for, so `Debug` of an error is what it was.
        fmt::Debug::fmt(self.get(), f)
    }
}

/// Writes `value` as JSON indented by four spaces, like Python's `json.dumps(v, indent=4)`,
/// but with non-ASCII text kept as UTF-8 (ARCHITECTURE.md, deviation 3).
///
/// The JSON streams straight into `f`, with no intermediate buffer, so a writer that stops
/// taking text after a limit also bounds the memory used.
pub(crate) fn write_pretty(f: &mut dyn fmt::Write, value: &Value) -> fmt::Result {
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(FmtWriter(f), fmt);
    serde::Serialize::serialize(value, &mut ser).map_err(|_| fmt::Error)
}

/// `io::Write` over a `fmt::Write`. `serde_json` only writes UTF-8 and splits it only at ASCII
/// bytes (around escapes), so every chunk is valid on its own.
struct FmtWriter<'a>(&'a mut dyn fmt::Write);

impl std::io::Write for FmtWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0
            .write_str(&text)
            .map_err(|_| std::io::Error::other("formatter error"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Python truthiness of a JSON value: `null`, `false`, `0`, `""`, `[]` and `{}` are false.
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A JSON scalar as text: strings as they are, everything else as compact JSON.
/// Falsy values give `None`, as the reference treats them as missing.
pub(crate) fn text(value: Option<Value>) -> Option<String> {
    match value {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        Some(v) if truthy(&v) => Some(v.to_string()),
        _ => None,
    }
}

/// Like [`text`], but keeps falsy non-null values (`0`, `""`), for fields that are printed
/// whenever present.
pub(crate) fn text_any(value: Option<Value>) -> Option<String> {
    match value {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(v) => Some(v.to_string()),
    }
}

/// Writes `text` with every line prefixed by `indent` tabs.
pub(crate) struct Indented<'a, W: fmt::Write + ?Sized> {
    pub(crate) out: &'a mut W,
    pub(crate) depth: usize,
    pub(crate) at_line_start: bool,
}

impl<W: fmt::Write + ?Sized> fmt::Write for Indented<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for piece in s.split_inclusive('\n') {
            if self.at_line_start {
                for _ in 0..self.depth {
                    self.out.write_char('\t')?;
                }
            }
            self.out.write_str(piece)?;
            self.at_line_start = piece.ends_with('\n');
        }
        Ok(())
    }
}

/// Keeps `value` if its compact JSON fits in `budget` bytes (and takes them from it); else
/// replaces it with a string saying it was cut. Parsed JSON can take many times the memory of
/// its text (`[0,0,…]`), so this is what bounds the memory a parsed error keeps.
pub(crate) fn bound(value: &mut Value, budget: &mut usize) {
    let mut counter = Counter {
        n: 0,
        limit: *budget,
    };
    if serde_json::to_writer(&mut counter, &*value).is_ok() {
        *budget -= counter.n;
    } else {
        *value = Value::String(format!(
            "(cut: more JSON than the {} bytes an error keeps)",
            super::MAX_KEPT_JSON
        ));
    }
}

/// Counts bytes, failing once there are more than `limit`, so a large value is not walked
/// to its end.
struct Counter {
    n: usize,
    limit: usize,
}

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.n += buf.len();
        if self.n > self.limit {
            return Err(std::io::Error::other("over the limit"));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
