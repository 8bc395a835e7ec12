//! An example Azure Resource Manager client: virtual networks, created or updated with a
//! `PUT` that runs as a long-running operation.
//!
//! What it shows of clientcore:
//!
//! - **Long-running operations** with [`clientcore::lro`]: ARM answers a `PUT` of a virtual
//!   network with `201 Created`, an `Azure-AsyncOperation` header naming a status monitor and
//!   a `Retry-After`; the poller waits, polls the monitor until its `status` is terminal, then
//!   `GET`s the resource. [`LongRunning`] wraps this for either client, and gives the
//!   poller itself (with its continuation token) to callers who want to stop and resume.
//! - **The ARM error format** ([`ErrorFormat::Arm`]): OData v4 errors plus
//!   `additionalInfo`, on the initial call and in a failed operation's monitor alike.
//! - **Policy violations read typed**: a `403 RequestDisallowedByPolicy` carries
//!   `additionalInfo` entries of type `PolicyViolation`; [`additional_info`] gives them as
//!   [`TypedErrorInfo`] and [`PolicyViolation`] deserializes their `info`.
//!
//! # Examples
//!
//! ```no_run
//! use clientcore::Client;
//! use clientcore_examples::arm::{ArmClient, PolicyViolation, VirtualNetwork};
//!
//! # async fn run(credential: std::sync::Arc<dyn clientcore::credential::TokenCredential>)
//! # -> Result<(), clientcore::Error> {
//! let arm = ArmClient::new(ArmClient::DEFAULT_ENDPOINT.parse().unwrap(), "my-subscription-id");
//! // ARM's default credential is a bearer token for `ArmClient::SCOPE`, fetched by the client.
//! let client = Client::builder().token_credential(credential).build()?;
//!
//! let vnet = VirtualNetwork::new("eastus", ["10.0.0.0/16"]);
//! match arm.begin_create_or_update_virtual_network("rg", "vnet1", &vnet)?.send(&client).await {
//!     Ok(done) => println!("{:?}", done.properties.provisioning_state),
//!     Err(e) if e.error_code() == Some("RequestDisallowedByPolicy") => {
//!         for v in PolicyViolation::all_in(&e).unwrap_or_default() {
//!             println!("denied by {:?}", v.policy_definition_display_name);
//!         }
//!     }
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use clientcore::format::TypedErrorInfo;
use clientcore::http::Method;
use clientcore::lro::{BlockingPoller, LroOptions, Poller};
use clientcore::policies::auth::Credential;
use clientcore::{
    BlockingClient, Body, Client, Error, ErrorFormat, ErrorKind, Options, Request, ServiceError,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::operation::Operation;

/// A client of Azure Resource Manager for one subscription.
///
/// It holds no connection: each method describes one call, sent with a
/// [`Client`] or a [`BlockingClient`].
///
/// # Examples
///
/// ```
/// use clientcore_examples::arm::{ArmClient, VirtualNetwork};
///
/// let arm = ArmClient::new(ArmClient::DEFAULT_ENDPOINT.parse().unwrap(), "sub-1");
/// let put = arm
///     .begin_create_or_update_virtual_network("rg", "vnet1", &VirtualNetwork::new("eastus", ["10.0.0.0/16"]))
///     .unwrap();
/// assert_eq!(
///     put.request().unwrap().parts.url.as_str(),
///     "https://management.azure.com/subscriptions/sub-1/resourceGroups/rg/providers/\
///      Microsoft.Network/virtualNetworks/vnet1?api-version=2024-05-01",
/// );
/// ```
#[derive(Clone)]
pub struct ArmClient {
    endpoint: Url,
    subscription_id: String,
    options: Options,
    lro: LroOptions,
}

impl ArmClient {
    /// The public cloud's Resource Manager.
    pub const DEFAULT_ENDPOINT: &'static str = "https://management.azure.com";

    /// The scope of the bearer tokens ARM accepts in the public cloud.
    pub const SCOPE: &'static str = "https://management.azure.com/.default";

    /// The `api-version` of `Microsoft.Network` this client speaks.
    pub const NETWORK_API_VERSION: &'static str = "2024-05-01";

    /// A client of the Resource Manager at `endpoint` for `subscription_id`, authenticating
    /// with bearer tokens for [`SCOPE`](Self::SCOPE): the client that sends the calls needs a
    /// token credential (`Client::builder().token_credential(…)`). Bearer tokens are only
    /// sent over `https`.
    pub fn new(endpoint: Url, subscription_id: impl Into<String>) -> Self {
        let options = Options::new()
            .with_credential(Credential::bearer([Self::SCOPE]))
            .with_error_format(ErrorFormat::Arm);
        ArmClient {
            endpoint,
            subscription_id: subscription_id.into(),
            options,
            lro: LroOptions::new(),
        }
    }

    /// Authenticates with `credential` instead of bearer tokens for [`SCOPE`](Self::SCOPE):
    /// another cloud's scope, or a fixed header for a local emulator.
    #[must_use]
    pub fn with_credential(mut self, credential: Credential) -> Self {
        self.options = self.options.with_credential(credential);
        self
    }

    /// How long to wait between polls when the service gives no `Retry-After`. Default is
    /// 30 seconds.
    #[must_use]
    pub fn with_polling_interval(mut self, interval: Duration) -> Self {
        self.lro = self.lro.with_polling_interval(interval);
        self
    }

    /// The subscription.
    pub fn subscription_id(&self) -> &str {
        &self.subscription_id
    }

    /// Creates or updates a virtual network: `PUT …/virtualNetworks/{name}` with `network`
    /// as the body, then waits for the operation and reads the network back.
    ///
    /// Nothing is sent until the returned [`LongRunning`] is.
    ///
    /// # Errors
    ///
    /// A [`Serialization`](ErrorKind::Serialization) error if `network` cannot be written
    /// as JSON.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientcore::BlockingClient;
    /// use clientcore_examples::arm::{ArmClient, VirtualNetwork};
    ///
    /// # fn run(client: BlockingClient) -> Result<(), clientcore::Error> {
    /// let arm = ArmClient::new(ArmClient::DEFAULT_ENDPOINT.parse().unwrap(), "sub-1");
    /// let vnet = VirtualNetwork::new("eastus", ["10.0.0.0/16"]).with_tag("env", "test");
    /// let done = arm
    ///     .begin_create_or_update_virtual_network("rg", "vnet1", &vnet)?
    ///     .send_blocking(&client)?;
    /// assert_eq!(done.properties.provisioning_state.as_deref(), Some("Succeeded"));
    /// # Ok(()) }
    /// ```
    pub fn begin_create_or_update_virtual_network(
        &self,
        resource_group: &str,
        name: &str,
        network: &VirtualNetwork,
    ) -> Result<LongRunning<VirtualNetwork>, Error> {
        let request = self.network(Method::PUT, resource_group, name);
        let request = request.with_json(network)?;
        Ok(LongRunning {
            start: Start::Request(Box::new(request)),
            // No success statuses here: the poller takes every status below 400 and its
            // decider accepts 200, 201, 202 and 204 for the initial call, as ARM documents.
            options: self.options.clone(),
            lro: self.lro.clone(),
            _result: PhantomData,
        })
    }

    /// A virtual network: `GET …/virtualNetworks/{name}`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientcore::{Client, ErrorKind};
    /// use clientcore_examples::arm::ArmClient;
    ///
    /// # async fn run(client: Client) -> Result<(), clientcore::Error> {
    /// let arm = ArmClient::new(ArmClient::DEFAULT_ENDPOINT.parse().unwrap(), "sub-1");
    /// match arm.get_virtual_network("rg", "vnet1").send(&client).await {
    ///     Ok(vnet) => println!("{:?}", vnet.properties.address_space.address_prefixes),
    ///     Err(e) if e.kind() == ErrorKind::ResourceNotFound => println!("no such network"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn get_virtual_network(
        &self,
        resource_group: &str,
        name: &str,
    ) -> Operation<VirtualNetwork> {
        Operation::new(
            self.network(Method::GET, resource_group, name),
            self.options.clone().with_success_statuses(&[200]),
            |_, body| {
                serde_json::from_slice(&body)
                    .map_err(|e| Error::with_source(ErrorKind::Deserialization, e))
            },
        )
    }

    /// Resumes, from a poller's continuation token, an operation of this client that
    /// returns a `T` (e.g. [`VirtualNetwork`] for a create or update), in this process or
    /// another. Nothing is sent until the returned [`LongRunning`] is.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clientcore::Client;
    /// use clientcore_examples::arm::{ArmClient, VirtualNetwork};
    ///
    /// # async fn run(client: Client, token: String) -> Result<(), clientcore::Error> {
    /// let arm = ArmClient::new(ArmClient::DEFAULT_ENDPOINT.parse().unwrap(), "sub-1");
    /// let vnet: VirtualNetwork = arm.resume(token).send(&client).await?;
    /// # let _ = vnet; Ok(()) }
    /// ```
    pub fn resume<T: DeserializeOwned>(&self, token: impl Into<String>) -> LongRunning<T> {
        LongRunning {
            start: Start::Token(token.into()),
            options: self.options.clone(),
            lro: self.lro.clone(),
            _result: PhantomData,
        }
    }

    fn network(&self, method: Method, resource_group: &str, name: &str) -> Request<Body> {
        let mut url = self.endpoint.clone();
        // A base URL that cannot take a path is left as it is: the call then fails with the
        // service's (or the transport's) error rather than a panic here.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend([
                "subscriptions",
                &self.subscription_id,
                "resourceGroups",
                resource_group,
                "providers",
                "Microsoft.Network",
                "virtualNetworks",
                name,
            ]);
        }
        Request::new(method, url).with_query("api-version", Self::NETWORK_API_VERSION)
    }
}

impl fmt::Debug for ArmClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArmClient")
            .field("endpoint", &self.endpoint.as_str())
            .field("subscription_id", &self.subscription_id)
            .finish_non_exhaustive()
    }
}

/// A long-running operation that ends in a `T`, ready to be started (or resumed) by either
/// client.
///
/// [`send`](Self::send) and [`send_blocking`](Self::send_blocking) run it to the end;
/// [`begin`](Self::begin) and [`begin_blocking`](Self::begin_blocking) give the poller, whose
/// continuation token resumes it with [`ArmClient::resume`]. The pollers wait with the
/// client's clock, so a client on a fake clock polls without sleeping.
pub struct LongRunning<T> {
    start: Start,
    options: Options,
    lro: LroOptions,
    _result: PhantomData<fn() -> T>,
}

/// Where a [`LongRunning`] starts from.
enum Start {
    /// The initial request, not sent yet (boxed: it is many times the size of a token).
    Request(Box<Request<Body>>),
    /// A continuation token: the initial call was made before.
    Token(String),
}

impl<T: DeserializeOwned> LongRunning<T> {
    /// Changes the options of every call of the operation (a timeout, a retry policy, a
    /// hook) before starting it.
    #[must_use]
    pub fn options(mut self, change: impl FnOnce(Options) -> Options) -> Self {
        self.options = change(self.options);
        self
    }

    /// The initial request as it will be sent (before the pipeline adds its headers);
    /// `None` for a resumed operation, whose initial request was sent before.
    pub fn request(&self) -> Option<&Request<Body>> {
        match &self.start {
            Start::Request(r) => Some(r),
            Start::Token(_) => None,
        }
    }

    /// Sends the initial request (or resumes from the token) and returns the poller.
    ///
    /// # Errors
    ///
    /// The initial call's errors (typed in the ARM format), an initial status that starts no
    /// operation, and an `Other` error for a token that is not one.
    pub async fn begin(self, client: &Client) -> Result<Poller, Error> {
        match self.start {
            Start::Request(r) => Poller::begin(client, *r, &self.options, self.lro).await,
            Start::Token(t) => Poller::from_continuation_token(client, &t, &self.options, self.lro),
        }
    }

    /// [`begin`](Self::begin) with the blocking client.
    ///
    /// # Errors
    ///
    /// As [`begin`](Self::begin).
    pub fn begin_blocking(self, client: &BlockingClient) -> Result<BlockingPoller, Error> {
        match self.start {
            Start::Request(r) => BlockingPoller::begin(client, *r, &self.options, self.lro),
            Start::Token(t) => {
                BlockingPoller::from_continuation_token(client, &t, &self.options, self.lro)
            }
        }
    }

    /// Runs the operation to the end with the async client and decodes the final resource.
    ///
    /// # Errors
    ///
    /// Those of [`begin`](Self::begin); a failed or canceled operation (an `HttpResponse`
    /// error with the monitor's ARM error and the continuation token); errors while polling;
    /// a `Deserialization` error when the final body is empty or not a `T`.
    pub async fn send(self, client: &Client) -> Result<T, Error> {
        self.begin(client)
            .await?
            .result()
            .await?
            .ok_or_else(no_result)
    }

    /// Runs the operation to the end with the blocking client and decodes the final
    /// resource.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub fn send_blocking(self, client: &BlockingClient) -> Result<T, Error> {
        self.begin_blocking(client)?.result()?.ok_or_else(no_result)
    }
}

impl<T> fmt::Debug for LongRunning<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("LongRunning");
        match &self.start {
            Start::Request(r) => d
                .field("method", &r.parts.method)
                .field("url", &r.parts.url.as_str()),
            // The token is not secret, but it is long and says nothing at a glance.
            Start::Token(_) => d.field("resumed", &true),
        };
        d.finish_non_exhaustive()
    }
}

/// The operation succeeded and its final response had no body: the documented answer is a
/// resource, so this is a response the caller cannot use.
fn no_result() -> Error {
    Error::new(
        ErrorKind::Deserialization,
        "the long-running operation finished without a resource in its final response",
    )
}

/// A virtual network: what is sent to create or update one, and what ARM returns.
///
/// Read-only members (`id`, `name`, `type`, `provisioningState`) are read, never sent.
///
/// # Examples
///
/// ```
/// use clientcore_examples::arm::VirtualNetwork;
///
/// let vnet = VirtualNetwork::new("eastus", ["10.0.0.0/16"]).with_tag("env", "test");
/// assert_eq!(
///     serde_json::to_value(&vnet).unwrap(),
///     serde_json::json!({"location": "eastus", "tags": {"env": "test"},
///         "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}),
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualNetwork {
    /// The resource id (read-only).
    #[serde(default, skip_serializing)]
    pub id: Option<String>,
    /// The resource name (read-only).
    #[serde(default, skip_serializing)]
    pub name: Option<String>,
    /// The resource type, `Microsoft.Network/virtualNetworks` (read-only).
    #[serde(rename = "type", default, skip_serializing)]
    pub resource_type: Option<String>,
    /// The Azure region.
    pub location: String,
    /// The resource tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// The network's properties.
    #[serde(default)]
    pub properties: VirtualNetworkProperties,
}

impl VirtualNetwork {
    /// A network in `location` over the address ranges `prefixes` (CIDR).
    pub fn new<I, S>(location: impl Into<String>, prefixes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        VirtualNetwork {
            location: location.into(),
            properties: VirtualNetworkProperties {
                address_space: AddressSpace {
                    address_prefixes: prefixes.into_iter().map(Into::into).collect(),
                },
                provisioning_state: None,
            },
            ..VirtualNetwork::default()
        }
    }

    /// Adds a tag.
    #[must_use]
    pub fn with_tag(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.insert(name.into(), value.into());
        self
    }
}

/// The properties of a [`VirtualNetwork`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualNetworkProperties {
    /// The address ranges of the network.
    #[serde(default)]
    pub address_space: AddressSpace,
    /// `Succeeded`, `Updating`, `Deleting` or `Failed` (read-only).
    #[serde(default, skip_serializing)]
    pub provisioning_state: Option<String>,
}

/// The address ranges of a [`VirtualNetwork`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressSpace {
    /// The ranges, in CIDR notation.
    #[serde(default)]
    pub address_prefixes: Vec<String>,
}

/// The `additionalInfo` entries of an ARM error (of the top-level error, not its details);
/// empty when the error has none or did not come from an ARM body.
///
/// # Examples
///
/// ```
/// use clientcore::http::{HeaderMap, StatusCode};
/// use clientcore::{CapturedResponse, Error, ErrorFormat, ErrorMap};
/// use clientcore_examples::arm::additional_info;
///
/// let body = r#"{"error": {"code": "C", "message": "M",
///     "additionalInfo": [{"type": "PolicyViolation", "info": {"policyAssignmentName": "a"}}]}}"#;
/// let response = CapturedResponse::new(StatusCode::FORBIDDEN, HeaderMap::new(), body.into());
/// let err = Error::from_response(response, ErrorFormat::Arm, &ErrorMap::generated());
/// let info = additional_info(&err);
/// assert_eq!(info[0].type_(), "PolicyViolation");
/// assert_eq!(info[0].info()["policyAssignmentName"], "a");
/// ```
pub fn additional_info(err: &Error) -> &[TypedErrorInfo] {
    match err.service_error() {
        Some(ServiceError::OData(e)) => e.additional_info(),
        _ => &[],
    }
}

/// The `info` of an `additionalInfo` entry of type `PolicyViolation`: which policy denied
/// the request, and why. Members ARM leaves out are `None`.
///
/// # Examples
///
/// ```
/// use clientcore::format::TypedErrorInfo;
/// use clientcore_examples::arm::PolicyViolation;
///
/// let entry = TypedErrorInfo::new("PolicyViolation", serde_json::json!({
///     "policyDefinitionDisplayName": "Allowed locations",
///     "policyAssignmentName": "allowed-locations",
/// }));
/// let v = PolicyViolation::from_info(&entry).unwrap().unwrap();
/// assert_eq!(v.policy_definition_display_name.as_deref(), Some("Allowed locations"));
/// assert!(PolicyViolation::from_info(&TypedErrorInfo::new("Other", serde_json::json!({}))).is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PolicyViolation {
    /// The id of the policy definition.
    pub policy_definition_id: Option<String>,
    /// The name of the policy definition (for built-ins, a GUID).
    pub policy_definition_name: Option<String>,
    /// The display name of the policy definition, e.g. `Allowed locations`.
    pub policy_definition_display_name: Option<String>,
    /// The policy's effect, e.g. `deny`.
    pub policy_definition_effect: Option<String>,
    /// The id of the policy assignment.
    pub policy_assignment_id: Option<String>,
    /// The name of the policy assignment.
    pub policy_assignment_name: Option<String>,
    /// The display name of the policy assignment.
    pub policy_assignment_display_name: Option<String>,
    /// The scope the policy is assigned at.
    pub policy_assignment_scope: Option<String>,
    /// The parameters of the assignment, as ARM sent them.
    pub policy_assignment_parameters: Option<Value>,
    /// How the request was evaluated against the policy.
    pub evaluation_details: Option<EvaluationDetails>,
}

impl PolicyViolation {
    /// The type of the `additionalInfo` entries that hold a policy violation.
    pub const TYPE: &'static str = "PolicyViolation";

    /// Reads `entry` as a policy violation: `None` when it is of another type.
    ///
    /// # Errors
    ///
    /// The inner result fails when the entry's `info` is not a policy violation's shape.
    pub fn from_info(entry: &TypedErrorInfo) -> Option<Result<Self, serde_json::Error>> {
        (entry.type_() == Self::TYPE).then(|| Self::deserialize(entry.info()))
    }

    /// Every policy violation of an ARM error, in body order; empty when it has none.
    ///
    /// # Errors
    ///
    /// When the `info` of a `PolicyViolation` entry is not a policy violation's shape.
    pub fn all_in(err: &Error) -> Result<Vec<Self>, serde_json::Error> {
        additional_info(err)
            .iter()
            .filter_map(Self::from_info)
            .collect()
    }
}

/// The `evaluationDetails` of a [`PolicyViolation`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EvaluationDetails {
    /// The policy's conditions and what the request gave for each.
    pub evaluated_expressions: Vec<EvaluatedExpression>,
}

/// One condition of a policy, evaluated against the request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EvaluatedExpression {
    /// `True` or `False`.
    pub result: Option<String>,
    /// E.g. `Field`.
    pub expression_kind: Option<String>,
    /// The expression, e.g. `location`.
    pub expression: Option<String>,
    /// The property path it reads.
    pub path: Option<String>,
    /// What the request had there.
    pub expression_value: Option<Value>,
    /// What the policy compares it with.
    pub target_value: Option<Value>,
    /// The comparison, e.g. `In`.
    pub operator: Option<String>,
}
