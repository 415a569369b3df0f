//! Rooms and their policies.

use async_trait::async_trait;
use booking_core::RoomListing;
use booking_core::domain::{Room, RoomId};
use booking_core::store::RoomStore;

use crate::SqlStore;
use crate::backend::{Arg, Row, SqlBackend, args};
use crate::error::StoreError;
use crate::rec::Rec;

macro_rules! cols {
    () => {
        "SELECT id, name, category, capacity, floor, location, amenities, time_zone, active, \
         deleted_at, policy, created_at, updated_at FROM rooms"
    };
}

fn room<B: SqlBackend>(row: &Row<B>) -> Result<Room, StoreError> {
    let r = Rec::<B>::new(row);
    Ok(Room {
        id: RoomId(r.uuid("id")?),
        name: r.text("name")?,
        category: r.parse("category")?,
        capacity: r.u32("capacity")?,
        floor: r.opt_int4("floor")?,
        location: r.text("location")?,
        amenities: r.json("amenities")?,
        time_zone: r.parse("time_zone")?,
        active: r.flag("active")?,
        deleted_at: r.opt_time("deleted_at")?,
        policy: r.json("policy")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

/// The columns a room's owner can change, in the order of the statements below.
fn fields(room: &Room) -> Result<Vec<Arg>, StoreError> {
    Ok(args![
        &room.name,
        room.category.as_str(),
        room.capacity,
        room.floor,
        &room.location,
        Arg::json(&room.amenities)?,
        room.time_zone.name(),
        room.active,
        room.deleted_at,
        Arg::json(&room.policy)?,
    ])
}

#[async_trait]
impl<B: SqlBackend> RoomStore for SqlStore<B> {
    async fn insert_room(&self, room: &Room) -> Result<(), StoreError> {
        let mut args = fields(room)?;
        args.extend(args![room.updated_at, room.id, room.created_at]);
        self.run(
            "insert room",
            "INSERT INTO rooms (name, category, capacity, floor, location, amenities, time_zone, \
             active, deleted_at, policy, updated_at, id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            args,
        )
        .await
    }

    async fn update_room(&self, room: &Room) -> Result<bool, StoreError> {
        let mut args = fields(room)?;
        args.extend(args![room.updated_at, room.id]);
        self.changed_one(
            "update room",
            "UPDATE rooms SET name = $1, category = $2, capacity = $3, floor = $4, location = $5, \
             amenities = $6, time_zone = $7, active = $8, deleted_at = $9, policy = $10, \
             updated_at = $11 WHERE id = $12",
            args,
        )
        .await
    }

    async fn get_room(&self, id: RoomId) -> Result<Option<Room>, StoreError> {
        const Q: &str = concat!(cols!(), " WHERE id = $1");
        // Read before every booking and feed: kept while nothing is committed.
        let read = self.find("get room", Q, args![id], room::<B>);
        self.unless_changed(format!("room {id}"), read).await
    }

    async fn list_rooms(&self, listing: RoomListing) -> Result<Vec<Room>, StoreError> {
        const Q: &str = concat!(cols!(), " WHERE ($1 OR deleted_at IS NULL) ORDER BY name");
        self.all(
            "list rooms",
            Q,
            args![listing.includes_deleted()],
            room::<B>,
        )
        .await
    }
}
