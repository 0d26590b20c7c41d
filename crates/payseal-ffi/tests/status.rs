//! The C status enum covers every reason code of the core, and the checked-in header says so.

use payseal::Rejection;
use payseal_ffi::payseal_status;

#[test]
fn every_reason_code_of_the_core_has_a_status_with_that_text() {
    for code in Rejection::CODES {
        let status = payseal_status::from_code(code)
            .unwrap_or_else(|| panic!("no payseal_status for reason code {code}"));
        assert!(status.is_reason_code(), "{code}");
        assert!(
            (1..100).contains(&(status as u32)),
            "{code} outside the reason code range"
        );
    }
    let reasons = payseal_status::ALL
        .iter()
        .filter(|s| s.is_reason_code())
        .count();
    assert_eq!(
        reasons,
        Rejection::CODES.len(),
        "a reason-code status the core does not list"
    );
}

#[test]
fn rejections_map_to_the_status_of_their_code() {
    for rejection in [
        Rejection::BadSignature,
        Rejection::Replayed { seq: 1 },
        Rejection::Malformed(payseal::Malformed::WrongTag),
        Rejection::NotSubscribed,
    ] {
        assert_eq!(payseal_status::from(&rejection).code(), rejection.code());
    }
}

#[test]
fn status_texts_and_values_are_distinct() {
    for (i, a) in payseal_status::ALL.iter().enumerate() {
        for b in payseal_status::ALL.iter().skip(i + 1) {
            assert_ne!(a.code(), b.code());
            assert_ne!(*a as u32, *b as u32);
        }
    }
}

/// Each `PAYSEAL_STATUS_X = N` line of include/payseal.h is a status with value N and text x,
/// and there are as many as `payseal_status::ALL` has.
#[test]
fn the_header_lists_every_status_with_its_value() {
    let header = include_str!("../include/payseal.h");
    let mut seen = 0;
    for line in header.lines() {
        let Some(rest) = line.trim().strip_prefix("PAYSEAL_STATUS_") else {
            continue;
        };
        let (name, value) = rest
            .trim_end_matches(',')
            .split_once(" = ")
            .expect("NAME = VALUE");
        let value: u32 = value.parse().expect("a number");
        let status = payseal_status::from_u32(value).expect("a status value");
        assert_eq!(status.code(), name.to_lowercase());
        seen += 1;
    }
    assert_eq!(seen, payseal_status::ALL.len());
}
