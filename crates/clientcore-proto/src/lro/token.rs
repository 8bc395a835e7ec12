//! Continuation tokens: what azure-core 1.41 writes, byte for byte, so that either side
//! resumes the other's operations (see the [module docs](super)).

use ::base64::engine::general_purpose::STANDARD as B64;
use ::base64::Engine as _;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde_json::{json, Map, Value};
use url::Url;

use super::operation::json_body;
use super::{
    FinalStateVia, LroOptions, Operation, AZURE_ASYNC_OPERATION, LOCATION, OPERATION_LOCATION,
};
use crate::error::{Error, ErrorKind};
use crate::pipeline::RequestParts;

/// The response headers a continuation token keeps, as the reference's (lowercase: the
/// names of a `HeaderMap`).
const TOKEN_HEADERS: [&str; 5] = [
    OPERATION_LOCATION,
    AZURE_ASYNC_OPERATION,
    LOCATION,
    "content-type",
    "retry-after",
];

impl Operation {
    /// The continuation token: resumes this operation anywhere with
    /// [`from_continuation_token`](Self::from_continuation_token), or in Python with
    /// azure-core's `LROPoller.from_continuation_token`.
    ///
    /// It is what azure-core 1.41 writes, byte for byte for the same initial exchange: base64
    /// of the compact, ASCII-only JSON `{"version": 1, "data": {"request": …, "response": …,
    /// "context": {"deserialized_data": …}}}` (see the [module docs](super)). The client
    /// request id is kept under `x-ms-client-request-id`, where the reference looks for it,
    /// whatever header carries it on the wire. A `final-state-via` set in the options is kept
    /// in `context` too, which the reference ignores.
    pub fn continuation_token(&self) -> String {
        let mut req_headers = Map::new();
        if let Some((_, id)) = &self.request_id {
            req_headers.insert(TOKEN_REQUEST_ID.to_owned(), Value::String(id.clone()));
        }
        // The allowed response headers in the order they came, repeated ones joined as the
        // reference's transport joins them.
        let mut resp_headers = Map::new();
        for name in self.initial.headers.keys() {
            if !TOKEN_HEADERS.contains(&name.as_str()) {
                continue;
            }
            let values: Option<Vec<&str>> = self
                .initial
                .headers
                .get_all(name)
                .iter()
                .map(|v| v.to_str().ok())
                .collect();
            if let Some(values) = values {
                resp_headers.insert(name.as_str().to_owned(), values.join(", ").into());
            }
        }
        let mut context = Map::new();
        context.insert(
            "deserialized_data".to_owned(),
            json_body(&self.initial).unwrap_or(Value::Null),
        );
        if let Some(via) = self.options.final_state_via {
            context.insert("final-state-via".to_owned(), via.as_str().into());
        }
        let token = json!({
            "version": TOKEN_VERSION,
            "data": {
                "request": {
                    "method": self.method.as_str(),
                    "url": self.url.as_str(),
                    "headers": req_headers,
                },
                "response": {
                    "status_code": self.initial.status.as_u16(),
                    "headers": resp_headers,
                    "content": B64.encode(&self.initial.body),
                },
                "context": context,
            },
        });
        B64.encode(ascii_json(&token))
    }

    /// Rebuilds an operation from a continuation token: one of
    /// [`continuation_token`](Self::continuation_token), one that Python azure-core 1.38 or
    /// later wrote, or one of the unversioned tokens earlier clientcore releases wrote. A
    /// `final-state-via` kept in the token wins over `options`'.
    ///
    /// # Errors
    ///
    /// An [`Other`](ErrorKind::Other) error (the reference's `ValueError`, with its message)
    /// when `token` is not base64, not a JSON token, a pickled token of an older Python SDK,
    /// or of a version other than 1; also when it lacks the initial request or response. The
    /// errors of [`new`](Self::new) otherwise.
    pub fn from_continuation_token(token: &str, options: LroOptions) -> Result<Self, Error> {
        let data = decode_token(token)?;
        let bad = |what: &str| {
            Error::new(
                ErrorKind::Other,
                format!("Invalid continuation token format: {what}."),
            )
        };
        let Some(Value::Object(req)) = data.get("request") else {
            return Err(bad(
                "it has no initial request, whose method and URL polling needs",
            ));
        };
        let Some(Value::Object(resp)) = data.get("response") else {
            return Err(bad("it has no initial response"));
        };
        let method = req
            .get("method")
            .and_then(Value::as_str)
            .and_then(|m| Method::from_bytes(m.as_bytes()).ok())
            .ok_or_else(|| bad("the request method is missing or not valid"))?;
        let url: Url = req
            .get("url")
            .and_then(Value::as_str)
            .and_then(|u| u.parse().ok())
            .ok_or_else(|| bad("the request URL is missing or not an absolute URL"))?;
        let status = resp
            .get("status_code")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            .and_then(|s| StatusCode::from_u16(s).ok())
            .ok_or_else(|| bad("the response status code is missing or not valid"))?;
        let mut headers = HeaderMap::new();
        if let Some(Value::Object(h)) = resp.get("headers") {
            for (k, v) in h {
                // Python keeps the names as the server spelled them; HTTP names ignore case.
                if let (Ok(name), Some(Ok(value))) = (
                    HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()),
                    v.as_str().map(HeaderValue::from_str),
                ) {
                    headers.insert(name, value);
                }
            }
        }
        let body = match resp.get("content") {
            Some(Value::String(c)) => B64
                .decode(c.trim())
                .map_err(|_| bad("the response content is not base64"))?,
            Some(Value::Null) | None => Vec::new(),
            Some(_) => return Err(bad("the response content is not base64")),
        };
        let mut options = options;
        if let Some(via) = data
            .get("context")
            .and_then(|c| c.get("final-state-via"))
            .and_then(Value::as_str)
            .and_then(FinalStateVia::parse)
        {
            options.final_state_via = Some(via);
        }
        let request = RequestParts {
            method,
            url,
            headers: HeaderMap::new(),
        };
        let mut op = Operation::new(&request, status, headers, body.into(), options)?;
        op.request_id = token_request_id(req);
        Ok(op)
    }
}

/// The version of the continuation token envelope, the reference's
/// `_CONTINUATION_TOKEN_VERSION`.
const TOKEN_VERSION: u64 = 1;
/// Where a continuation token keeps the client request id, as the reference does.
const TOKEN_REQUEST_ID: &str = "x-ms-client-request-id";
/// The reference's message for a token of another version, or a pickled one.
const INCOMPATIBLE_TOKEN: &str =
    "This continuation token is not compatible with this version of azure-core. \
     It may have been generated by a previous version. \
     See https://aka.ms/azsdk/python/core/troubleshoot for more information.";

/// The `data` of a continuation token, checked as the reference's
/// `_decode_continuation_token` checks it; an unversioned token of earlier clientcore
/// releases (the same data without the envelope) is its own data.
fn decode_token(token: &str) -> Result<Map<String, Value>, Error> {
    let err = |message: &str| Error::new(ErrorKind::Other, message.to_owned());
    let raw = B64
        .decode(token.trim())
        .map_err(|_| err("This doesn't look like a continuation token the sdk created."))?;
    let Ok(Value::Object(mut v)) = serde_json::from_slice::<Value>(&raw) else {
        // A pickle starts with PROTO (0x80) and a protocol version of 1 to 5.
        if raw.len() >= 2 && raw[0] == 0x80 && (1..=5).contains(&raw[1]) {
            return Err(err(INCOMPATIBLE_TOKEN));
        }
        return Err(err("Invalid continuation token format."));
    };
    match v.remove("version") {
        Some(version) if version.as_u64() == Some(TOKEN_VERSION) => match v.remove("data") {
            Some(Value::Object(data)) => Ok(data),
            _ => Err(err("Invalid continuation token format.")),
        },
        Some(_) => Err(err(INCOMPATIBLE_TOKEN)),
        None if v.contains_key("request") && v.contains_key("response") => Ok(v),
        None => Err(err("Invalid continuation token format.")),
    }
}

/// The client request id a token's request kept: `x-ms-client-request-id`, or the one header
/// an earlier clientcore release kept under a custom name.
fn token_request_id(request: &Map<String, Value>) -> Option<(HeaderName, String)> {
    let Some(Value::Object(headers)) = request.get("headers") else {
        return None;
    };
    let (name, id) = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(TOKEN_REQUEST_ID))
        .or_else(|| headers.iter().next())?;
    let name = HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).ok()?;
    Some((name, id.as_str()?.to_owned()))
}

/// `value` as Python's `json.dumps(value, separators=(",", ":"))` writes it: compact, and
/// every character outside printable ASCII escaped (`ensure_ascii`), so the token is
/// byte-identical to the reference's for the same data.
fn ascii_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, AsciiFormatter);
    // Writing a `Value` into a `Vec` cannot fail: its keys are strings and it has no NaN.
    if serde::Serialize::serialize(value, &mut ser).is_err() {
        return value.to_string().into_bytes();
    }
    out
}

/// `serde_json`'s compact formatter, escaping what Python's `ensure_ascii` escapes beyond it:
/// DEL and everything above ASCII, as `\uXXXX` UTF-16 units in lowercase hex.
struct AsciiFormatter;

impl serde_json::ser::Formatter for AsciiFormatter {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut units = [0u16; 2];
        for c in fragment.chars() {
            if (' '..='~').contains(&c) {
                writer.write_all(c.encode_utf8(&mut [0; 4]).as_bytes())?;
            } else {
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }
}
