//! Random tokens and ids, the hash tokens are stored under, and issuing a token: the one place
//! where a [`TokenRecord`] is built, for the CLI's `token` command, the first-start and
//! configured admin tokens, and `POST /api/v1/tokens`. Must not import `api` or `cli`.

use sha2::{Digest, Sha256};

use crate::domain::{Layer, Role};
use crate::store::{Store, TokenRecord};

use super::{ServiceError, ServiceResult};

/// Lowercase hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn random_hex(len: usize) -> String {
    let mut buf = vec![0u8; len];
    // Ids only need to be unique, not secret: if the OS random source fails, the clock will do.
    if getrandom::fill(&mut buf).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
            .to_le_bytes();
        for (b, n) in buf.iter_mut().zip(nanos.iter().cycle()) {
            *b = *n;
        }
    }
    hex(&buf)
}

/// A new bearer token: `sg_` and 64 hex digits from the OS random source.
///
/// # Errors
/// When the OS random source fails.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf)?;
    Ok(format!("sg_{}", hex(&buf)))
}

/// The hex SHA-256 of a token, the only form in which tokens are stored.
#[must_use]
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Issues a new token for `name` with `role`: a random token ([`new_token`]), stored as its
/// hash only. The token itself is answered, to be shown once.
///
/// # Errors
/// When the OS random source or the store fails.
pub async fn issue_token(store: &dyn Store, name: &str, role: Role) -> ServiceResult<String> {
    let token = new_token().map_err(ServiceError::Random)?;
    insert(store, &token, name, role).await?;
    Ok(token)
}

/// Registers the given admin `token` (from the configuration) under `name`, unless its hash
/// is stored already. Answers whether it was added.
///
/// # Errors
/// When the store fails.
pub async fn register_admin_token(
    store: &dyn Store,
    token: &str,
    name: &str,
) -> ServiceResult<bool> {
    if store.find_token(&hash_token(token)).await?.is_some() {
        return Ok(false);
    }
    insert(store, token, name, Role::Admin).await?;
    Ok(true)
}

async fn insert(store: &dyn Store, token: &str, name: &str, role: Role) -> ServiceResult<()> {
    let record = TokenRecord {
        hash: hash_token(token),
        name: name.to_owned(),
        role,
    };
    store.insert_token(&record, chrono::Utc::now()).await?;
    Ok(())
}

/// A new server-assigned id for an item of `layer`, e.g. `W-3f9a0c1b2d4e`; an event's starts
/// with the time in milliseconds, e.g. `E-19af3c2b5e1-8c01d2f4`, so that ids of new events sort
/// after older ones and each lands at the end of the store's id index rather than at a random
/// page of it (at millions of events, random keys cost a page read per insert). The 32 random
/// bits keep ids drawn in one millisecond apart.
#[must_use]
pub fn new_id(layer: Layer) -> String {
    if layer == Layer::Event {
        let ms = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
        return format!("E-{ms:011x}-{}", random_hex(4));
    }
    let prefix = match layer {
        Layer::Worker => "W",
        Layer::PatrolRoute => "R",
        Layer::KeyArea => "K",
        Layer::Event => "E",
        Layer::Building => "B",
        Layer::Obstacle => "O",
        Layer::Road => "RD",
        Layer::Region | Layer::Grid | Layer::Camera => "X",
    };
    format!("{prefix}-{}", random_hex(6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_sort_by_time_and_differ_within_one_millisecond() {
        let ids: Vec<String> = (0..1_000).map(|_| new_id(Layer::Event)).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        let by_time: Vec<&str> = ids.iter().map(|id| &id[..13]).collect();
        assert!(by_time.is_sorted(), "the time part never goes back");
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len(), "no two alike");
        assert!(
            ids.iter()
                .all(|id| id.len() == 22 && crate::domain::codes::check_id(id).is_ok())
        );
    }

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let a = new_token().expect("rng");
        let b = new_token().expect("rng");
        assert_ne!(a, b);
        assert_eq!(a.len(), 67);
        assert_eq!(hash_token("abc"), hash_token("abc"));
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
