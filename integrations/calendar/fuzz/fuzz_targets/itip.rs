//! Fuzz the invitation reader (calcard underneath, our reading of its tree
//! on top): no input may panic, and what the reader accepts as a REQUEST
//! has an event that ends after it starts.
//! Run: cd integrations/calendar/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run itip -- -max_total_time=60
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(inv) = booking_calendar::itip::parse_invitation(text)
            && inv.method == booking_calendar::itip::Method::Request
        {
            assert!(inv.end > inv.start);
        }
    }
});
