//! The tables only the server uses: sign-in, chat and mail.

mod chat;
mod mail;
mod signin;
