/* The C API from C: every function with NULL arguments, short buffers, handles of the wrong
 * kind, and truncated or hostile envelopes. Built and run under AddressSanitizer and UBSan by
 * scripts/ffi-check (leak detection on): a pass is "0 failed" and a clean sanitizer report. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payseal.h"

static int checks, failures;

#define CHECK_STATUS(call, want)                                                          \
    do {                                                                                  \
        payseal_status got_ = (call);                                                     \
        checks++;                                                                         \
        if (got_ != (want)) {                                                             \
            failures++;                                                                   \
            fprintf(stderr, "%s:%d: %s: got %s, want %s\n", __FILE__, __LINE__, #call,    \
                    payseal_status_text(got_), payseal_status_text(want));                \
        }                                                                                 \
    } while (0)

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        checks++;                                                                         \
        if (!(cond)) {                                                                    \
            failures++;                                                                   \
            fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond);            \
        }                                                                                 \
    } while (0)

static const char *TOPIC = "plant/3/temp";
static uint64_t fake_now = 1700000000;

static bool fixed_clock(void *ctx, uint64_t *out) {
    *out = *(uint64_t *)ctx;
    return true;
}

static bool broken_clock(void *ctx, uint64_t *out) {
    (void)ctx;
    (void)out;
    return false;
}

static bool counter(void *ctx, uint64_t *out) {
    uint64_t *next = ctx;
    *out = (*next)++;
    return true;
}

static bool exhausted(void *ctx, uint64_t *out) {
    (void)ctx;
    (void)out;
    return false;
}

/* A receiver that trusts `key` on plant/+/temp, with the fixed clock. */
static payseal_opener *opener_for(const payseal_signing_key *key) {
    payseal_verifying_key *public = NULL;
    payseal_trust_store *trust = NULL;
    payseal_opener *opener = NULL;
    const char *filters[] = {"plant/+/temp"};
    CHECK_STATUS(payseal_signing_key_public(key, &public), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_trust_store_new(&trust), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_trust_store_add_sender(trust, public, filters, 1), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_opener_new(trust, 0, fixed_clock, &fake_now, &opener), PAYSEAL_STATUS_OK);
    payseal_trust_store_free(trust); /* the opener keeps a copy */
    payseal_verifying_key_free(public);
    return opener;
}

static void test_status_text(void) {
    CHECK(strcmp(payseal_status_text(PAYSEAL_STATUS_OK), "ok") == 0);
    CHECK(strcmp(payseal_status_text(PAYSEAL_STATUS_BAD_SIGNATURE), "bad_signature") == 0);
    CHECK(strcmp(payseal_status_text(PAYSEAL_STATUS_NOT_SUBSCRIBED), "not_subscribed") == 0);
    CHECK(strcmp(payseal_status_text(PAYSEAL_STATUS_BUFFER_TOO_SMALL), "buffer_too_small") == 0);
    CHECK(strcmp(payseal_status_text(PAYSEAL_STATUS_KEY_EXPIRED), "key_expired") == 0);
    CHECK(strcmp(payseal_status_text(99), "unknown") == 0); /* between reason codes and API errors */
    CHECK(strcmp(payseal_status_text(UINT32_MAX), "unknown") == 0);
    CHECK(payseal_status_is_reason_code(PAYSEAL_STATUS_REPLAYED));
    CHECK(!payseal_status_is_reason_code(PAYSEAL_STATUS_OK));
    CHECK(!payseal_status_is_reason_code(PAYSEAL_STATUS_NULL_ARGUMENT));
    CHECK(!payseal_status_is_reason_code(UINT32_MAX));
}

static void test_keys(void) {
    payseal_signing_key *key = NULL;
    payseal_verifying_key *public = NULL;
    uint8_t secret[32] = {1, 2, 3};
    uint8_t kid[PAYSEAL_KID_MAX_LEN];
    size_t kid_len = 99;

    CHECK_STATUS(payseal_signing_key_generate(PAYSEAL_ALG_ED25519, NULL), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_signing_key_generate(0, &key), PAYSEAL_STATUS_INVALID_ARGUMENT);
    CHECK(key == NULL);
    CHECK_STATUS(payseal_signing_key_generate(99, &key), PAYSEAL_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(payseal_signing_key_from_raw(PAYSEAL_ALG_ED25519, NULL, 32, &key), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_signing_key_from_raw(PAYSEAL_ALG_ED25519, secret, 31, &key), PAYSEAL_STATUS_INVALID_KEY);
    CHECK_STATUS(payseal_signing_key_from_raw(PAYSEAL_ALG_ED25519, secret, 33, &key), PAYSEAL_STATUS_INVALID_KEY);
    uint8_t zero[32] = {0};
    CHECK_STATUS(payseal_signing_key_from_raw(PAYSEAL_ALG_ECDSA_P256, zero, 32, &key), PAYSEAL_STATUS_INVALID_KEY);
    CHECK(key == NULL);
    CHECK_STATUS(payseal_signing_key_from_pem(NULL, 10, &key), PAYSEAL_STATUS_NULL_ARGUMENT);
    const char *junk = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    CHECK_STATUS(payseal_signing_key_from_pem((const uint8_t *)junk, strlen(junk), &key), PAYSEAL_STATUS_UNSUPPORTED_KEY);
    const uint8_t not_utf8[] = {0xff, 0xfe, 0x00};
    CHECK_STATUS(payseal_signing_key_from_pem(not_utf8, sizeof not_utf8, &key), PAYSEAL_STATUS_UNSUPPORTED_KEY);
    CHECK_STATUS(payseal_signing_key_from_der(not_utf8, sizeof not_utf8, &key), PAYSEAL_STATUS_UNSUPPORTED_KEY);
    CHECK_STATUS(payseal_signing_key_from_der(NULL, 0, &key), PAYSEAL_STATUS_UNSUPPORTED_KEY);
    CHECK_STATUS(payseal_signing_key_from_der(not_utf8, 3, NULL), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK(key == NULL);

    for (uint32_t alg = PAYSEAL_ALG_ED25519; alg <= PAYSEAL_ALG_ECDSA_SECP256K1; alg++) {
        CHECK_STATUS(payseal_signing_key_from_raw(alg, secret, sizeof secret, &key), PAYSEAL_STATUS_OK);
        CHECK_STATUS(payseal_signing_key_kid(key, kid, sizeof kid, &kid_len), PAYSEAL_STATUS_OK);
        CHECK(kid_len == 8);
        CHECK_STATUS(payseal_signing_key_public(key, &public), PAYSEAL_STATUS_OK);
        uint8_t vkid[PAYSEAL_KID_MAX_LEN];
        size_t vkid_len = 0;
        CHECK_STATUS(payseal_verifying_key_kid(public, vkid, sizeof vkid, &vkid_len), PAYSEAL_STATUS_OK);
        CHECK(vkid_len == kid_len && memcmp(kid, vkid, kid_len) == 0);
        payseal_verifying_key_free(public);
        public = NULL;
        payseal_signing_key_free(key);
        key = NULL;
    }

    CHECK_STATUS(payseal_signing_key_generate(PAYSEAL_ALG_ED25519, &key), PAYSEAL_STATUS_OK);
    /* Short buffers: the length is reported, nothing is written past the end. */
    uint8_t small[4];
    CHECK_STATUS(payseal_signing_key_kid(key, small, sizeof small, &kid_len), PAYSEAL_STATUS_BUFFER_TOO_SMALL);
    CHECK(kid_len == 8);
    CHECK_STATUS(payseal_signing_key_kid(key, NULL, 0, &kid_len), PAYSEAL_STATUS_BUFFER_TOO_SMALL);
    CHECK_STATUS(payseal_signing_key_kid(key, NULL, 8, &kid_len), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_signing_key_kid(key, kid, sizeof kid, NULL), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_signing_key_kid(NULL, kid, sizeof kid, &kid_len), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_signing_key_public(NULL, &public), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_signing_key_public(key, NULL), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_verifying_key_kid(NULL, kid, sizeof kid, &kid_len), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_verifying_key_from_pem(NULL, 1, &public), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_verifying_key_from_pem((const uint8_t *)junk, strlen(junk), &public), PAYSEAL_STATUS_UNSUPPORTED_KEY);
    CHECK_STATUS(payseal_verifying_key_from_der(not_utf8, sizeof not_utf8, &public), PAYSEAL_STATUS_UNSUPPORTED_KEY);
    CHECK_STATUS(payseal_verifying_key_from_der(not_utf8, sizeof not_utf8, NULL), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK(public == NULL);

    /* Wrong handles: a signing key where a verifying key is expected, and the reverse. */
    CHECK_STATUS(payseal_verifying_key_kid((const payseal_verifying_key *)key, kid, sizeof kid, &kid_len),
                 PAYSEAL_STATUS_INVALID_HANDLE);
    CHECK_STATUS(payseal_signing_key_public(key, &public), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_signing_key_kid((const payseal_signing_key *)public, kid, sizeof kid, &kid_len),
                 PAYSEAL_STATUS_INVALID_HANDLE);
    /* A misaligned pointer is refused before it is read. */
    CHECK_STATUS(payseal_signing_key_kid((const payseal_signing_key *)((const char *)key + 1), kid, sizeof kid, &kid_len),
                 PAYSEAL_STATUS_INVALID_HANDLE);
    /* Freeing through the wrong function is ignored (the handle stays usable). */
    payseal_verifying_key_free((payseal_verifying_key *)key);
    CHECK_STATUS(payseal_signing_key_kid(key, kid, sizeof kid, &kid_len), PAYSEAL_STATUS_OK);
    payseal_signing_key_free((payseal_signing_key *)public);
    CHECK_STATUS(payseal_verifying_key_kid(public, kid, sizeof kid, &kid_len), PAYSEAL_STATUS_OK);
    payseal_signing_key_free(NULL);
    payseal_verifying_key_free(NULL);
    payseal_verifying_key_free(public);
    payseal_signing_key_free(key);
}

static void test_trust_store(void) {
    payseal_trust_store *trust = NULL;
    payseal_signing_key *key = NULL;
    payseal_verifying_key *public = NULL;
    const char *good[] = {"plant/+/temp", "plant/#"};
    const char *bad[] = {"plant/+/temp", "plant/#/temp"};
    const char *with_null[] = {"plant/+/temp", NULL};

    CHECK_STATUS(payseal_trust_store_new(NULL), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_trust_store_new(&trust), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_signing_key_generate(PAYSEAL_ALG_ED25519, &key), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_signing_key_public(key, &public), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_trust_store_add_sender(NULL, public, good, 2), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_trust_store_add_sender(trust, NULL, good, 2), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_trust_store_add_sender(trust, public, NULL, 2), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_trust_store_add_sender(trust, public, with_null, 2), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_trust_store_add_sender(trust, public, bad, 2), PAYSEAL_STATUS_INVALID_TOPIC_FILTER);
    CHECK_STATUS(payseal_trust_store_add_sender(trust, (const payseal_verifying_key *)key, good, 2),
                 PAYSEAL_STATUS_INVALID_HANDLE);
    CHECK_STATUS(payseal_trust_store_add_sender((payseal_trust_store *)public, public, good, 2),
                 PAYSEAL_STATUS_INVALID_HANDLE);
    CHECK_STATUS(payseal_trust_store_add_sender(trust, public, good, 2), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_trust_store_add_sender(trust, public, good, 2), PAYSEAL_STATUS_DUPLICATE_KID);
    CHECK_STATUS(payseal_trust_store_add_decryption_key(trust, NULL), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_trust_store_add_decryption_key(NULL, NULL), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_trust_store_add_decryption_key(trust, (const payseal_recipient_key *)key),
                 PAYSEAL_STATUS_INVALID_HANDLE);
    CHECK_STATUS(payseal_trust_store_require_encryption(trust, NULL), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_trust_store_require_encryption(NULL, "a/#"), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_trust_store_require_encryption(trust, "a/#/b"), PAYSEAL_STATUS_INVALID_TOPIC_FILTER);
    CHECK_STATUS(payseal_trust_store_require_encryption(trust, "\xff/#"), PAYSEAL_STATUS_INVALID_TOPIC_FILTER);
    CHECK_STATUS(payseal_trust_store_require_encryption(trust, "secret/#"), PAYSEAL_STATUS_OK);
    payseal_trust_store_free((payseal_trust_store *)key); /* ignored */
    payseal_trust_store_free(NULL);
    payseal_trust_store_free(trust);
    payseal_verifying_key_free(public);
    payseal_signing_key_free(key);
}

static void test_seal(void) {
    payseal_signing_key *key = NULL;
    payseal_sealer *sealer = NULL;
    uint8_t out[256];
    size_t len = 0;
    uint64_t next = 1;

    CHECK_STATUS(payseal_signing_key_generate(PAYSEAL_ALG_ED25519, &key), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_sealer_new(NULL, &sealer), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_sealer_new(key, NULL), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_sealer_new((const payseal_signing_key *)out, &sealer), PAYSEAL_STATUS_INVALID_HANDLE);
    CHECK(sealer == NULL);
    CHECK_STATUS(payseal_sealer_new_with_sources(NULL, fixed_clock, &fake_now, counter, &next, &sealer),
                 PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_sealer_new_with_sources(key, fixed_clock, &fake_now, counter, &next, NULL),
                 PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_sealer_new_with_sources((const payseal_signing_key *)&next, NULL, NULL, NULL, NULL, &sealer),
                 PAYSEAL_STATUS_INVALID_HANDLE);
    CHECK(sealer == NULL);
    CHECK_STATUS(payseal_sealer_new_with_sources(key, fixed_clock, &fake_now, counter, &next, &sealer),
                 PAYSEAL_STATUS_OK);
    payseal_signing_key_free(key); /* the sealer has its own copy */

    CHECK_STATUS(payseal_seal(NULL, TOPIC, (const uint8_t *)"1", 1, out, sizeof out, &len), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_seal(sealer, NULL, (const uint8_t *)"1", 1, out, sizeof out, &len), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_seal(sealer, TOPIC, NULL, 1, out, sizeof out, &len), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_seal(sealer, TOPIC, (const uint8_t *)"1", 1, NULL, sizeof out, &len), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_seal(sealer, TOPIC, (const uint8_t *)"1", 1, out, sizeof out, NULL), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_seal(sealer, "plant/+/temp", (const uint8_t *)"1", 1, out, sizeof out, &len), PAYSEAL_STATUS_INVALID_TOPIC);
    CHECK_STATUS(payseal_seal(sealer, "", (const uint8_t *)"1", 1, out, sizeof out, &len), PAYSEAL_STATUS_INVALID_TOPIC);
    CHECK_STATUS(payseal_seal(sealer, "bad/\xc3", (const uint8_t *)"1", 1, out, sizeof out, &len), PAYSEAL_STATUS_INVALID_TOPIC);
    CHECK_STATUS(payseal_seal((payseal_sealer *)&next, TOPIC, (const uint8_t *)"1", 1, out, sizeof out, &len),
                 PAYSEAL_STATUS_INVALID_HANDLE);

    /* Too small: the needed size comes back and nothing is written past out_cap. */
    uint8_t *tight = malloc(8);
    CHECK_STATUS(payseal_seal(sealer, TOPIC, (const uint8_t *)"21.5", 4, tight, 8, &len), PAYSEAL_STATUS_BUFFER_TOO_SMALL);
    size_t needed = len;
    CHECK(needed > 4 && needed <= 4 + PAYSEAL_SIGNED_OVERHEAD_MAX);
    free(tight);
    CHECK_STATUS(payseal_seal(sealer, TOPIC, (const uint8_t *)"21.5", 4, NULL, 0, &len), PAYSEAL_STATUS_BUFFER_TOO_SMALL);
    /* An empty payload (NULL, 0) is fine; an exact-size buffer is enough. */
    CHECK_STATUS(payseal_seal(sealer, TOPIC, NULL, 0, out, sizeof out, &len), PAYSEAL_STATUS_OK);
    uint8_t *exact = malloc(needed);
    CHECK_STATUS(payseal_seal(sealer, TOPIC, (const uint8_t *)"21.5", 4, exact, needed, &len), PAYSEAL_STATUS_OK);
    CHECK(len == needed);
    free(exact);

    /* Encryption: argument checks. */
    const payseal_recipient_public_key *none[1] = {NULL};
    CHECK_STATUS(payseal_sealer_encrypt_to(sealer, "plant/#", NULL, 1), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_sealer_encrypt_to(sealer, "plant/#", none, 1), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_sealer_encrypt_to(sealer, "plant/#", none, 0), PAYSEAL_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(payseal_sealer_encrypt_to(sealer, NULL, none, 0), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_sealer_encrypt_to(NULL, "plant/#", none, 0), PAYSEAL_STATUS_NULL_ARGUMENT);
    const payseal_recipient_public_key *wrong[1] = {(const payseal_recipient_public_key *)sealer};
    CHECK_STATUS(payseal_sealer_encrypt_to(sealer, "plant/#", wrong, 1), PAYSEAL_STATUS_INVALID_HANDLE);
    /* The sealer still works after refused configuration. */
    CHECK_STATUS(payseal_seal(sealer, TOPIC, (const uint8_t *)"1", 1, out, sizeof out, &len), PAYSEAL_STATUS_OK);
    payseal_opener_free((payseal_opener *)sealer); /* ignored */
    payseal_sealer_free(NULL);
    payseal_sealer_free(sealer);

    /* Callbacks that fail. */
    CHECK_STATUS(payseal_signing_key_generate(PAYSEAL_ALG_ED25519, &key), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_sealer_new_with_sources(key, broken_clock, NULL, NULL, NULL, &sealer), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_seal(sealer, TOPIC, (const uint8_t *)"1", 1, out, sizeof out, &len), PAYSEAL_STATUS_CLOCK_UNAVAILABLE);
    payseal_sealer_free(sealer);
    CHECK_STATUS(payseal_sealer_new_with_sources(key, NULL, NULL, exhausted, NULL, &sealer), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_seal(sealer, TOPIC, (const uint8_t *)"1", 1, out, sizeof out, &len), PAYSEAL_STATUS_SEQUENCE_UNAVAILABLE);
    payseal_sealer_free(sealer);
    uint64_t last = UINT64_MAX;
    CHECK_STATUS(payseal_sealer_new_with_sources(key, fixed_clock, &fake_now, counter, &last, &sealer), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_seal(sealer, TOPIC, (const uint8_t *)"1", 1, out, sizeof out, &len), PAYSEAL_STATUS_OK);
    payseal_sealer_free(sealer);
    payseal_signing_key_free(key);
}

static void test_open(void) {
    payseal_signing_key *key = NULL, *stranger = NULL;
    payseal_sealer *sealer = NULL, *impostor = NULL;
    uint8_t envelope[256], payload[256];
    size_t env_len = 0, len = 0;
    uint64_t next = 1, other = 1;
    payseal_message_info info;

    CHECK_STATUS(payseal_signing_key_generate(PAYSEAL_ALG_ED25519, &key), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_signing_key_generate(PAYSEAL_ALG_ED25519, &stranger), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_sealer_new_with_sources(key, fixed_clock, &fake_now, counter, &next, &sealer), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_sealer_new_with_sources(stranger, fixed_clock, &fake_now, counter, &other, &impostor), PAYSEAL_STATUS_OK);
    payseal_opener *opener = opener_for(key);

    payseal_opener *refused = (payseal_opener *)&next;
    CHECK_STATUS(payseal_opener_new(NULL, 0, NULL, NULL, &refused), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK(refused == NULL); /* out is cleared on failure */
    payseal_trust_store *empty = NULL;
    CHECK_STATUS(payseal_trust_store_new(&empty), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_opener_new(empty, 0, NULL, NULL, NULL), PAYSEAL_STATUS_NULL_ARGUMENT);
    payseal_opener *wrong = NULL;
    CHECK_STATUS(payseal_opener_new((const payseal_trust_store *)key, 0, NULL, NULL, &wrong), PAYSEAL_STATUS_INVALID_HANDLE);
    payseal_trust_store_free(empty);

    CHECK_STATUS(payseal_seal(sealer, TOPIC, (const uint8_t *)"21.5", 4, envelope, sizeof envelope, &env_len), PAYSEAL_STATUS_OK);

    /* NULL arguments and wrong handles leave the envelope unopened. */
    CHECK_STATUS(payseal_open(NULL, TOPIC, envelope, env_len, payload, sizeof payload, &len, &info), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_open(opener, NULL, envelope, env_len, payload, sizeof payload, &len, &info), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_open(opener, TOPIC, NULL, env_len, payload, sizeof payload, &len, &info), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_open(opener, TOPIC, envelope, env_len, NULL, sizeof payload, &len, &info), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_open(opener, TOPIC, envelope, env_len, payload, sizeof payload, NULL, &info), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_open((payseal_opener *)sealer, TOPIC, envelope, env_len, payload, sizeof payload, &len, &info),
                 PAYSEAL_STATUS_INVALID_HANDLE);

    /* A short buffer is refused before any check, so the envelope still opens afterwards. */
    CHECK_STATUS(payseal_open(opener, TOPIC, envelope, env_len, payload, 3, &len, &info), PAYSEAL_STATUS_BUFFER_TOO_SMALL);
    CHECK(len == 4);
    CHECK_STATUS(payseal_open(opener, TOPIC, envelope, env_len, NULL, 0, &len, NULL), PAYSEAL_STATUS_BUFFER_TOO_SMALL);
    CHECK(len == 4);
    uint8_t *exact = malloc(4);
    CHECK_STATUS(payseal_open(opener, TOPIC, envelope, env_len, exact, 4, &len, &info), PAYSEAL_STATUS_OK);
    CHECK(len == 4 && memcmp(exact, "21.5", 4) == 0);
    free(exact);
    CHECK(info.seq == 1 && info.timestamp == fake_now && info.kid_len == 8 && info.kind == 0 && !info.encrypted);
    CHECK_STATUS(payseal_open(opener, TOPIC, envelope, env_len, payload, sizeof payload, &len, NULL), PAYSEAL_STATUS_REPLAYED);

    /* Moved to another topic, from a stranger, not an envelope at all. */
    CHECK_STATUS(payseal_seal(sealer, TOPIC, (const uint8_t *)"21.6", 4, envelope, sizeof envelope, &env_len), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_open(opener, "plant/4/temp", envelope, env_len, payload, sizeof payload, &len, NULL), PAYSEAL_STATUS_BAD_SIGNATURE);
    CHECK_STATUS(payseal_open(opener, "plant/3/valve", envelope, env_len, payload, sizeof payload, &len, NULL), PAYSEAL_STATUS_TOPIC_NOT_AUTHORIZED);
    CHECK_STATUS(payseal_open(opener, "plant/+/temp", envelope, env_len, payload, sizeof payload, &len, NULL), PAYSEAL_STATUS_INVALID_TOPIC);
    CHECK_STATUS(payseal_open(opener, "plant/\xff/temp", envelope, env_len, payload, sizeof payload, &len, NULL), PAYSEAL_STATUS_INVALID_TOPIC);
    CHECK_STATUS(payseal_open(opener, TOPIC, NULL, 0, payload, sizeof payload, &len, NULL), PAYSEAL_STATUS_NOT_AN_ENVELOPE);
    CHECK_STATUS(payseal_open(opener, TOPIC, (const uint8_t *)"{\"t\":21}", 8, payload, sizeof payload, &len, NULL), PAYSEAL_STATUS_NOT_AN_ENVELOPE);

    /* Every truncation of a valid envelope is refused, each with a reason code, none read past its end. */
    int truncations_refused = 0;
    for (size_t cut = 0; cut < env_len; cut++) {
        uint8_t *piece = malloc(cut ? cut : 1);
        memcpy(piece, envelope, cut);
        payseal_status st = payseal_open(opener, TOPIC, piece, cut, payload, sizeof payload, &len, NULL);
        if (st != PAYSEAL_STATUS_OK && payseal_status_is_reason_code(st)) truncations_refused++;
        free(piece);
    }
    CHECK(truncations_refused == (int)env_len);

    /* Every single-bit flip is refused, or (a flip in an unchecked spot) still opens only once. */
    int flips_refused = 0, flips_total = 0;
    for (size_t i = 0; i < env_len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            uint8_t copy[256];
            memcpy(copy, envelope, env_len);
            copy[i] ^= (uint8_t)(1u << bit);
            payseal_status st = payseal_open(opener, TOPIC, copy, env_len, payload, sizeof payload, &len, NULL);
            flips_total++;
            if (st != PAYSEAL_STATUS_OK) flips_refused++;
            CHECK(st == PAYSEAL_STATUS_OK || payseal_status_is_reason_code(st) || st == PAYSEAL_STATUS_BUFFER_TOO_SMALL);
        }
    }
    CHECK(flips_refused == flips_total);
    /* The untouched envelope still opens: the refused flips did not burn its sequence number. */
    CHECK_STATUS(payseal_open(opener, TOPIC, envelope, env_len, payload, sizeof payload, &len, NULL), PAYSEAL_STATUS_OK);

    /* Hostile headers: a huge length, deep nesting, trailing bytes, a bare tag. */
    const uint8_t huge_len[] = {0xd2, 0x84, 0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    CHECK(payseal_status_is_reason_code(payseal_open(opener, TOPIC, huge_len, sizeof huge_len, payload, sizeof payload, &len, NULL)));
    uint8_t deep[200];
    deep[0] = 0xd2;
    memset(deep + 1, 0x81, sizeof deep - 1);
    CHECK(payseal_status_is_reason_code(payseal_open(opener, TOPIC, deep, sizeof deep, payload, sizeof payload, &len, NULL)));
    const uint8_t bare_tag[] = {0xd2};
    CHECK(payseal_status_is_reason_code(payseal_open(opener, TOPIC, bare_tag, 1, payload, sizeof payload, &len, NULL)));
    /* Tag 98 (COSE_Sign): only 18 (COSE_Sign1) and 17 (COSE_Mac0, spec/mac.md) are roots. */
    const uint8_t wrong_tag[] = {0xd8, 0x62, 0x84, 0x40, 0xa0, 0x40, 0x40};
    CHECK_STATUS(payseal_open(opener, TOPIC, wrong_tag, sizeof wrong_tag, payload, sizeof payload, &len, NULL), PAYSEAL_STATUS_WRONG_TAG);
    CHECK_STATUS(payseal_seal(sealer, TOPIC, (const uint8_t *)"21.7", 4, envelope, sizeof envelope, &env_len), PAYSEAL_STATUS_OK);
    envelope[env_len] = 0x00;
    CHECK_STATUS(payseal_open(opener, TOPIC, envelope, env_len + 1, payload, sizeof payload, &len, NULL), PAYSEAL_STATUS_TRAILING_BYTES);
    uint8_t *oversized = calloc(300 * 1024, 1);
    oversized[0] = 0xd2;
    CHECK_STATUS(payseal_open(opener, TOPIC, oversized, 300 * 1024, payload, sizeof payload, &len, NULL), PAYSEAL_STATUS_TOO_LARGE);
    free(oversized);

    CHECK_STATUS(payseal_seal(impostor, TOPIC, (const uint8_t *)"99.9", 4, envelope, sizeof envelope, &env_len), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_open(opener, TOPIC, envelope, env_len, payload, sizeof payload, &len, NULL), PAYSEAL_STATUS_UNKNOWN_SENDER);

    /* Time: a message held back by the broker goes stale; one from the future is refused. */
    CHECK_STATUS(payseal_seal(sealer, TOPIC, (const uint8_t *)"21.8", 4, envelope, sizeof envelope, &env_len), PAYSEAL_STATUS_OK);
    fake_now += 600;
    CHECK_STATUS(payseal_open(opener, TOPIC, envelope, env_len, payload, sizeof payload, &len, NULL), PAYSEAL_STATUS_STALE);
    fake_now -= 1200;
    CHECK_STATUS(payseal_open(opener, TOPIC, envelope, env_len, payload, sizeof payload, &len, NULL), PAYSEAL_STATUS_FROM_THE_FUTURE);
    fake_now += 600;

    payseal_opener_free((payseal_opener *)key); /* ignored */
    payseal_opener_free(NULL);
    payseal_opener_free(opener);
    payseal_sealer_free(sealer);
    payseal_sealer_free(impostor);
    payseal_signing_key_free(key);
    payseal_signing_key_free(stranger);
}

/* X25519 private key in PKCS#8 PEM (RFC 8410 §10.3's example key). */
static const char *X25519_KEY =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VuBCIEINbhMzuUl6bp8+6iM5Bf7lDsb5UaJb1lZOvCXs9LhkNF\n"
    "-----END PRIVATE KEY-----\n";

static void test_encryption(void) {
    payseal_recipient_key *dashboard = NULL;
    payseal_recipient_public_key *dashboard_pub = NULL;
    payseal_signing_key *key = NULL;
    payseal_sealer *sealer = NULL;
    uint8_t envelope[512], payload[512];
    size_t env_len = 0, len = 0;
    uint64_t next = 1;
    payseal_message_info info;

    CHECK_STATUS(payseal_recipient_key_from_pem(NULL, 5, &dashboard), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_recipient_key_from_pem((const uint8_t *)"junk", 4, &dashboard), PAYSEAL_STATUS_UNSUPPORTED_KEY);
    CHECK_STATUS(payseal_recipient_key_from_pem((const uint8_t *)X25519_KEY, strlen(X25519_KEY), NULL), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_recipient_key_from_pem((const uint8_t *)X25519_KEY, strlen(X25519_KEY), &dashboard), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_recipient_key_public(NULL, &dashboard_pub), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_recipient_key_public(dashboard, NULL), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_recipient_key_public((const payseal_recipient_key *)dashboard_pub, &dashboard_pub), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(payseal_recipient_key_public(dashboard, &dashboard_pub), PAYSEAL_STATUS_OK);
    payseal_recipient_public_key *parsed = (payseal_recipient_public_key *)&next;
    CHECK_STATUS(payseal_recipient_public_key_from_pem(NULL, 5, &parsed), PAYSEAL_STATUS_NULL_ARGUMENT);
    CHECK(parsed == NULL);
    CHECK_STATUS(payseal_recipient_public_key_from_pem((const uint8_t *)X25519_KEY, strlen(X25519_KEY), &parsed),
                 PAYSEAL_STATUS_UNSUPPORTED_KEY); /* a private key is not a public key */

    CHECK_STATUS(payseal_signing_key_generate(PAYSEAL_ALG_ED25519, &key), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_sealer_new_with_sources(key, fixed_clock, &fake_now, counter, &next, &sealer), PAYSEAL_STATUS_OK);
    const payseal_recipient_public_key *to[] = {dashboard_pub};
    CHECK_STATUS(payseal_sealer_encrypt_to(sealer, "plant/#/x", to, 1), PAYSEAL_STATUS_INVALID_TOPIC_FILTER);
    CHECK_STATUS(payseal_sealer_encrypt_to(sealer, "plant/#", to, 1), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_seal(sealer, TOPIC, (const uint8_t *)"21.5", 4, envelope, sizeof envelope, &env_len), PAYSEAL_STATUS_OK);
    CHECK(memmem(envelope, env_len, "21.5", 4) == NULL);

    /* A receiver without the key: not_for_me. One with it: the payload. */
    payseal_opener *blind = opener_for(key);
    CHECK_STATUS(payseal_open(blind, TOPIC, envelope, env_len, payload, sizeof payload, &len, NULL), PAYSEAL_STATUS_NOT_FOR_ME);
    payseal_opener_free(blind);

    payseal_verifying_key *public = NULL;
    payseal_trust_store *trust = NULL;
    payseal_opener *opener = NULL;
    const char *filters[] = {"plant/#"};
    CHECK_STATUS(payseal_signing_key_public(key, &public), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_trust_store_new(&trust), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_trust_store_add_sender(trust, public, filters, 1), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_trust_store_add_decryption_key(trust, dashboard), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_trust_store_add_decryption_key(trust, dashboard), PAYSEAL_STATUS_DUPLICATE_KID);
    CHECK_STATUS(payseal_trust_store_require_encryption(trust, "plant/#"), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_opener_new(trust, 60, fixed_clock, &fake_now, &opener), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_open(opener, TOPIC, envelope, env_len, payload, sizeof payload, &len, &info), PAYSEAL_STATUS_OK);
    CHECK(len == 4 && memcmp(payload, "21.5", 4) == 0 && info.encrypted);

    /* A signed-only envelope where encryption is required: a downgrade. */
    payseal_sealer *plain = NULL;
    CHECK_STATUS(payseal_sealer_new_with_sources(key, fixed_clock, &fake_now, counter, &next, &plain), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_seal(plain, TOPIC, (const uint8_t *)"21.6", 4, envelope, sizeof envelope, &env_len), PAYSEAL_STATUS_OK);
    CHECK_STATUS(payseal_open(opener, TOPIC, envelope, env_len, payload, sizeof payload, &len, NULL), PAYSEAL_STATUS_ENCRYPTION_REQUIRED);

    payseal_recipient_key_free((payseal_recipient_key *)dashboard_pub); /* ignored */
    payseal_recipient_public_key_free((payseal_recipient_public_key *)dashboard); /* ignored */
    payseal_recipient_key_free(NULL);
    payseal_recipient_public_key_free(NULL);
    payseal_sealer_free(plain);
    payseal_opener_free(opener);
    payseal_trust_store_free(trust);
    payseal_verifying_key_free(public);
    payseal_sealer_free(sealer);
    payseal_signing_key_free(key);
    payseal_recipient_public_key_free(dashboard_pub);
    payseal_recipient_key_free(dashboard);
}

int main(void) {
    test_status_text();
    test_keys();
    test_trust_store();
    test_seal();
    test_open();
    test_encryption();
    printf("api_test: %d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
