//! Account SAS tokens, signed with clientcore's
//! [`NamedKeyCredential`](clientcore::policies::sign::NamedKeyCredential): the string to sign
//! follows the "Create an account SAS" REST documentation. (SharedKey signing is clientcore's
//! [`SharedKeyPolicy`](clientcore::policies::sign::SharedKeyPolicy).)

use super::{Account, API_VERSION};

/// An account SAS: a query string that grants its holder `permissions` on the account's
/// Blob, Queue and Table services (`ss=bqt`, `srt=sco`) until `expiry`, signed with the key.
///
/// # Examples
///
/// ```
/// use clientcore_examples::storage::{Account, AccountSas};
///
/// let sas = AccountSas::new("2099-12-31T23:59:59Z").sign(&Account::devstoreaccount1());
/// assert!(sas.starts_with("sv=2021-12-02&ss=bqt&srt=sco&sp=rwdlacup&se=2099-12-31T23%3A59%3A59Z"));
/// assert!(sas.contains("&sig="));
/// ```
#[derive(Clone, Debug)]
pub struct AccountSas {
    permissions: String,
    expiry: String,
}

impl AccountSas {
    /// Every permission (`sp=rwdlacup`) over HTTPS or HTTP until `expiry` (ISO 8601 UTC, e.g.
    /// `2099-12-31T23:59:59Z`).
    pub fn new(expiry: &str) -> Self {
        AccountSas {
            permissions: "rwdlacup".into(),
            expiry: expiry.into(),
        }
    }

    /// Narrows the permissions (`sp`), e.g. `"rl"` for read and list only.
    #[must_use]
    pub fn with_permissions(mut self, permissions: &str) -> Self {
        self.permissions = permissions.into();
        self
    }

    /// The query string (without `?`), signed with `account`'s key.
    pub fn sign(&self, account: &Account) -> String {
        let (sp, se) = (&self.permissions, &self.expiry);
        // `st`, `sip` and the encryption scope (`ses`, signed since 2020-12-06) are empty.
        let (_, sig) = account.credential().sign(|name| {
            format!("{name}\n{sp}\nbqt\nsco\n\n{se}\n\nhttps,http\n{API_VERSION}\n\n")
        });
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let (sp, se, sig) = (enc(sp), enc(se), enc(&sig));
        format!("sv={API_VERSION}&ss=bqt&srt=sco&sp={sp}&se={se}&spr=https%2Chttp&sig={sig}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_sas_matches_a_signature_azurite_accepted() {
        // The account SAS recorded against Azurite 3.35.0 for the development account.
        let sas = AccountSas::new("2099-12-31T23:59:59Z").sign(&Account::devstoreaccount1());
        assert_eq!(
            sas,
            "sv=2021-12-02&ss=bqt&srt=sco&sp=rwdlacup&se=2099-12-31T23%3A59%3A59Z\
             &spr=https%2Chttp&sig=56y53R2cQPKWTM1l0hVP7x62mao9gUEvmNunL%2B8f1UY%3D"
        );
    }
}
