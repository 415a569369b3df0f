//! `booking-server discord-bot`: the serenity gateway bot. It registers the
//! slash commands for the application and answers them (and the cancel
//! button) with the same executor as the HTTP interactions endpoint.

use serenity::all::{
    ButtonStyle, Command, CommandInteraction, CommandOptionType, ComponentInteraction, Context,
    CreateActionRow, CreateButton, CreateCommand, CreateCommandOption, CreateInteractionResponse,
    CreateInteractionResponseMessage, EventHandler, GatewayIntents, Interaction, Ready,
};
use serenity::async_trait;

use crate::ServerError;
use crate::chat::{self, Reply};
use crate::state::AppState;

struct Handler {
    state: AppState,
}

/// The slash commands: each takes the rest of the line as free text.
fn commands() -> Vec<CreateCommand> {
    let text = |name: &str, what: &str, required: bool| {
        CreateCommand::new(name).description(what).add_option(
            CreateCommandOption::new(
                CommandOptionType::String,
                "text",
                "e.g. boardroom tomorrow 10:00-11:00",
            )
            .required(required),
        )
    };
    vec![
        text(
            "book",
            "Book a room: <room> <when> [for <duration>] [title]",
            true,
        ),
        text(
            "free",
            "Free rooms: [at <when>] [for <n> people] [with <amenity>]",
            false,
        ),
        text("cancel", "Cancel one of your bookings: <booking id>", true),
        text(
            "checkin",
            "Check in to your current booking [room code]",
            false,
        ),
        text(
            "link",
            "Link your chat account: <code from the booking app>",
            true,
        ),
        CreateCommand::new("mine").description("Your upcoming bookings"),
        CreateCommand::new("rooms").description("All rooms"),
        CreateCommand::new("help").description("How to use the booking bot"),
    ]
}

fn command_line(cmd: &CommandInteraction) -> String {
    let mut parts = vec![cmd.data.name.clone()];
    for o in &cmd.data.options {
        if let Some(s) = o.value.as_str() {
            parts.push(s.to_string());
        }
    }
    parts.join(" ")
}

fn message(reply: &Reply) -> CreateInteractionResponseMessage {
    let mut m = CreateInteractionResponseMessage::new()
        .content(&reply.text)
        .ephemeral(true);
    if let Some(b) = &reply.booking {
        m = m.components(vec![CreateActionRow::Buttons(vec![
            CreateButton::new(format!("cancel:{}", b.id))
                .label("Cancel booking")
                .style(ButtonStyle::Danger),
        ])]);
    }
    m
}

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        match Command::set_global_commands(&ctx.http, commands()).await {
            Ok(c) => {
                tracing::info!(user = %ready.user.name, commands = c.len(), "discord bot ready")
            }
            Err(e) => tracing::error!(error = %e, "cannot register slash commands"),
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let (user, line) = match &interaction {
            Interaction::Command(c) => (c.user.id.to_string(), command_line(c)),
            Interaction::Component(c) => (c.user.id.to_string(), component_line(c)),
            _ => return,
        };
        let reply = chat::handle(&self.state, "discord", &user, &line)
            .await
            .unwrap_or_else(|chat::SlowDown(wait)| {
                Reply::text(format!("Too many commands; try again in {wait} s."))
            });
        let response = CreateInteractionResponse::Message(message(&reply));
        let sent = match &interaction {
            Interaction::Command(c) => c.create_response(&ctx.http, response).await,
            Interaction::Component(c) => c.create_response(&ctx.http, response).await,
            _ => Ok(()),
        };
        if let Err(e) = sent {
            tracing::warn!(error = %e, "cannot answer discord interaction");
        }
    }
}

fn component_line(c: &ComponentInteraction) -> String {
    match c.data.custom_id.strip_prefix("cancel:") {
        Some(id) => format!("cancel {id}"),
        None => "help".into(),
    }
}

/// Connect to the Discord gateway with `token` and serve until stopped.
pub async fn run(state: AppState, token: &str) -> Result<(), ServerError> {
    let mut client = serenity::Client::builder(token, GatewayIntents::empty())
        .event_handler(Handler { state })
        .await
        .map_err(|e| ServerError::Other(format!("discord: {e}")))?;
    client
        .start()
        .await
        .map_err(|e| ServerError::Other(format!("discord gateway: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_every_command_of_the_grammar() {
        let names: Vec<String> = commands()
            .iter()
            .filter_map(|c| serde_json::to_value(c).ok())
            .filter_map(|v| v["name"].as_str().map(String::from))
            .collect();
        assert_eq!(
            names,
            [
                "book", "free", "cancel", "checkin", "link", "mine", "rooms", "help"
            ]
        );
    }
}
