use std::io::Write;

use payseal::MemoryReplayStore;
use proptest::prelude::*;

use super::*;
use crate::durable::testdir::{TestDir, make_immutable};
use crate::is_store_unavailable;

fn kid(b: u8) -> Kid {
    Kid::new(vec![b; 8]).unwrap()
}

#[test]
fn accepted_before_a_restart_is_rejected_after_it() {
    let dir = TestDir::new("replay-restart");
    let mut store = FileReplayStore::open(dir.path(), 128).unwrap();
    for seq in [10, 12, 11, 50] {
        store.check_and_record(&kid(1), seq).unwrap();
    }
    store.check_and_record(&kid(2), 7).unwrap();
    drop(store);

    let mut store = FileReplayStore::open(dir.path(), 128).unwrap();
    for seq in [10, 11, 12, 50] {
        assert_eq!(
            store.check_and_record(&kid(1), seq),
            Err(Rejection::Replayed { seq })
        );
    }
    assert_eq!(
        store.check_and_record(&kid(2), 7),
        Err(Rejection::Replayed { seq: 7 })
    );
    // Never seen, inside the window: accepted (exact restore, not "everything below top").
    store.check_and_record(&kid(1), 13).unwrap();
    store.check_and_record(&kid(1), 51).unwrap();
    assert_eq!(store.top(&kid(1)), Some(51));
    assert_eq!(store.senders(), 2);
}

#[test]
fn compaction_keeps_every_window_and_empties_the_log() {
    let dir = TestDir::new("replay-compact");
    let mut store = FileReplayStore::open(dir.path(), 64)
        .unwrap()
        .with_durability(Durability::ProcessCrash)
        .with_compaction_after(10);
    for seq in 1..=25 {
        store.check_and_record(&kid(1), seq * 2).unwrap();
    }
    assert!(store.last_error().is_none());
    drop(store);
    let log = std::fs::metadata(dir.path().join("replay.log"))
        .unwrap()
        .len();
    assert_eq!(
        log,
        LOG_HEADER_LEN + 5 * (1 + 8 + 8 + 4),
        "20 compacted, 5 left"
    );
    let snap = std::fs::metadata(dir.path().join("replay.snap"))
        .unwrap()
        .len();
    assert_eq!(snap, 13 + (1 + 8 + 8 + 8) + 4);

    let mut store = FileReplayStore::open(dir.path(), 64).unwrap();
    for seq in 1..=25 {
        assert!(store.check_and_record(&kid(1), seq * 2).is_err());
    }
    store.check_and_record(&kid(1), 49).unwrap();
}

#[test]
fn a_torn_last_write_is_cut_off_and_earlier_records_kept() {
    let dir = TestDir::new("replay-torn");
    let mut store = FileReplayStore::open(dir.path(), 64).unwrap();
    store.check_and_record(&kid(1), 5).unwrap();
    drop(store);
    let log_path = dir.path().join("replay.log");
    let good = std::fs::metadata(&log_path).unwrap().len();
    // Half a record: a crash in the middle of an append that was never acknowledged.
    let mut record = Vec::new();
    format::push_record(&mut record, &kid(1), 6);
    let mut file = OpenOptions::new().append(true).open(&log_path).unwrap();
    file.write_all(&record[..10]).unwrap();
    drop(file);

    let mut store = FileReplayStore::open(dir.path(), 64).unwrap();
    assert_eq!(std::fs::metadata(&log_path).unwrap().len(), good);
    assert_eq!(
        store.check_and_record(&kid(1), 5),
        Err(Rejection::Replayed { seq: 5 })
    );
    store.check_and_record(&kid(1), 6).unwrap();
    drop(store);
    let mut store = FileReplayStore::open(dir.path(), 64).unwrap();
    assert_eq!(
        store.check_and_record(&kid(1), 6),
        Err(Rejection::Replayed { seq: 6 })
    );
}

#[test]
fn damage_before_the_last_write_is_refused() {
    let dir = TestDir::new("replay-damaged");
    let mut store = FileReplayStore::open(dir.path(), 64)
        .unwrap()
        .with_durability(Durability::ProcessCrash);
    let items: Vec<(Kid, u64)> = (1..=3000).map(|s| (kid(1), s)).collect();
    assert!(
        store
            .check_and_record_batch(&items)
            .iter()
            .all(Result::is_ok)
    );
    drop(store);
    let log_path = dir.path().join("replay.log");
    let mut bytes = std::fs::read(&log_path).unwrap();
    bytes[usize::try_from(LOG_HEADER_LEN).unwrap() + 3] ^= 0xff; // inside the first record
    std::fs::write(&log_path, &bytes).unwrap();
    assert!(matches!(
        FileReplayStore::open(dir.path(), 64),
        Err(StoreError::Corrupt { .. })
    ));
}

#[test]
fn a_damaged_snapshot_or_another_width_is_refused() {
    let dir = TestDir::new("replay-snap");
    let mut store = FileReplayStore::open(dir.path(), 64).unwrap();
    store.check_and_record(&kid(1), 5).unwrap();
    store.compact().unwrap();
    drop(store);
    assert!(matches!(
        FileReplayStore::open(dir.path(), 128),
        Err(StoreError::WidthMismatch {
            stored: 64,
            configured: 128
        })
    ));
    let snap = dir.path().join("replay.snap");
    let mut bytes = std::fs::read(&snap).unwrap();
    let last = bytes.len() - 6;
    bytes[last] ^= 1;
    std::fs::write(&snap, &bytes).unwrap();
    assert!(matches!(
        FileReplayStore::open(dir.path(), 64),
        Err(StoreError::Corrupt { .. })
    ));
}

#[test]
fn a_missing_log_next_to_a_snapshot_is_refused() {
    let dir = TestDir::new("replay-nolog");
    let mut store = FileReplayStore::open(dir.path(), 64).unwrap();
    store.check_and_record(&kid(1), 5).unwrap();
    store.compact().unwrap();
    drop(store);
    std::fs::remove_file(dir.path().join("replay.log")).unwrap();
    assert!(matches!(
        FileReplayStore::open(dir.path(), 64),
        Err(StoreError::Corrupt { .. })
    ));
}

#[test]
fn a_second_store_on_the_same_directory_is_refused() {
    let dir = TestDir::new("replay-lock");
    let _store = FileReplayStore::open(dir.path(), 64).unwrap();
    assert!(matches!(
        FileReplayStore::open(dir.path(), 64),
        Err(StoreError::Locked(_))
    ));
}

#[test]
fn nothing_is_accepted_while_the_log_cannot_be_written_and_it_recovers() {
    let dir = TestDir::new("replay-readonly");
    let mut store = FileReplayStore::open(dir.path(), 64).unwrap();
    store.check_and_record(&kid(1), 1).unwrap();
    let log_path = dir.path().join("replay.log");

    make_immutable(&log_path, true);
    for seq in [2, 3] {
        let refused = store.check_and_record(&kid(1), seq).unwrap_err();
        assert!(is_store_unavailable(&refused), "{refused:?}");
    }
    let batch = store.check_and_record_batch(&[(kid(1), 4), (kid(1), 1)]);
    assert!(is_store_unavailable(batch[0].as_ref().unwrap_err()));
    assert_eq!(batch[1], Err(Rejection::Replayed { seq: 1 }));
    assert!(store.last_error().is_some());
    // A replay is still recognised as one: judging needs no write.
    assert_eq!(
        store.check_and_record(&kid(1), 1),
        Err(Rejection::Replayed { seq: 1 })
    );

    make_immutable(&log_path, false);
    for seq in [2, 3, 4] {
        store.check_and_record(&kid(1), seq).unwrap();
    }
    drop(store);
    let mut store = FileReplayStore::open(dir.path(), 64).unwrap();
    for seq in 1..=4 {
        assert_eq!(
            store.check_and_record(&kid(1), seq),
            Err(Rejection::Replayed { seq })
        );
    }
}

#[test]
fn a_batch_decides_as_one_by_one_with_one_write() {
    let dir = TestDir::new("replay-batch");
    let mut store = FileReplayStore::open(dir.path(), 64).unwrap();
    let items = vec![(kid(1), 10), (kid(2), 10), (kid(1), 10), (kid(1), 9)];
    let results = store.check_and_record_batch(&items);
    assert_eq!(
        results,
        vec![Ok(()), Ok(()), Err(Rejection::Replayed { seq: 10 }), Ok(())]
    );
    drop(store);
    let mut store = FileReplayStore::open(dir.path(), 64).unwrap();
    assert!(
        store
            .check_and_record_batch(&items)
            .iter()
            .all(Result::is_err)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Restarts (with and without compaction) at random points never change a decision:
    /// the file store answers exactly as one in-memory store that never restarted.
    #[test]
    fn restarts_decide_exactly_as_a_store_that_never_restarted(
        steps in proptest::collection::vec((0u8..3, 0u64..300, any::<bool>(), 0u8..8), 1..120),
    ) {
        let dir = TestDir::new("replay-prop");
        let open = || FileReplayStore::open(dir.path(), 64)
            .unwrap()
            .with_durability(Durability::ProcessCrash)
            .with_compaction_after(7);
        let mut model = MemoryReplayStore::new(64);
        let mut store = open();
        let mut base = 1_000u64;
        for (sender, delta, jump, restart) in steps {
            if jump { base += delta; }
            let seq = base.saturating_sub(delta / 2);
            prop_assert_eq!(
                store.check_and_record(&kid(sender), seq),
                model.check_and_record(&kid(sender), seq),
                "sender {} seq {}", sender, seq
            );
            if restart == 0 {
                drop(store);
                store = open();
            }
        }
    }
}

// ---- issue 16 item 7: the state directory and its files trust the file system ----

fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn state_dir_is_created_0700_and_its_files_0600() {
    let dir = TestDir::new("replay-private");
    let state = dir.path().join("new").join("state");
    let mut store = FileReplayStore::open(&state, 64)
        .unwrap()
        .with_compaction_after(1);
    store.check_and_record(&kid(1), 1).unwrap();
    drop(store);
    assert_eq!(mode_of(&state), 0o700);
    for file in ["replay.log", "replay.snap", "replay.lock"] {
        assert_eq!(mode_of(&state.join(file)), 0o600, "{file}");
    }
}

#[test]
fn state_dir_writable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TestDir::new("replay-world-writable");
    for mode in [0o777, 0o770, 0o1777, 0o702] {
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        let err = FileReplayStore::open(dir.path(), 64).unwrap_err();
        assert!(
            format!("{err:?}").starts_with("Insecure"),
            "{mode:o}: {err}"
        );
        assert!(
            err.to_string().contains("writable by group or others"),
            "{err}"
        );
    }
    // Nothing was created in it.
    assert!(!dir.path().join("replay.lock").exists());
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    FileReplayStore::open(dir.path(), 64).unwrap();
}

#[test]
fn state_dir_owned_by_another_user_is_refused() {
    let dir = TestDir::new("replay-other-owner");
    let state = dir.path().join("theirs");
    std::fs::create_dir(&state).unwrap();
    // 65534: "nobody". Needs root (as the tests run here); elsewhere nothing to prove.
    if std::os::unix::fs::chown(&state, Some(65534), None).is_err() {
        eprintln!("not root: cannot give the directory to another user; skipped");
        return;
    }
    let err = FileReplayStore::open(&state, 64).unwrap_err();
    assert!(format!("{err:?}").starts_with("Insecure"), "{err}");
    assert!(err.to_string().contains("owned by user 65534"), "{err}");
}

#[test]
fn planted_tmp_symlink_cannot_redirect_a_write() {
    let dir = TestDir::new("replay-planted-tmp");
    let state = dir.path().join("state");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    let mut store = FileReplayStore::open(&state, 64).unwrap();
    store.check_and_record(&kid(1), 1).unwrap();
    // An attacker who could write into the directory plants the temporary files as links.
    for tmp in ["replay.log.tmp", "replay.snap.tmp"] {
        std::os::unix::fs::symlink(&victim, state.join(tmp)).unwrap();
    }
    store.compact().unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    for file in ["replay.log", "replay.snap"] {
        let meta = std::fs::symlink_metadata(state.join(file)).unwrap();
        assert!(meta.file_type().is_file(), "{file} is a regular file");
    }
    drop(store);
    let mut store = FileReplayStore::open(&state, 64).unwrap();
    assert_eq!(
        store.check_and_record(&kid(1), 1),
        Err(Rejection::Replayed { seq: 1 })
    );
}

#[test]
fn planted_lock_or_log_symlink_is_refused() {
    let dir = TestDir::new("replay-planted-lock");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    for planted in ["replay.lock", "replay.log"] {
        let state = dir.path().join(planted);
        std::fs::create_dir(&state).unwrap();
        std::os::unix::fs::symlink(&victim, state.join(planted)).unwrap();
        let err = FileReplayStore::open(&state, 64).unwrap_err();
        assert!(matches!(err, StoreError::Io { .. }), "{planted}: {err}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious", "{planted}");
    }
}
