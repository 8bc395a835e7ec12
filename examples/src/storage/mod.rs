//! Azure Storage: example Blob and Table clients.
//!
//! They authenticate with the account's shared key, signed per attempt by clientcore's
//! [`SharedKeyPolicy`], or with an account SAS made by [`AccountSas`] and appended to every URL
//! by clientcore's SAS credential. Their tests run against Azurite, the
//! storage emulator, with its public development account ([`Account::devstoreaccount1`]).
//!
//! # Examples
//!
//! ```no_run
//! use clientcore::Client;
//! use clientcore_examples::storage::{blob::BlobService, Account, Auth};
//!
//! # async fn run() -> Result<(), clientcore::Error> {
//! let client = Client::builder().build()?;
//! let blobs = BlobService::new(
//!     "http://127.0.0.1:10000/devstoreaccount1".parse().unwrap(),
//!     Auth::SharedKey(Account::devstoreaccount1()),
//! );
//! let container = blobs.container("photos");
//! container.create().send(&client).await?;
//! let uploaded = container.blob("cat.txt").upload("meow").send(&client).await?;
//! println!("stored with ETag {}", uploaded.etag);
//! # Ok(()) }
//! ```

pub mod blob;
mod properties;
pub mod queue;
mod sign;
pub mod table;

use clientcore::http::{HeaderName, HeaderValue};
use clientcore::policies::auth::Credential;
use clientcore::policies::sign::{NamedKeyCredential, SharedKeyPolicy, SharedKeyScheme};
use clientcore::{Error, ErrorFormat, ErrorKind, ErrorMap, Options, Position, SharedPolicy};

pub use properties::Properties;
pub use sign::AccountSas;

/// The storage REST API version these clients speak (`x-ms-version`).
pub const API_VERSION: &str = "2021-12-02";

/// A storage account's name and key: clientcore's
/// [`NamedKeyCredential`], shared by every
/// clone, so [`update`](Self::update) rotates the key of the clients already built with it.
///
/// `Debug` never prints the key.
#[derive(Clone, Debug)]
pub struct Account(NamedKeyCredential);

impl Account {
    /// The account `name` with its base64 `key`, as the portal shows it.
    ///
    /// # Errors
    ///
    /// A [`ClientAuthentication`](ErrorKind::ClientAuthentication) error when the key is not
    /// base64.
    ///
    /// # Examples
    ///
    /// ```
    /// use clientcore_examples::storage::Account;
    ///
    /// let account = Account::new("myaccount", "c2VjcmV0").unwrap();
    /// assert_eq!(account.name(), "myaccount");
    /// assert!(!format!("{account:?}").contains("c2VjcmV0"));
    /// assert!(Account::new("myaccount", "not base64!").is_err());
    /// ```
    pub fn new(name: &str, key: &str) -> Result<Self, Error> {
        Credential::named_key(name, key).map(Account)
    }

    /// `devstoreaccount1`, the development account every Azure Storage emulator ships with.
    /// Its key is public (documented by Microsoft), which is why it can be written here.
    ///
    /// # Panics
    ///
    /// Never: the constant key is base64 (a unit test decodes it).
    pub fn devstoreaccount1() -> Self {
        const DEVSTORE_KEY: &str =
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
        Account::new("devstoreaccount1", DEVSTORE_KEY).expect("the development key is base64")
    }

    /// The account name.
    pub fn name(&self) -> String {
        self.0.name()
    }

    /// Replaces the key (after a rotation) for every client built with this account.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new); the old key stays.
    pub fn update(&self, key: &str) -> Result<(), Error> {
        self.0.update(self.0.name(), key)
    }

    /// The credential, to sign with.
    pub fn credential(&self) -> &NamedKeyCredential {
        &self.0
    }
}

impl From<NamedKeyCredential> for Account {
    fn from(credential: NamedKeyCredential) -> Self {
        Account(credential)
    }
}

/// How a storage client authenticates.
#[derive(Clone, Debug)]
pub enum Auth {
    /// Sign every attempt with the account key ([`SharedKeyPolicy`]).
    SharedKey(Account),
    /// Append a SAS query string (from [`AccountSas`], or from the portal) to every URL.
    Sas(String),
    /// No credentials: public containers only.
    Anonymous,
}

impl Auth {
    /// The options of every call to `service`: this authentication, the service's error
    /// format and map, and `x-ms-version`.
    fn options(self, service: SharedKeyScheme) -> Options {
        let options = match self {
            Auth::SharedKey(account) => {
                let policy = SharedPolicy::new(SharedKeyPolicy::new(account.0, service));
                Options::new().with_policy(Position::PerTry, policy)
            }
            Auth::Sas(query) => Options::new().with_credential(Credential::sas(query)),
            Auth::Anonymous => Options::new(),
        };
        // Tables answer OData JSON, but authentication failures in Storage XML.
        let format = match service {
            SharedKeyScheme::Table => ErrorFormat::Auto,
            _ => ErrorFormat::StorageXml,
        };
        let version = HeaderValue::from_static(API_VERSION);
        let options = options
            .with_error_format(format)
            .with_error_map(error_map());
        options.with_header(HeaderName::from_static("x-ms-version"), version)
    }
}

/// The statuses storage operations map, over the generated map: a refused signature or
/// SAS (403 `AuthorizationFailure`) is an authentication failure, as the Azure SDKs treat
/// it.
fn error_map() -> ErrorMap {
    ErrorMap::generated()
        .with(403, ErrorKind::ClientAuthentication)
        .with_code("QueueAlreadyExists", ErrorKind::ResourceExists)
}
