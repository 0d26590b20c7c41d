use std::collections::BTreeSet;

use payseal::{Algorithm, ManualClock, SealError, Sealer, SigningKey};

use super::*;
use crate::durable::testdir::{TestDir, make_read_only, set_writable};

#[test]
fn hands_out_consecutive_numbers_and_persists_one_block_ahead() {
    let dir = TestDir::new("seq-blocks");
    let path = dir.path().join("s.seq");
    let mut seq = FileSeqStore::open(&path, 4).unwrap();
    assert_eq!(seq.reserved_until(), 5);
    let got: Vec<u64> = (0..9).map(|_| seq.next_seq().unwrap()).collect();
    assert_eq!(got, (1..=9).collect::<Vec<_>>());
    assert_eq!(seq.reserved_until(), 13);
    assert_eq!(
        decode(&std::fs::read(&path).unwrap()),
        Some(13),
        "the file holds the limit"
    );
}

#[test]
fn reopening_after_a_crash_never_repeats_a_number() {
    let dir = TestDir::new("seq-crash");
    let path = dir.path().join("s.seq");
    let mut used = BTreeSet::new();
    // Ten "crashes" at different points of a block (dropping the store writes nothing, as a
    // SIGKILL would not); the process-level test kills a real publisher.
    for run in 0..10u64 {
        let mut seq = FileSeqStore::open(&path, 8).unwrap();
        for _ in 0..(run * 3) % 17 {
            let n = seq.next_seq().unwrap();
            assert!(used.insert(n), "number {n} reused after a restart");
            assert!(used.last() == Some(&n), "numbers increase across restarts");
        }
    }
    assert!(!used.is_empty());
}

#[test]
fn a_second_store_on_the_same_file_is_refused() {
    let dir = TestDir::new("seq-lock");
    let path = dir.path().join("s.seq");
    let _first = FileSeqStore::open(&path, 8).unwrap();
    assert!(matches!(
        FileSeqStore::open(&path, 8),
        Err(StoreError::Locked(_))
    ));
}

#[test]
fn a_read_only_directory_makes_sealing_fail_until_it_is_writable_again() {
    let dir = TestDir::new("seq-readonly");
    let path = dir.path().join("s.seq");
    let clock = ManualClock::new(1_700_000_000);
    let key = SigningKey::from_secret_bytes(Algorithm::Ed25519, &[7; 32]).unwrap();
    let mut sealer = Sealer::new(key, FileSeqStore::open(&path, 2).unwrap(), &clock);
    sealer.seal("a/b", b"1").unwrap();
    sealer.seal("a/b", b"2").unwrap(); // the last number of the first block

    make_read_only(dir.path());
    for _ in 0..3 {
        assert!(matches!(
            sealer.seal("a/b", b"3"),
            Err(SealError::Sequence(SequenceError::StoreUnavailable))
        ));
    }
    assert!(matches!(
        sealer.sequence().last_error(),
        Some(StoreError::Io { .. })
    ));
    assert_eq!(sealer.sequence().peek(), 3, "nothing was handed out");

    set_writable(dir.path(), true).unwrap();
    sealer.seal("a/b", b"3").unwrap();
    assert_eq!(sealer.sequence().peek(), 4);
    assert!(sealer.sequence().last_error().is_none());
}

#[test]
fn opening_in_a_read_only_directory_fails_closed() {
    let dir = TestDir::new("seq-readonly-open");
    make_read_only(dir.path());
    assert!(FileSeqStore::open(dir.path().join("s.seq"), 8).is_err());
}

#[test]
fn a_damaged_file_is_refused_not_restarted() {
    let dir = TestDir::new("seq-corrupt");
    let path = dir.path().join("s.seq");
    drop(FileSeqStore::open(&path, 8).unwrap());
    let good = std::fs::read_to_string(&path).unwrap();
    // One digit of the limit changed: the checksum no longer matches.
    std::fs::write(&path, good.replacen("9", "1", 1)).unwrap();
    assert!(matches!(
        FileSeqStore::open(&path, 8),
        Err(StoreError::Corrupt { .. })
    ));
    std::fs::write(&path, b"").unwrap();
    assert!(matches!(
        FileSeqStore::open(&path, 8),
        Err(StoreError::Corrupt { .. })
    ));
}

#[test]
fn format_round_trips_and_rejects_non_canonical_text() {
    for limit in [0, 1, 9, 1_700_000_000_000_000, u64::MAX] {
        assert_eq!(decode(encode(limit).as_bytes()), Some(limit));
    }
    let plus = encode(5).replace(" 5 ", " +5 ");
    assert_eq!(decode(plus.as_bytes()), None);
    assert_eq!(decode(b"payseal-seq/1 5\n"), None);
}

#[test]
fn starting_point_is_the_larger_of_stored_and_first() {
    let dir = TestDir::new("seq-first");
    let path = dir.path().join("s.seq");
    let mut seq = FileSeqStore::open_starting_at(&path, 10, 1000).unwrap();
    assert_eq!(seq.next_seq(), Ok(1000));
    drop(seq);
    // A lower `first` never takes the counter back.
    let mut seq = FileSeqStore::open_starting_at(&path, 10, 1).unwrap();
    assert_eq!(seq.next_seq(), Ok(1010));
}

#[test]
fn exhaustion_is_reported_not_wrapped() {
    let dir = TestDir::new("seq-exhausted");
    let path = dir.path().join("s.seq");
    let mut seq = FileSeqStore::open_starting_at(&path, 4, u64::MAX - 2).unwrap();
    assert_eq!(seq.next_seq(), Ok(u64::MAX - 2));
    assert_eq!(seq.next_seq(), Ok(u64::MAX - 1));
    assert_eq!(seq.next_seq(), Err(SequenceError::Exhausted));
    drop(seq);
    assert!(matches!(
        FileSeqStore::open(&path, 4),
        Err(StoreError::Exhausted)
    ));
    assert!(matches!(
        FileSeqStore::open(dir.path().join("zero"), 0),
        Err(StoreError::Config(_))
    ));
}

// ---- issue 16 item 7 ----

#[test]
fn seq_tmp_symlink_cannot_redirect_a_write() {
    let dir = TestDir::new("seq-planted-tmp");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    let path = dir.path().join("s.seq");
    std::os::unix::fs::symlink(&victim, dir.path().join("s.seq.tmp")).unwrap();
    let mut seq = FileSeqStore::open(&path, 2).unwrap();
    for _ in 0..5 {
        payseal::SequenceSource::next_seq(&mut seq).unwrap();
    }
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn seq_dir_writable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TestDir::new("seq-world-writable");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let err = FileSeqStore::open(dir.path().join("s.seq"), 8).unwrap_err();
    assert!(format!("{err:?}").starts_with("Insecure"), "{err}");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    FileSeqStore::open(dir.path().join("s.seq"), 8).unwrap();
}
