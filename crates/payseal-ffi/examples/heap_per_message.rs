//! Heap bytes per seal and per open through the C API, counted by a wrapping global
//! allocator: `cargo run --release -p payseal-ffi --example heap_per_message`.
//!
//! Prints, for an Ed25519 sender and a 4-byte and a 256-byte payload, the bytes allocated
//! (summed over every allocation), the number of allocations and the peak of live heap bytes
//! during one `payseal_seal` and one `payseal_open`, after a warm-up message (so the replay
//! window's first allocation is not counted as per-message). BENCHMARKS.md quotes the output.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use payseal_ffi::*;

/// The system allocator, counting.
struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` with the same arguments; the counters have no
// effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc`, passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract for `dealloc`, passed on unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Heap use of one call: (bytes allocated, allocations, peak live bytes above the start).
fn measure(call: impl FnOnce() -> payseal_status) -> (usize, usize, usize) {
    let start_live = LIVE.load(Ordering::Relaxed);
    ALLOCATED.store(0, Ordering::Relaxed);
    ALLOCATIONS.store(0, Ordering::Relaxed);
    PEAK.store(start_live, Ordering::Relaxed);
    assert_eq!(call(), payseal_status::Ok);
    (
        ALLOCATED.load(Ordering::Relaxed),
        ALLOCATIONS.load(Ordering::Relaxed),
        PEAK.load(Ordering::Relaxed) - start_live,
    )
}

fn main() {
    let (mut key, mut public, mut trust, mut sealer, mut opener) = (
        core::ptr::null_mut(),
        core::ptr::null_mut(),
        core::ptr::null_mut(),
        core::ptr::null_mut(),
        core::ptr::null_mut(),
    );
    let filters = [c"plant/+/temp".as_ptr()];
    let topic = c"plant/3/temp".as_ptr();
    // SAFETY: every pointer is a live local or a handle made just above, freed at the end.
    unsafe {
        payseal_signing_key_from_raw(PAYSEAL_ALG_ED25519, [7u8; 32].as_ptr(), 32, &mut key);
        payseal_signing_key_public(key, &mut public);
        payseal_trust_store_new(&mut trust);
        payseal_trust_store_add_sender(trust, public, filters.as_ptr(), 1);
        payseal_sealer_new(key, &mut sealer);
        payseal_opener_new(trust, 0, None, core::ptr::null_mut(), &mut opener);
    }
    println!(
        "| payload | seal: bytes allocated / allocations / peak live | open: bytes allocated / allocations / peak live |"
    );
    println!("|---|---|---|");
    let mut envelope = vec![0u8; 512];
    let mut payload = vec![0u8; 512];
    for (round, size) in [(0, 4usize), (1, 4), (2, 256)] {
        let reading = vec![b'7'; size];
        let (mut env_len, mut out_len) = (0usize, 0usize);
        // SAFETY: as above; the buffers outlive the calls.
        let seal = measure(|| unsafe {
            payseal_seal(
                sealer,
                topic,
                reading.as_ptr(),
                reading.len(),
                envelope.as_mut_ptr(),
                envelope.len(),
                &mut env_len,
            )
        });
        // SAFETY: as above.
        let open = measure(|| unsafe {
            payseal_open(
                opener,
                topic,
                envelope.as_ptr(),
                env_len,
                payload.as_mut_ptr(),
                payload.len(),
                &mut out_len,
                core::ptr::null_mut(),
            )
        });
        if round > 0 {
            println!(
                "| {size} B | {} / {} / {} | {} / {} / {} |",
                seal.0, seal.1, seal.2, open.0, open.1, open.2
            );
        }
    }
    // SAFETY: the handles made above, each freed once.
    unsafe {
        payseal_opener_free(opener);
        payseal_sealer_free(sealer);
        payseal_trust_store_free(trust);
        payseal_verifying_key_free(public);
        payseal_signing_key_free(key);
    }
}
