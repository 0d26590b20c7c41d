//! Topic filters: parsing never panics, and matching agrees with MQTT's rules as a reference
//! implementation written level by level.
#![no_main]

use libfuzzer_sys::fuzz_target;
use payseal::TopicFilter;

fn reference(filter: &[&str], topic: &[&str]) -> bool {
    match (filter.split_first(), topic.split_first()) {
        (Some((&"#", _)), _) => true,
        (Some((&"+", f)), Some((_, t))) => reference(f, t),
        (Some((f0, f)), Some((t0, t))) => f0 == t0 && reference(f, t),
        (None, None) => true,
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Some((filter, topic)) = text.split_once('\n') else { return };
    let Ok(parsed) = TopicFilter::new(filter) else { return };
    if !payseal::is_valid_topic_name(topic) {
        return;
    }
    let levels_f: Vec<&str> = filter.split('/').collect();
    let levels_t: Vec<&str> = topic.split('/').collect();
    let dollar = topic.starts_with('$') && filter.starts_with(['+', '#']);
    assert_eq!(parsed.matches(topic), !dollar && reference(&levels_f, &levels_t));
});
