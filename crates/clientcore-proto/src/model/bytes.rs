//! Bytes as base64 text.

use ::base64::alphabet;
use ::base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use ::base64::Engine as _;

use crate::error::{Error, ErrorKind};

// Decoding accepts padded and unpadded input alike: services are inconsistent about it, and
// the alphabet alone already tells the two formats apart.
const STANDARD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn decode(engine: &GeneralPurpose, what: &str, s: &str) -> Result<Vec<u8>, Error> {
    engine.decode(s.trim()).map_err(|e| {
        Error::with_source(ErrorKind::Deserialization, e).with_message(format!("invalid {what}"))
    })
}

macro_rules! bytes_module {
    ($(#[$doc:meta])* $name:ident, $engine:ident, $what:literal) => {
        $(#[$doc])*
        pub mod $name {
            use serde::{Deserialize, Deserializer, Serializer};

            use crate::error::Error;

            /// Encodes `bytes`.
            pub fn format(bytes: &[u8]) -> String {
                ::base64::Engine::encode(&super::$engine, bytes)
            }

            /// Decodes `s`, padded or not.
            ///
            /// # Errors
            ///
            /// A [`Deserialization`](crate::ErrorKind::Deserialization) error when `s` is not
            /// in this alphabet.
            pub fn parse(s: &str) -> Result<Vec<u8>, Error> {
                super::decode(&super::$engine, $what, s)
            }

            /// Serializes bytes (a `Vec<u8>`, `Bytes`, an array…) as a string.
            ///
            /// # Errors
            ///
            /// Only the serializer's own.
            pub fn serialize<T, S>(bytes: &T, serializer: S) -> Result<S::Ok, S::Error>
            where
                T: AsRef<[u8]> + ?Sized,
                S: Serializer,
            {
                serializer.serialize_str(&format(bytes.as_ref()))
            }

            /// Deserializes a string into bytes (any type made from a `Vec<u8>`).
            ///
            /// # Errors
            ///
            /// When the value is not a string in this alphabet.
            pub fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
            where
                T: From<Vec<u8>>,
                D: Deserializer<'de>,
            {
                let s = String::deserialize(deserializer)?;
                parse(&s).map(T::from).map_err(serde::de::Error::custom)
            }
        }
    };
}

bytes_module!(
    /// Standard base64 with padding (RFC 4648 §4), as the reference writes `bytes`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::model::base64;
    ///
    /// assert_eq!(base64::format(b"\x00\xff\xfe"), "AP/+");
    /// assert_eq!(base64::parse("AP/+").unwrap(), b"\x00\xff\xfe");
    ///
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct Secret {
    ///     #[serde(with = "base64")]
    ///     value: Vec<u8>,
    /// }
    /// let s: Secret = serde_json::from_str(r#"{"value": "aGk="}"#).unwrap();
    /// assert_eq!(s.value, b"hi");
    /// ```
    base64,
    STANDARD,
    "base64"
);

bytes_module!(
    /// URL-safe base64 without padding (RFC 4648 §5), as in key vault and JWT fields.
    ///
    /// # Examples
    ///
    /// ```
    /// # use clientcore_proto as clientcore;
    /// use clientcore::model::base64url;
    ///
    /// assert_eq!(base64url::format(b"\x00\xff\xfe"), "AP_-");
    /// assert_eq!(base64url::parse("AP_-").unwrap(), b"\x00\xff\xfe");
    /// ```
    base64url,
    URL_SAFE,
    "base64url"
);
