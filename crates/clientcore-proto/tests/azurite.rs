//! Real Azure Storage error responses, recorded against the Azurite 3.35.0 emulator: status,
//! reason phrase, the relevant headers and the exact body bytes, copied here as literals (the
//! recording is not read at run time).
//!
//! Blob and Queue answer in XML with the error message as the reason phrase; Table answers
//! in OData v3 JSON, except for authentication and format errors, which are XML even there.
//! `x-ms-error-code` is on every error that has a code, including bodiless ones.

use bytes::Bytes;
use clientcore_proto::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use clientcore_proto::{CapturedResponse, Error, ErrorFormat, ErrorKind, ErrorMap, ServiceError};

/// One recorded error response.
struct Exchange {
    status: u16,
    reason: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
    /// The byte count the recording gives, to check the literal.
    body_len: usize,
}

impl Exchange {
    fn response(&self) -> CapturedResponse {
        let mut headers = HeaderMap::new();
        for (name, value) in self.headers {
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_static(value),
            );
        }
        CapturedResponse::new(
            StatusCode::from_u16(self.status).unwrap(),
            headers,
            Bytes::from_static(self.body.as_bytes()),
        )
        .with_reason(self.reason)
    }

    /// The error a generated Storage operation returns. Every recorded 304 and 412 answers a
    /// conditional request (B8, B9, T8), so the map has the match-condition entries.
    fn error(&self) -> Error {
        Error::from_response(
            self.response(),
            ErrorFormat::Auto,
            &ErrorMap::with_match_conditions(),
        )
    }

    fn header(&self, name: &str) -> Option<&'static str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

// B2 create same container again -> 409 ContainerAlreadyExists
const B2: Exchange = Exchange {
    status: 409,
    reason: "The specified container already exists.",
    headers: &[
        ("x-ms-error-code", "ContainerAlreadyExists"),
        ("x-ms-request-id", "80d54ec2-97c8-452e-9633-10e7442bb668"),
        ("content-type", "application/xml"),
    ],
    body: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Error>\n  <Code>ContainerAlreadyExists</Code>\n  <Message>The specified container already exists.\nRequestId:80d54ec2-97c8-452e-9633-10e7442bb668\nTime:2026-11-22T22:40:01.932Z</Message>\n</Error>",
    body_len: 248,
};

// B5 download missing blob -> 404 BlobNotFound
const B5: Exchange = Exchange {
    status: 404,
    reason: "The specified blob does not exist.",
    headers: &[
        ("x-ms-error-code", "BlobNotFound"),
        ("x-ms-request-id", "4b885f1f-0e0d-4064-9bd3-5fc996b3ffd4"),
        ("content-type", "application/xml"),
    ],
    body: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Error>\n  <Code>BlobNotFound</Code>\n  <Message>The specified blob does not exist.\nRequestId:4b885f1f-0e0d-4064-9bd3-5fc996b3ffd4\nTime:2026-11-22T22:40:02.030Z</Message>\n</Error>",
    body_len: 233,
};

// B6 HEAD missing blob -> 404, error code only in header (no body)
const B6: Exchange = Exchange {
    status: 404,
    reason: "The specified blob does not exist.",
    headers: &[
        ("x-ms-error-code", "BlobNotFound"),
        ("x-ms-request-id", "edccaab9-11cf-4ec8-bebb-6f770a46c81f"),
    ],
    body: "",
    body_len: 0,
};

// B7 download from missing container -> 404 ContainerNotFound
const B7: Exchange = Exchange {
    status: 404,
    reason: "The specified container does not exist.",
    headers: &[
        ("x-ms-error-code", "ContainerNotFound"),
        ("x-ms-request-id", "c61e254b-49e8-459c-99fe-f9571d2b8c07"),
        ("content-type", "application/xml"),
    ],
    body: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Error>\n  <Code>ContainerNotFound</Code>\n  <Message>The specified container does not exist.\nRequestId:c61e254b-49e8-459c-99fe-f9571d2b8c07\nTime:2026-11-22T22:40:02.086Z</Message>\n</Error>",
    body_len: 243,
};

// B8 GET with If-None-Match: <current ETag> -> 304
const B8: Exchange = Exchange {
    status: 304,
    reason: "The condition specified using HTTP conditional header(s) is not met.",
    headers: &[
        ("x-ms-error-code", "ConditionNotMet"),
        ("x-ms-request-id", "18383fce-53de-4c9d-80e3-a14da1691b94"),
        ("content-type", "application/xml"),
    ],
    body: "",
    body_len: 0,
};

// B9 GET with If-Match: <wrong ETag> -> 412 ConditionNotMet
const B9: Exchange = Exchange {
    status: 412,
    reason: "The condition specified using HTTP conditional header(s) is not met.",
    headers: &[
        ("x-ms-error-code", "ConditionNotMet"),
        ("x-ms-request-id", "b6bcb3da-07ad-4bf6-85ba-89d8ebf3da92"),
        ("content-type", "application/xml"),
    ],
    body: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Error>\n  <Code>ConditionNotMet</Code>\n  <Message>The condition specified using HTTP conditional header(s) is not met.\nRequestId:b6bcb3da-07ad-4bf6-85ba-89d8ebf3da92\nTime:2026-11-22T22:40:02.149Z</Message>\n</Error>",
    body_len: 270,
};

// B11 PUT with If-None-Match: * on existing blob -> 409 BlobAlreadyExists
const B11: Exchange = Exchange {
    status: 409,
    reason: "The specified blob already exists.",
    headers: &[
        ("x-ms-error-code", "BlobAlreadyExists"),
        ("x-ms-request-id", "2d25a103-7749-43e5-8bec-7b38edcbdb55"),
        ("content-type", "application/xml"),
    ],
    body: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Error>\n  <Code>BlobAlreadyExists</Code>\n  <Message>The specified blob already exists.\nRequestId:2d25a103-7749-43e5-8bec-7b38edcbdb55\nTime:2026-11-22T22:40:02.216Z</Message>\n</Error>",
    body_len: 238,
};

// B15 ranged GET past the end -> 416 InvalidRange
const B15: Exchange = Exchange {
    status: 416,
    reason: "The range specified is invalid for the current size of the resource.",
    headers: &[
        ("x-ms-error-code", "InvalidRange"),
        ("x-ms-request-id", "db8ffa14-48be-45a6-82a4-8f7011e7bffc"),
        ("Content-Range", "bytes */15"),
        ("content-type", "application/xml"),
    ],
    body: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Error>\n  <Code>InvalidRange</Code>\n  <Message>The range specified is invalid for the current size of the resource.\nRequestId:db8ffa14-48be-45a6-82a4-8f7011e7bffc\nTime:2026-11-22T22:40:02.322Z</Message>\n</Error>",
    body_len: 267,
};

// B16 invalid container name -> 400 InvalidResourceName
const B16: Exchange = Exchange {
    status: 400,
    reason: "The specified resource name contains invalid characters.",
    headers: &[
        ("x-ms-error-code", "InvalidResourceName"),
        ("x-ms-request-id", "c5b91622-a9cd-4859-973c-b7fe232f102c"),
        ("content-type", "application/xml"),
    ],
    body: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Error>\n  <Code>InvalidResourceName</Code>\n  <Message>The specified resource name contains invalid characters.\nRequestId:c5b91622-a9cd-4859-973c-b7fe232f102c\nTime:2026-11-22T22:40:02.353Z</Message>\n</Error>",
    body_len: 262,
};

// B17 list blobs with maxresults=0 -> 400 with empty body and no x-ms-error-code (Azurite quirk)
const B17: Exchange = Exchange {
    status: 400,
    reason: "Bad Request",
    headers: &[],
    body: "",
    body_len: 0,
};

// B18 no credentials on a private container -> 403 AuthorizationFailure
const B18: Exchange = Exchange {
    status: 403,
    reason: "Server failed to authenticate the request. Make sure the value of the Authorization header is formed correctly including the signature.",
    headers: &[
        ("x-ms-error-code", "AuthorizationFailure"),
        ("x-ms-request-id", "e291c042-642f-4ed5-bc79-dafcf41fb606"),
        ("content-type", "application/xml"),
    ],
    body: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Error>\n  <Code>AuthorizationFailure</Code>\n  <Message>Server failed to authenticate the request. Make sure the value of the Authorization header is formed correctly including the signature.\nRequestId:e291c042-642f-4ed5-bc79-dafcf41fb606\nTime:2026-11-22T22:40:02.409Z</Message>\n</Error>",
    body_len: 342,
};

// B23 upload with a wrong Content-MD5 -> 400 (Azurite: InvalidOperation; Azure: Md5Mismatch)
const B23: Exchange = Exchange {
    status: 400,
    reason: "Provided contentMD5 doesn't match.",
    headers: &[
        ("x-ms-error-code", "InvalidOperation"),
        ("x-ms-request-id", "f5f591ee-2bbe-48ef-8055-976649b1b909"),
        ("content-type", "application/xml"),
    ],
    body: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Error>\n  <Code>InvalidOperation</Code>\n  <Message>Provided contentMD5 doesn't match.\nRequestId:f5f591ee-2bbe-48ef-8055-976649b1b909\nTime:2026-11-22T22:40:02.575Z</Message>\n</Error>",
    body_len: 237,
};

// Q1 peek messages of a missing queue -> 404 QueueNotFound
const Q1: Exchange = Exchange {
    status: 404,
    reason: "The specified queue does not exist.",
    headers: &[
        ("x-ms-error-code", "QueueNotFound"),
        ("x-ms-request-id", "e7177e49-c31d-4120-a8ea-cec052fad475"),
        ("x-ms-version", "2025-11-05"),
        ("content-type", "application/xml"),
    ],
    body: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Error>\n  <Code>QueueNotFound</Code>\n  <Message>The specified queue does not exist.\nRequestId:e7177e49-c31d-4120-a8ea-cec052fad475\nTime:2026-11-22T22:40:03.011Z</Message>\n</Error>",
    body_len: 235,
};

// T2 create same table -> 409 TableAlreadyExists
const T2: Exchange = Exchange {
    status: 409,
    reason: "Conflict",
    headers: &[
        ("x-ms-error-code", "TableAlreadyExists"),
        ("x-ms-request-id", "938b09e7-4636-45a9-9671-4afd4e6b9a1b"),
        ("x-ms-version", "2025-11-05"),
        ("content-type", "application/json;odata=minimalmetadata;streaming=true;charset=utf-8"),
    ],
    body: "{\"odata.error\":{\"code\":\"TableAlreadyExists\",\"message\":{\"lang\":\"en-US\",\"value\":\"The table specified already exists.\\nRequestId:938b09e7-4636-45a9-9671-4afd4e6b9a1b\\nTime:2026-11-22T22:40:03.077Z\"}}}",
    body_len: 197,
};

// T4 insert same entity again -> 409 EntityAlreadyExists
const T4: Exchange = Exchange {
    status: 409,
    reason: "Conflict",
    headers: &[
        ("x-ms-error-code", "EntityAlreadyExists"),
        ("x-ms-request-id", "6dd23898-62bc-4ad8-8b24-d05dd2aed18e"),
        ("x-ms-version", "2025-11-05"),
        ("content-type", "application/json;odata=nometadata;streaming=true;charset=utf-8"),
    ],
    body: "{\"odata.error\":{\"code\":\"EntityAlreadyExists\",\"message\":{\"lang\":\"en-US\",\"value\":\"The specified entity already exists.\\nRequestId:6dd23898-62bc-4ad8-8b24-d05dd2aed18e\\nTime:2026-11-22T22:40:03.148Z\"}}}",
    body_len: 199,
};

// T5 get missing entity -> 404 ResourceNotFound
const T5: Exchange = Exchange {
    status: 404,
    reason: "Not Found",
    headers: &[
        ("x-ms-error-code", "ResourceNotFound"),
        ("x-ms-request-id", "bf1d6677-2f1c-4bde-8881-cdc7d25f437c"),
        ("x-ms-version", "2025-11-05"),
        ("content-type", "application/json;odata=nometadata;streaming=true;charset=utf-8"),
    ],
    body: "{\"odata.error\":{\"code\":\"ResourceNotFound\",\"message\":{\"lang\":\"en-US\",\"value\":\"The specified resource does not exist.\\nRequestId:bf1d6677-2f1c-4bde-8881-cdc7d25f437c\\nTime:2026-11-22T22:40:03.184Z\"}}}",
    body_len: 198,
};

// T6 get entity from missing table -> 404 TableNotFound
const T6: Exchange = Exchange {
    status: 404,
    reason: "Not Found",
    headers: &[
        ("x-ms-error-code", "TableNotFound"),
        ("x-ms-request-id", "150c8a77-b3d1-42c1-bbbe-2e507adac2e2"),
        ("x-ms-version", "2025-11-05"),
        ("content-type", "application/json;odata=nometadata;streaming=true;charset=utf-8"),
    ],
    body: "{\"odata.error\":{\"code\":\"TableNotFound\",\"message\":{\"lang\":\"en-US\",\"value\":\"The table specified does not exist.\\nRequestId:150c8a77-b3d1-42c1-bbbe-2e507adac2e2\\nTime:2026-11-22T22:40:03.221Z\"}}}",
    body_len: 192,
};

// T8 update with If-Match: <wrong ETag> -> 412 UpdateConditionNotSatisfied
const T8: Exchange = Exchange {
    status: 412,
    reason: "Precondition Failed",
    headers: &[
        ("x-ms-error-code", "UpdateConditionNotSatisfied"),
        ("x-ms-request-id", "5fcd3cae-4e9f-4dd4-82d1-f97b79f1d3ec"),
        ("x-ms-version", "2025-11-05"),
        ("content-type", "application/json;odata=nometadata;streaming=true;charset=utf-8"),
    ],
    body: "{\"odata.error\":{\"code\":\"UpdateConditionNotSatisfied\",\"message\":{\"lang\":\"en-US\",\"value\":\"The update condition specified in the request was not satisfied.\\nRequestId:5fcd3cae-4e9f-4dd4-82d1-f97b79f1d3ec\\nTime:2026-11-22T22:40:03.291Z\"}}}",
    body_len: 235,
};

// T11 insert malformed JSON -> 400 with empty body and no x-ms-error-code (Azurite quirk)
const T11: Exchange = Exchange {
    status: 400,
    reason: "Bad Request",
    headers: &[],
    body: "",
    body_len: 0,
};

// T12 missing entity, Accept: application/xml -> 415 AtomFormatNotSupported (XML)
const T12: Exchange = Exchange {
    status: 415,
    reason: "Unsupported Media Type",
    headers: &[
        ("x-ms-error-code", "AtomFormatNotSupported"),
        ("x-ms-request-id", "5ed60582-02d6-4f22-bc40-385f3ba4ec1c"),
        ("x-ms-version", "2025-11-05"),
        ("content-type", "application/xml"),
    ],
    body: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Error>\n  <Code>AtomFormatNotSupported</Code>\n  <Message>Atom format is not supported.\nRequestId:5ed60582-02d6-4f22-bc40-385f3ba4ec1c\nTime:2026-11-22T22:40:03.397Z</Message>\n</Error>",
    body_len: 238,
};

// T14 no credentials -> 403 AuthorizationFailure (XML even on the Table service)
const T14: Exchange = Exchange {
    status: 403,
    reason: "Forbidden",
    headers: &[
        ("x-ms-error-code", "AuthorizationFailure"),
        ("x-ms-request-id", "d7bb28d7-df4c-41c5-82c4-2e4f6717ef9c"),
        ("x-ms-version", "2025-11-05"),
        ("content-type", "application/xml"),
    ],
    body: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Error>\n  <Code>AuthorizationFailure</Code>\n  <Message>Server failed to authenticate the request. Make sure the value of the Authorization header is formed correctly including the signature.\nRequestId:d7bb28d7-df4c-41c5-82c4-2e4f6717ef9c\nTime:2026-11-22T22:40:03.464Z</Message>\n</Error>",
    body_len: 342,
};

// T15 query with a bad $filter -> 400 InvalidInput
const T15: Exchange = Exchange {
    status: 400,
    reason: "Bad Request",
    headers: &[
        ("x-ms-error-code", "InvalidInput"),
        ("x-ms-request-id", "689fc24e-0289-4385-bf8d-f109616b5af4"),
        ("x-ms-version", "2025-11-05"),
        ("content-type", "application/json;odata=nometadata;streaming=true;charset=utf-8"),
    ],
    body: "{\"odata.error\":{\"code\":\"InvalidInput\",\"message\":{\"lang\":\"en-US\",\"value\":\"The query condition specified in the request is invalid.\\nRequestId:689fc24e-0289-4385-bf8d-f109616b5af4\\nTime:2026-11-22T22:40:03.500Z\"}}}",
    body_len: 212,
};

// O4 non-JWT bearer -> 403 AuthenticationFailed + AuthenticationErrorDetail
const O4: Exchange = Exchange {
    status: 403,
    reason: "Server failed to authenticate the request. Make sure the value of the Authorization header is formed correctly including the signature.",
    headers: &[
        ("x-ms-error-code", "AuthenticationFailed"),
        ("x-ms-request-id", "23b06ebd-12b2-413f-bec1-095daf5d23e4"),
        ("content-type", "application/xml"),
    ],
    body: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Error>\n  <Code>AuthenticationFailed</Code>\n  <Message>Server failed to authenticate the request. Make sure the value of the Authorization header is formed correctly including the signature.\nRequestId:23b06ebd-12b2-413f-bec1-095daf5d23e4\nTime:2026-11-22T22:40:05.802Z</Message>\n  <AuthenticationErrorDetail>Authentication scheme Bearer is not supported.</AuthenticationErrorDetail>\n</Error>",
    body_len: 446,
};

// O5 expired JWT -> 403 AuthenticationFailed
const O5: Exchange = Exchange {
    status: 403,
    reason: "Server failed to authenticate the request. Make sure the value of the Authorization header is formed correctly including the signature.",
    headers: &[
        ("x-ms-error-code", "AuthenticationFailed"),
        ("x-ms-request-id", "36cb9df4-5592-4012-a823-bb96d491514f"),
        ("content-type", "application/xml"),
    ],
    body: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Error>\n  <Code>AuthenticationFailed</Code>\n  <Message>Server failed to authenticate the request. Make sure the value of the Authorization header is formed correctly including the signature.\nRequestId:36cb9df4-5592-4012-a823-bb96d491514f\nTime:2026-11-22T22:40:05.838Z</Message>\n  <AuthenticationErrorDetail>Lifetime validation failed. The token is expired.</AuthenticationErrorDetail>\n</Error>",
    body_len: 449,
};

// O6 JWT from an unknown issuer -> 403 AuthenticationFailed
const O6: Exchange = Exchange {
    status: 403,
    reason: "Server failed to authenticate the request. Make sure the value of the Authorization header is formed correctly including the signature.",
    headers: &[
        ("x-ms-error-code", "AuthenticationFailed"),
        ("x-ms-request-id", "eda90efd-2954-440b-8046-a708f3cd560d"),
        ("content-type", "application/xml"),
    ],
    body: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Error>\n  <Code>AuthenticationFailed</Code>\n  <Message>Server failed to authenticate the request. Make sure the value of the Authorization header is formed correctly including the signature.\nRequestId:eda90efd-2954-440b-8046-a708f3cd560d\nTime:2026-11-22T22:40:05.876Z</Message>\n  <AuthenticationErrorDetail>Invalid token issuer.</AuthenticationErrorDetail>\n</Error>",
    body_len: 421,
};

// O9 Table: bad bearer -> 403 AuthenticationFailed
const O9: Exchange = Exchange {
    status: 403,
    reason: "Forbidden",
    headers: &[
        ("x-ms-error-code", "AuthenticationFailed"),
        ("x-ms-request-id", "aea2e219-e018-48f0-9766-8be3bc0a0765"),
        ("x-ms-version", "2025-11-05"),
        ("content-type", "application/xml"),
    ],
    body: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Error>\n  <Code>AuthenticationFailed</Code>\n  <Message>Server failed to authenticate the request. Make sure the value of the Authorization header is formed correctly including the signature.\nRequestId:aea2e219-e018-48f0-9766-8be3bc0a0765\nTime:2026-11-22T22:40:05.992Z</Message>\n  <AuthenticationErrorDetail>Authentication scheme Bearer is not supported.</AuthenticationErrorDetail>\n</Error>",
    body_len: 446,
};

const AUTH_FAILED: &str = "Server failed to authenticate the request. Make sure the value of the \
                           Authorization header is formed correctly including the signature.";

/// Every recorded error: the kind a generated operation gives, the code, and the first line of
/// the parsed message (`None` when the response has no body).
type Case = (
    &'static str,
    &'static Exchange,
    ErrorKind,
    Option<&'static str>,
    Option<&'static str>,
);

const ALL: &[Case] = &[
    (
        "B2",
        &B2,
        ErrorKind::ResourceExists,
        Some("ContainerAlreadyExists"),
        Some("The specified container already exists."),
    ),
    (
        "B5",
        &B5,
        ErrorKind::ResourceNotFound,
        Some("BlobNotFound"),
        Some("The specified blob does not exist."),
    ),
    (
        "B6",
        &B6,
        ErrorKind::ResourceNotFound,
        Some("BlobNotFound"),
        None,
    ),
    (
        "B7",
        &B7,
        ErrorKind::ResourceNotFound,
        Some("ContainerNotFound"),
        Some("The specified container does not exist."),
    ),
    (
        "B8",
        &B8,
        ErrorKind::ResourceNotModified,
        Some("ConditionNotMet"),
        None,
    ),
    (
        "B9",
        &B9,
        ErrorKind::ResourceModified,
        Some("ConditionNotMet"),
        Some("The condition specified using HTTP conditional header(s) is not met."),
    ),
    (
        "B11",
        &B11,
        ErrorKind::ResourceExists,
        Some("BlobAlreadyExists"),
        Some("The specified blob already exists."),
    ),
    (
        "B15",
        &B15,
        ErrorKind::HttpResponse,
        Some("InvalidRange"),
        Some("The range specified is invalid for the current size of the resource."),
    ),
    (
        "B16",
        &B16,
        ErrorKind::HttpResponse,
        Some("InvalidResourceName"),
        Some("The specified resource name contains invalid characters."),
    ),
    ("B17", &B17, ErrorKind::HttpResponse, None, None),
    (
        "B18",
        &B18,
        ErrorKind::HttpResponse,
        Some("AuthorizationFailure"),
        Some(AUTH_FAILED),
    ),
    (
        "B23",
        &B23,
        ErrorKind::HttpResponse,
        Some("InvalidOperation"),
        Some("Provided contentMD5 doesn't match."),
    ),
    (
        "Q1",
        &Q1,
        ErrorKind::ResourceNotFound,
        Some("QueueNotFound"),
        Some("The specified queue does not exist."),
    ),
    (
        "T2",
        &T2,
        ErrorKind::ResourceExists,
        Some("TableAlreadyExists"),
        Some("The table specified already exists."),
    ),
    (
        "T4",
        &T4,
        ErrorKind::ResourceExists,
        Some("EntityAlreadyExists"),
        Some("The specified entity already exists."),
    ),
    (
        "T5",
        &T5,
        ErrorKind::ResourceNotFound,
        Some("ResourceNotFound"),
        Some("The specified resource does not exist."),
    ),
    (
        "T6",
        &T6,
        ErrorKind::ResourceNotFound,
        Some("TableNotFound"),
        Some("The table specified does not exist."),
    ),
    (
        "T8",
        &T8,
        ErrorKind::ResourceModified,
        Some("UpdateConditionNotSatisfied"),
        Some("The update condition specified in the request was not satisfied."),
    ),
    ("T11", &T11, ErrorKind::HttpResponse, None, None),
    (
        "T12",
        &T12,
        ErrorKind::HttpResponse,
        Some("AtomFormatNotSupported"),
        Some("Atom format is not supported."),
    ),
    (
        "T14",
        &T14,
        ErrorKind::HttpResponse,
        Some("AuthorizationFailure"),
        Some(AUTH_FAILED),
    ),
    (
        "T15",
        &T15,
        ErrorKind::HttpResponse,
        Some("InvalidInput"),
        Some("The query condition specified in the request is invalid."),
    ),
    (
        "O4",
        &O4,
        ErrorKind::HttpResponse,
        Some("AuthenticationFailed"),
        Some(AUTH_FAILED),
    ),
    (
        "O5",
        &O5,
        ErrorKind::HttpResponse,
        Some("AuthenticationFailed"),
        Some(AUTH_FAILED),
    ),
    (
        "O6",
        &O6,
        ErrorKind::HttpResponse,
        Some("AuthenticationFailed"),
        Some(AUTH_FAILED),
    ),
    (
        "O9",
        &O9,
        ErrorKind::HttpResponse,
        Some("AuthenticationFailed"),
        Some(AUTH_FAILED),
    ),
];

#[test]
fn literals_match_the_recorded_byte_counts() {
    for (name, x, ..) in ALL {
        assert_eq!(x.body.len(), x.body_len, "{name}");
    }
}

#[cfg(feature = "xml")]
#[test]
fn every_recorded_error() {
    for &(name, x, kind, code, first_line) in ALL {
        let e = x.error();
        assert_eq!(e.kind(), kind, "{name}");
        assert!(e.is_http_response(), "{name}");
        assert_eq!(e.status().map(|s| s.as_u16()), Some(x.status), "{name}");
        assert_eq!(e.reason(), Some(x.reason), "{name}");
        assert_eq!(e.error_code(), code, "{name}");
        assert_eq!(e.error_code(), x.header("x-ms-error-code"), "{name}");
        assert_eq!(e.request_id(), x.header("x-ms-request-id"), "{name}");
        assert!(!e.response().unwrap().is_body_truncated(), "{name}");
        if let (Some(first), Some(code)) = (first_line, code) {
            let rid = x.header("x-ms-request-id").unwrap();
            let se = e
                .service_error()
                .unwrap_or_else(|| panic!("{name}: not parsed"));
            // XML wherever the Content-Type says so, even on the Table service.
            let xml = x.header("content-type") == Some("application/xml");
            assert_eq!(
                matches!(se, ServiceError::ODataV3(_)),
                !xml,
                "{name}: {se:?}"
            );
            assert_eq!(se.code(), Some(code), "{name}");
            // The message carries the request id and time on extra lines.
            let message = se.message().unwrap();
            assert!(
                message.starts_with(&format!("{first}\nRequestId:{rid}\nTime:2026-11-22T22:40:")),
                "{name}: {message:?}"
            );
            let expected = format!("({code}) {first}\nCode: {code}\nMessage: {message}");
            let text = e.to_string();
            assert!(text.starts_with(&expected), "{name}: {text:?}");
            assert_eq!(e.message(), text, "{name}");
            let errors = e.errors();
            assert_eq!(errors.len(), 1, "{name}");
            assert_eq!(errors[0].code(), Some(code), "{name}");
            assert_eq!(errors[0].detail(), Some(message), "{name}");
        } else {
            assert!(e.service_error().is_none(), "{name}");
            assert!(e.errors().is_empty(), "{name}");
            assert_eq!(
                e.to_string(),
                format!("Operation returned an invalid status '{}'", x.reason),
                "{name}"
            );
        }
        // Never retried: no Azurite error here is transient.
        assert!(!e.is_retryable(), "{name}");
    }
}

#[cfg(feature = "xml")]
#[test]
fn b5_blob_not_found() {
    let e = B5.error();
    assert_eq!(e.kind(), ErrorKind::ResourceNotFound);
    assert_eq!(e.error_code(), Some("BlobNotFound"));
    assert_eq!(e.request_id(), Some("4b885f1f-0e0d-4064-9bd3-5fc996b3ffd4"));
    // The reason phrase is the error message on Blob and Queue.
    assert_eq!(e.reason(), Some("The specified blob does not exist."));
    assert_eq!(
        e.to_string(),
        "(BlobNotFound) The specified blob does not exist.\n\
         Code: BlobNotFound\n\
         Message: The specified blob does not exist.\n\
         RequestId:4b885f1f-0e0d-4064-9bd3-5fc996b3ffd4\n\
         Time:2026-11-22T22:40:02.030Z"
    );
    let Some(ServiceError::Storage(s)) = e.service_error() else {
        panic!("{:?}", e.service_error());
    };
    assert!(s.extra().is_empty());
}

#[test]
fn b6_head_not_found_has_the_code_only_in_the_header() {
    let e = B6.error();
    assert_eq!(e.kind(), ErrorKind::ResourceNotFound);
    assert_eq!(e.error_code(), Some("BlobNotFound"));
    assert_eq!(e.request_id(), B6.header("x-ms-request-id"));
    assert_eq!(e.request_id(), Some("edccaab9-11cf-4ec8-bebb-6f770a46c81f"));
    assert!(e.service_error().is_none());
    // What azure-storage-blob shows as message[0] for the same HEAD.
    assert_eq!(
        e.to_string(),
        "Operation returned an invalid status 'The specified blob does not exist.'"
    );
    assert_eq!(e.message(), e.to_string());
}

#[test]
fn b8_not_modified_is_not_a_parse_error() {
    // 304 says `content-type: application/xml` but has no body.
    let e = B8.error();
    assert_eq!(e.kind(), ErrorKind::ResourceNotModified);
    assert_eq!(e.status(), Some(StatusCode::NOT_MODIFIED));
    assert_eq!(e.error_code(), Some("ConditionNotMet"));
    assert_eq!(e.request_id(), Some("18383fce-53de-4c9d-80e3-a14da1691b94"));
    assert!(e.service_error().is_none());
    assert_eq!(
        e.to_string(),
        "Operation returned an invalid status 'The condition specified using HTTP conditional \
         header(s) is not met.'"
    );
}

#[test]
fn b15_invalid_range_keeps_content_range() {
    let e = B15.error();
    assert_eq!(e.error_code(), Some("InvalidRange"));
    let r = e.response().unwrap();
    assert_eq!(r.headers()["content-range"], "bytes */15");
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
}

#[test]
fn b17_and_t11_code_less_bad_requests() {
    for x in [&B17, &T11] {
        let e = x.error();
        assert_eq!(e.kind(), ErrorKind::HttpResponse);
        assert_eq!(e.error_code(), None);
        assert_eq!(e.request_id(), None);
        assert!(e.service_error().is_none());
        assert_eq!(
            e.to_string(),
            "Operation returned an invalid status 'Bad Request'"
        );
    }
}

#[test]
fn t2_table_already_exists() {
    let e = T2.error();
    assert_eq!(e.kind(), ErrorKind::ResourceExists);
    assert_eq!(e.error_code(), Some("TableAlreadyExists"));
    assert_eq!(e.reason(), Some("Conflict"));
    assert_eq!(
        e.to_string(),
        "(TableAlreadyExists) The table specified already exists.\n\
         Code: TableAlreadyExists\n\
         Message: The table specified already exists.\n\
         RequestId:938b09e7-4636-45a9-9671-4afd4e6b9a1b\n\
         Time:2026-11-22T22:40:03.077Z"
    );
    let Some(ServiceError::ODataV3(t)) = e.service_error() else {
        panic!("{:?}", e.service_error());
    };
    assert_eq!(t.lang(), Some("en-US"));
    // The explicit Tables format gives the same.
    let explicit =
        Error::from_response(T2.response(), ErrorFormat::ODataV3, &ErrorMap::generated());
    assert_eq!(explicit.to_string(), e.to_string());
    // And the raw body is there for a typed model.
    let v: serde_json::Value = e.deserialize_body().unwrap().unwrap();
    assert_eq!(v["odata.error"]["code"], "TableAlreadyExists");
}

#[test]
fn t4_entity_already_exists_keeps_its_code() {
    // azure-data-tables loses error_code on this path and prints only the status text;
    // the header and the body both give it here.
    let e = T4.error();
    assert_eq!(e.kind(), ErrorKind::ResourceExists);
    assert_eq!(e.error_code(), Some("EntityAlreadyExists"));
    assert_eq!(
        e.service_error().unwrap().code(),
        Some("EntityAlreadyExists")
    );
    assert!(e
        .to_string()
        .starts_with("(EntityAlreadyExists) The specified entity already exists.\n"));
}

#[test]
fn t8_update_condition_not_satisfied() {
    let e = T8.error();
    assert_eq!(e.kind(), ErrorKind::ResourceModified);
    assert_eq!(e.reason(), Some("Precondition Failed"));
    assert_eq!(e.error_code(), Some("UpdateConditionNotSatisfied"));
    assert_eq!(
        e.service_error().unwrap().message(),
        Some(
            "The update condition specified in the request was not satisfied.\n\
             RequestId:5fcd3cae-4e9f-4dd4-82d1-f97b79f1d3ec\nTime:2026-11-22T22:40:03.291Z"
        )
    );
}

#[cfg(feature = "xml")]
#[test]
fn t14_table_auth_failure_is_xml() {
    let e = T14.error();
    assert!(matches!(e.service_error(), Some(ServiceError::Storage(_))));
    assert_eq!(e.error_code(), Some("AuthorizationFailure"));
    assert_eq!(e.reason(), Some("Forbidden"));
    assert_eq!(
        e.to_string(),
        format!(
            "(AuthorizationFailure) {AUTH_FAILED}\nCode: AuthorizationFailure\n\
             Message: {AUTH_FAILED}\nRequestId:d7bb28d7-df4c-41c5-82c4-2e4f6717ef9c\n\
             Time:2026-11-22T22:40:03.464Z"
        )
    );
}

#[test]
fn t14_with_the_json_only_tables_format_keeps_header_code_and_raw_text() {
    // A client that forces the Tables JSON format cannot read the XML body, but still gets
    // the code from the header and the raw text.
    let e = Error::from_response(T14.response(), ErrorFormat::ODataV3, &ErrorMap::generated());
    assert!(e.service_error().is_none());
    assert_eq!(e.error_code(), Some("AuthorizationFailure"));
    assert_eq!(
        e.to_string(),
        format!(
            "Operation returned an invalid status 'Forbidden'\nContent: {}",
            T14.body
        )
    );
}

#[cfg(feature = "xml")]
#[test]
fn o4_to_o6_keep_authentication_error_detail() {
    for (x, detail, rid, time) in [
        (
            &O4,
            "Authentication scheme Bearer is not supported.",
            "23b06ebd-12b2-413f-bec1-095daf5d23e4",
            "22:40:05.802Z",
        ),
        (
            &O5,
            "Lifetime validation failed. The token is expired.",
            "36cb9df4-5592-4012-a823-bb96d491514f",
            "22:40:05.838Z",
        ),
        (
            &O6,
            "Invalid token issuer.",
            "eda90efd-2954-440b-8046-a708f3cd560d",
            "22:40:05.876Z",
        ),
    ] {
        let e = x.error();
        let Some(ServiceError::Storage(s)) = e.service_error() else {
            panic!("{:?}", e.service_error());
        };
        assert_eq!(
            s.extra(),
            &[("AuthenticationErrorDetail".to_owned(), detail.to_owned())]
        );
        assert_eq!(
            e.to_string(),
            format!(
                "(AuthenticationFailed) {AUTH_FAILED}\nCode: AuthenticationFailed\n\
                 Message: {AUTH_FAILED}\nRequestId:{rid}\nTime:2026-11-22T{time}\n\
                 AuthenticationErrorDetail: {detail}"
            )
        );
    }
}

#[test]
fn blob_error_debug_shows_code_not_body() {
    let e = B11.error();
    let debug = format!("{e:?}");
    assert!(debug.contains("ResourceExists"), "{debug}");
    assert!(debug.contains("status: 409"), "{debug}");
    assert!(debug.contains("BlobAlreadyExists"), "{debug}");
    assert!(!debug.contains("RequestId:"), "{debug}");
}
