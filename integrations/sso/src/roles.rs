//! Which role a signed-in identity gets: claim/group → role mappings. Pure.

use booking_core::Role;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// "Members of group `facilities` are room admins for the rooms on floor 2."
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct RoleMapping {
    /// The claim to look at (a string or an array of strings).
    #[serde(default = "default_claim")]
    pub claim: String,
    /// The value that must be present.
    pub value: String,
    pub role: Role,
    /// For `room_admin`: the floors whose rooms they manage.
    #[serde(default)]
    pub floors: Vec<i32>,
}

fn default_claim() -> String {
    "groups".into()
}

/// What the mappings grant a signed-in identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub floors: Vec<i32>,
}

fn rank(role: Role) -> u8 {
    match role {
        Role::User => 0,
        Role::ProcurementOfficer => 1,
        Role::RoomAdmin => 2,
        Role::SuperAdmin => 3,
    }
}

/// The strongest role among the matching mappings (floors of equal-role
/// mappings are merged), or `None` when no mapping matches.
pub fn map_grant(mappings: &[RoleMapping], claims: &Value) -> Option<Grant> {
    let has = |claim: &str, value: &str| match claims.get(claim) {
        Some(Value::String(s)) => s == value,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(value)),
        Some(Value::Bool(b)) => b.to_string() == value,
        _ => false,
    };
    let mut best: Option<Grant> = None;
    for m in mappings.iter().filter(|m| has(&m.claim, &m.value)) {
        match &mut best {
            Some(g) if rank(g.role) > rank(m.role) => {}
            Some(g) if g.role == m.role => {
                for f in &m.floors {
                    if !g.floors.contains(f) {
                        g.floors.push(*f);
                    }
                }
            }
            _ => {
                best = Some(Grant {
                    role: m.role,
                    floors: m.floors.clone(),
                })
            }
        }
    }
    if let Some(g) = &mut best {
        g.floors.sort_unstable();
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(value: &str, role: Role, floors: &[i32]) -> RoleMapping {
        RoleMapping {
            claim: "groups".into(),
            value: value.into(),
            role,
            floors: floors.to_vec(),
        }
    }

    #[test]
    fn strongest_matching_role_wins_and_floors_merge() {
        let maps = [
            m("facilities", Role::RoomAdmin, &[2]),
            m("facilities-east", Role::RoomAdmin, &[3, 2]),
            m("it", Role::SuperAdmin, &[]),
            m("buyers", Role::ProcurementOfficer, &[]),
        ];
        let g = map_grant(&maps, &json!({"groups": ["facilities", "facilities-east"]}));
        assert_eq!(
            g,
            Some(Grant {
                role: Role::RoomAdmin,
                floors: vec![2, 3]
            })
        );
        let g = map_grant(&maps, &json!({"groups": ["buyers", "it"]}));
        assert_eq!(g.map(|g| g.role), Some(Role::SuperAdmin));
        assert_eq!(map_grant(&maps, &json!({"groups": ["sales"]})), None);
        assert_eq!(map_grant(&maps, &json!({})), None);
        // A single string claim works too.
        let single = [RoleMapping {
            claim: "department".into(),
            ..m("buyers", Role::ProcurementOfficer, &[])
        }];
        assert!(map_grant(&single, &json!({"department": "buyers"})).is_some());
    }
}
