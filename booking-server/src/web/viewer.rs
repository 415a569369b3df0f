//! Who is looking at a page.

use booking_core::Actor;

use crate::jwt::Claims;

/// The signed-in person of a page request.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub actor: Actor,
    pub csrf: String,
    pub(super) claims: Claims,
}
