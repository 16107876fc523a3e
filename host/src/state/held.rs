//! Items the component holds for the merchant (a refusal that trying again cannot fix, see
//! the guest's `sync::held`), read straight from the connection's state: the status page,
//! `check` and `sync` list them, and the merchant retries (the hold is forgotten, so the
//! next run tries again) or dismisses them (the flow leaves them alone for good).

use crate::state::store::Namespace;
use anyhow::Result;
use woonox_guest::sync::held::{Held, PREFIX};
use woonox_guest::sync::our_invoices::whole_key;

/// One hold and the state key that keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldItem {
    pub key: String,
    pub held: Held,
}

/// Holds still waiting for the merchant, optionally of one flow ("credit-notes").
pub fn waiting(ns: &Namespace, flow: Option<&str>) -> Result<Vec<HeldItem>> {
    let mut items = Vec::new();
    for key in ns.keys(PREFIX)? {
        let Some(value) = ns.get(&key)? else { continue };
        let Ok(held) = serde_json::from_slice::<Held>(&value) else { continue };
        if !held.dismissed && flow.is_none_or(|f| f == held.flow) {
            items.push(HeldItem { key, held });
        }
    }
    Ok(items)
}

/// The next run tries the item again: the hold is forgotten, and the flow's next read of
/// Fortnox is whole, since its cursor has moved past the item.
pub fn retry(ns: &Namespace, key: &str) -> Result<bool> {
    let Some(value) = ns.get(key)?.filter(|_| key.starts_with(PREFIX)) else { return Ok(false) };
    if let Ok(held) = serde_json::from_slice::<Held>(&value) {
        ns.delete(&whole_key(&held.flow))?;
    }
    ns.delete(key)?;
    Ok(true)
}

/// The flow leaves the item alone from now on.
pub fn dismiss(ns: &Namespace, key: &str) -> Result<bool> {
    let Some(value) = ns.get(key)?.filter(|_| key.starts_with(PREFIX)) else { return Ok(false) };
    let mut held: Held = serde_json::from_slice(&value)?;
    held.dismissed = true;
    ns.set(key, serde_json::to_string(&held)?.as_bytes())?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::store::Store;

    fn hold(ns: &Namespace, flow: &str, item: &str) -> String {
        let key = format!("{PREFIX}{flow}:{item}");
        let held = Held { flow: flow.into(), item: item.into(), reason: "refused".into(), dismissed: false };
        ns.set(&key, serde_json::to_string(&held).unwrap().as_bytes()).unwrap();
        key
    }

    #[test]
    fn retried_items_are_forgotten_and_dismissed_ones_stop_waiting() {
        let store = Store::in_memory().unwrap();
        let ns = store.namespace("shop");
        let (a, b) = (hold(&ns, "credit-notes", "credit invoice 7"), hold(&ns, "credit-notes", "credit invoice 8"));
        ns.set("pending:x", b"1").unwrap();
        assert_eq!(waiting(&ns, None).unwrap().len(), 2);
        assert!(waiting(&ns, Some("orders")).unwrap().is_empty());
        ns.set(&whole_key("credit-notes"), b"2026-12-01T10:00:00").unwrap();
        assert!(retry(&ns, &a).unwrap());
        assert_eq!(ns.get(&a).unwrap(), None);
        assert_eq!(ns.get(&whole_key("credit-notes")).unwrap(), None, "the next read is whole, finding the item");
        assert!(dismiss(&ns, &b).unwrap());
        assert!(waiting(&ns, None).unwrap().is_empty());
        assert!(ns.get(&b).unwrap().is_some(), "a dismissed hold stays, so the flow keeps leaving it alone");
        assert!(!retry(&ns, "pending:x").unwrap(), "only holds can be retried");
    }
}
