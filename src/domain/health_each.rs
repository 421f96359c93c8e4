//! A tenant's token check over its integrations. Each integration holding a consent has its
//! own token, tried with its own OAuth client and judged on its own; the tenant's check
//! reports the verdict needing attention first (our client refused, a token refused, no
//! answer, healthy) with each integration's reason, named when the tenant checked more
//! than one. A tenant of one integration reads exactly as before.

use super::health::Health;
use super::integration::Integration;

/// Lower comes first: how much a verdict needs someone's attention.
pub fn attention(health: Health) -> u8 {
    match health {
        Health::ClientError => 0,
        Health::NeedsReconsent => 1,
        Health::Transient => 2,
        Health::Healthy => 3,
    }
}

/// The tenant's verdict from its integrations' (`None`: none was checked) and its reason.
pub fn tenant_verdict(checked: &[(Integration, Health, String)]) -> Option<(Health, String)> {
    let health = checked.iter().map(|c| c.1).min_by_key(|h| attention(*h))?;
    let reason = match checked {
        [(_, _, reason)] => reason.clone(),
        _ => checked
            .iter()
            .map(|(i, _, reason)| format!("{i}: {reason}"))
            .collect::<Vec<_>>()
            .join("; "),
    };
    Some((health, reason))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Integration::{Gmail, GoogleDrive};

    #[test]
    fn one_integration_reads_as_its_own_check() {
        let one = [(Gmail, Health::Healthy, "the refresh token works".into())];
        assert_eq!(
            tenant_verdict(&one),
            Some((Health::Healthy, "the refresh token works".into()))
        );
        assert_eq!(tenant_verdict(&[]), None);
    }

    #[test]
    fn the_verdict_needing_attention_speaks_for_the_tenant_and_each_is_named() {
        let two = [
            (Gmail, Health::Healthy, "works".into()),
            (GoogleDrive, Health::NeedsReconsent, "refused".into()),
        ];
        assert_eq!(
            tenant_verdict(&two),
            Some((
                Health::NeedsReconsent,
                "gmail: works; google-drive: refused".into()
            ))
        );
        let client = [
            (Gmail, Health::Transient, "busy".into()),
            (GoogleDrive, Health::ClientError, "client".into()),
        ];
        assert_eq!(
            tenant_verdict(&client).map(|v| v.0),
            Some(Health::ClientError)
        );
    }
}
