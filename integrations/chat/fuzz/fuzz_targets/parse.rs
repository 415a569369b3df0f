//! Fuzz the chat command parser and room matcher: no input may panic.
//! Run: cd integrations/chat/fuzz && cargo fuzz run parse -- -max_total_time=60
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
        let _ = booking_chat::parse(text, today);
        let names = ["Boardroom".to_string(), "Huddle 1".to_string(), "Huddle 2".to_string()];
        let _ = booking_chat::match_room(text, &names);
    }
});
