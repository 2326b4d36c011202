//! Personal data (PIPL: a phone number is personal information): workers' phone numbers are
//! masked for callers whose role does not need them ([`crate::domain::Role::sees_phones`]; no
//! token at all, or a viewer), and every answer that shows them unmasked is recorded in the
//! store (who asked, when, through what, whose) before it leaves ([`Service::record_personal_read`]).

use chrono::Utc;
use geojson::Feature;

use crate::domain::{Role, mask_phone};
use crate::store::{PERSONAL_READ_SAMPLE, PersonalRead};

use super::{Service, ServiceResult};

/// Masks the `phone` property of a worker Feature.
pub fn mask_worker_feature(feature: &mut Feature) {
    if let Some(props) = feature.properties.as_mut()
        && let Some(serde_json::Value::String(phone)) = props.get_mut("phone")
    {
        *phone = mask_phone(phone);
    }
}

impl Service {
    /// Records that the token `token` (of `role`) was shown the personal data of `subjects`
    /// (their keys) through `what`. Nothing is recorded for an answer that showed nobody's.
    ///
    /// # Errors
    /// Store failures: the caller must then not answer with the data.
    pub async fn record_personal_read(
        &self,
        token: &str,
        role: Role,
        what: &str,
        subjects: &[&str],
    ) -> ServiceResult<()> {
        if subjects.is_empty() {
            return Ok(());
        }
        let read = PersonalRead {
            at: Utc::now(),
            token: token.to_owned(),
            role,
            what: what.to_owned(),
            subjects: subjects.len() as u64,
            sample: subjects
                .iter()
                .take(PERSONAL_READ_SAMPLE)
                .map(|s| (*s).to_owned())
                .collect(),
        };
        self.store().record_personal_read(&read).await?;
        Ok(())
    }
}
