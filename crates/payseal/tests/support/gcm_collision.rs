//! An attacker's tool, for tests and vectors only: one AES-128-GCM ciphertext and tag that
//! authenticate under two different keys (a "key partitioning" / "invisible salamanders"
//! multi-key collision). This is what a sender who wants two recipients to read two different
//! plaintexts under one signature would build; AES-GCM does not commit to its key, so both
//! keys accept it. The key commitment of spec/encryption.md §4 exists to refuse it.
//!
//! GHASH is linear in each ciphertext block, so one free block solves the tag equation of both
//! keys at once (NIST SP 800-38D notation; blocks as big-endian `u128`).

use aes_gcm::aes::Aes128;
use aes_gcm::aes::cipher::{BlockCipherEncrypt, KeyInit};

/// x·y in GF(2^128) with the GCM bit order (SP 800-38D, algorithm 1).
fn gf_mul(x: u128, y: u128) -> u128 {
    const R: u128 = 0xe1 << 120;
    let mut z = 0u128;
    let mut v = y;
    for i in 0..128 {
        if (x >> (127 - i)) & 1 == 1 {
            z ^= v;
        }
        v = if v & 1 == 1 { (v >> 1) ^ R } else { v >> 1 };
    }
    z
}

/// x^-1 = x^(2^128 - 2).
fn gf_inv(x: u128) -> u128 {
    let one = 1u128 << 127;
    let mut result = one;
    for bit in (0..128).rev() {
        result = gf_mul(result, result);
        if bit != 0 {
            result = gf_mul(result, x);
        }
    }
    result
}

fn aes(key: &[u8; 16], block: [u8; 16]) -> u128 {
    let cipher = Aes128::new_from_slice(key).expect("16-byte key");
    let mut b = aes_gcm::aes::Block::from(block);
    cipher.encrypt_block(&mut b);
    u128::from_be_bytes(b.into())
}

fn counter_block(nonce: &[u8; 12], counter: u32) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..12].copy_from_slice(nonce);
    b[12..].copy_from_slice(&counter.to_be_bytes());
    b
}

fn blocks(data: &[u8]) -> impl Iterator<Item = u128> + '_ {
    data.chunks(16).map(|c| {
        let mut b = [0u8; 16];
        b[..c.len()].copy_from_slice(c);
        u128::from_be_bytes(b)
    })
}

fn ghash(h: u128, aad: &[u8], ciphertext: &[u8]) -> u128 {
    let mut y = 0u128;
    for b in blocks(aad).chain(blocks(ciphertext)) {
        y = gf_mul(y ^ b, h);
    }
    let lengths = ((aad.len() as u128 * 8) << 64) | (ciphertext.len() as u128 * 8);
    gf_mul(y ^ lengths, h)
}

/// The `i`-th keystream block of AES-128-GCM under `key` and a 96-bit `nonce`.
fn keystream(key: &[u8; 16], nonce: &[u8; 12], i: u32) -> u128 {
    aes(key, counter_block(nonce, i + 2))
}

/// A ciphertext (with its 16-byte tag appended, as AES-GCM APIs expect) of 3 blocks that
/// decrypts under `k1` to `p1` (at most 16 bytes, zero padded) followed by noise, and under
/// `k2` to noise, `p2` (at most 16 bytes, zero padded), noise. Same nonce, same `aad`.
pub(crate) fn collide(
    k1: &[u8; 16],
    k2: &[u8; 16],
    nonce: &[u8; 12],
    aad: &[u8],
    p1: &[u8],
    p2: &[u8],
) -> Vec<u8> {
    let pad = |p: &[u8]| {
        let mut b = [0u8; 16];
        b[..p.len()].copy_from_slice(p);
        u128::from_be_bytes(b)
    };
    let c0 = pad(p1) ^ keystream(k1, nonce, 0);
    let c1 = pad(p2) ^ keystream(k2, nonce, 1);
    let with_last = |last: u128| {
        let mut ct = Vec::with_capacity(48);
        for b in [c0, c1, last] {
            ct.extend_from_slice(&b.to_be_bytes());
        }
        ct
    };
    let (h1, h2) = (aes(k1, [0; 16]), aes(k2, [0; 16]));
    let (s1, s2) = (
        aes(k1, counter_block(nonce, 1)),
        aes(k2, counter_block(nonce, 1)),
    );
    let zero = with_last(0);
    let (g1, g2) = (ghash(h1, aad, &zero), ghash(h2, aad, &zero));
    // The last ciphertext block is multiplied by H^2 (the length block by H).
    let (m1, m2) = (gf_mul(h1, h1), gf_mul(h2, h2));
    let last = gf_mul(g1 ^ g2 ^ s1 ^ s2, gf_inv(m1 ^ m2));
    let tag = g1 ^ gf_mul(last, m1) ^ s1;
    let mut out = with_last(last);
    out.extend_from_slice(&tag.to_be_bytes());
    out
}
