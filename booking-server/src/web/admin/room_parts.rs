//! The "Divisible room" section of a room's admin page: which rooms this
//! one is made of (a hall of A and B), and `POST /admin/rooms/{id}/parts`.

use booking_core::{Room, RoomId, RoomListing};
use poem::web::{Data, Path};
use poem::{Response, handler};

use super::super::page::{error_redirect, explain, flash_redirect};
use super::super::session::Posted;
use crate::state::AppState;

/// A room that could be a part, and whether it is one.
pub struct PartChoice {
    pub id: String,
    pub name: String,
    pub on: bool,
}

/// What the room's page shows of its links.
#[derive(Default)]
pub struct PartsView {
    /// Rooms it may be made of (none when it is itself a part).
    pub choices: Vec<PartChoice>,
    /// The combined rooms it is a part of.
    pub part_of: Vec<String>,
    /// The public request form, when the room takes guests.
    pub guest_form: Option<String>,
}

/// The links of `room` as its page shows them.
pub async fn view(state: &AppState, room: &Room) -> PartsView {
    let (Ok(links), Ok(rooms)) = (
        state.svc.room_links().await,
        state.svc.list_rooms(RoomListing::Current).await,
    ) else {
        return PartsView::default();
    };
    let name = |id: RoomId| {
        rooms
            .iter()
            .find(|r| r.id == id)
            .map_or_else(|| id.to_string(), |r| r.name.clone())
    };
    let part_of: Vec<String> = links.combined_of(room.id).into_iter().map(name).collect();
    let parts = links.parts_of(room.id);
    let choices = if part_of.is_empty() {
        rooms
            .iter()
            .filter(|r| r.id != room.id && links.parts_of(r.id).is_empty())
            .map(|r| PartChoice {
                id: r.id.to_string(),
                name: r.name.clone(),
                on: parts.contains(&r.id),
            })
            .collect()
    } else {
        Vec::new()
    };
    PartsView {
        choices,
        part_of,
        guest_form: room.policy.guest_requests.then(|| {
            format!(
                "{}/rooms/{}/request",
                state.config.server.public_url.trim_end_matches('/'),
                room.id
            )
        }),
    }
}

/// `POST /admin/rooms/{id}/parts`: the ticked rooms become its parts (none:
/// a room on its own again).
#[handler]
pub async fn save(
    state: Data<&AppState>,
    Path(id): Path<String>,
    p: Posted<Vec<(String, String)>>,
) -> Response {
    let page = format!("/admin/rooms/{id}");
    let Ok(room) = id.parse().map(RoomId) else {
        return error_redirect(&state, "/admin/rooms", "No such room.");
    };
    let parts: Vec<RoomId> = p
        .form
        .iter()
        .filter(|(k, _)| k == "part")
        .filter_map(|(_, v)| v.parse().ok().map(RoomId))
        .collect();
    match state
        .svc
        .set_room_parts(&p.viewer.actor, room, &parts)
        .await
    {
        Ok(set) if set.is_empty() => {
            flash_redirect(&state, &page, "parts", "The room is a room on its own now.")
        }
        Ok(set) => flash_redirect(
            &state,
            &page,
            "parts",
            &format!(
                "Saved: booking this room holds its {} parts, and booking a part holds this room.",
                set.len()
            ),
        ),
        Err(e) => error_redirect(&state, &page, &explain(e).1),
    }
}
