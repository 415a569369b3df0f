//! Accounts and their credentials.

use async_trait::async_trait;
use booking_core::domain::{User, UserId};
use booking_core::store::{Credentials, UserStore};

use crate::SqlStore;
use crate::backend::{Arg, Row, SqlBackend, args};
use crate::error::StoreError;
use crate::rec::Rec;

macro_rules! cols {
    () => {
        "SELECT id, email, display_name, role, assigned_rooms, active, created_at FROM users"
    };
}

/// `SELECT <the columns [`user`] reads> FROM users`, for statements of others.
pub const USER_COLUMNS: &str = cols!();

/// A user from a row of [`USER_COLUMNS`].
pub fn user<B: SqlBackend>(row: &Row<B>) -> Result<User, StoreError> {
    let r = Rec::<B>::new(row);
    Ok(User {
        id: UserId(r.uuid("id")?),
        email: r.parse("email")?,
        display_name: r.text("display_name")?,
        role: r.parse("role")?,
        assigned_rooms: r.json("assigned_rooms")?,
        active: r.flag("active")?,
        created_at: r.time("created_at")?,
    })
}

#[async_trait]
impl<B: SqlBackend> UserStore for SqlStore<B> {
    async fn insert_user(
        &self,
        user: &User,
        password_hash: Option<&str>,
    ) -> Result<(), StoreError> {
        self.run(
            "insert user",
            "INSERT INTO users (id, email, display_name, role, assigned_rooms, active, created_at, \
             password_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            args![
                user.id,
                &user.email,
                &user.display_name,
                user.role.as_str(),
                Arg::json(&user.assigned_rooms)?,
                user.active,
                user.created_at,
                password_hash,
            ],
        )
        .await
    }

    async fn update_user(&self, user: &User) -> Result<bool, StoreError> {
        self.changed_one(
            "update user",
            "UPDATE users SET email = $1, display_name = $2, role = $3, assigned_rooms = $4, \
                 active = $5 WHERE id = $6",
            args![
                &user.email,
                &user.display_name,
                user.role.as_str(),
                Arg::json(&user.assigned_rooms)?,
                user.active,
                user.id,
            ],
        )
        .await
    }

    async fn get_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        const Q: &str = concat!(cols!(), " WHERE id = $1");
        self.find("get user", Q, args![id], user::<B>).await
    }

    async fn get_user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let q = format!("{} WHERE {}", cols!(), B::EMAIL_IS_PARAM);
        self.find(
            "find user by e-mail",
            sqlx::AssertSqlSafe(q),
            args![email],
            user::<B>,
        )
        .await
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        const Q: &str = concat!(cols!(), " ORDER BY email");
        self.all("list users", Q, vec![], user::<B>).await
    }

    async fn get_credentials(&self, id: UserId) -> Result<Option<Credentials>, StoreError> {
        let row = self
            .row(
                "read credentials",
                "SELECT password_hash, failed_logins, locked_until FROM users WHERE id = $1",
                args![id],
            )
            .await?;
        row.map(|row| {
            let r = Rec::<B>::new(&row);
            Ok(Credentials {
                password_hash: r.opt_text("password_hash")?,
                failed_logins: r.u32("failed_logins")?,
                locked_until: r.opt_time("locked_until")?,
            })
        })
        .transpose()
    }

    async fn set_credentials(&self, id: UserId, c: &Credentials) -> Result<(), StoreError> {
        self.run(
            "write credentials",
            "UPDATE users SET password_hash = $1, failed_logins = $2, locked_until = $3 WHERE id = $4",
            args![&c.password_hash, c.failed_logins, c.locked_until, id],
        ).await
    }

    async fn swap_credentials(
        &self,
        id: UserId,
        old: &Credentials,
        new: &Credentials,
    ) -> Result<bool, StoreError> {
        self.changed_one(
            "write credentials",
            "UPDATE users SET password_hash = $1, failed_logins = $2, locked_until = $3 \
             WHERE id = $4 AND password_hash IS NOT DISTINCT FROM $5 AND failed_logins = $6 \
             AND locked_until IS NOT DISTINCT FROM $7",
            args![
                &new.password_hash,
                new.failed_logins,
                new.locked_until,
                id,
                &old.password_hash,
                old.failed_logins,
                old.locked_until
            ],
        )
        .await
    }
}
