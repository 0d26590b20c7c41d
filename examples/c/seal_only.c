/* The smallest useful device: an Ed25519 key from raw bytes, a clock and a counter from the
 * "firmware", one reading sealed into a static buffer. scripts/ffi-size links it against a
 * size-optimised static library and reports `size`, and it measures the stack seal and open
 * use by running them on a painted thread stack.
 *
 *   seal_only          prints the envelope's length and the stack high-water marks */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payseal.h"

static const uint8_t DEVICE_SECRET[32] = {0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60,
                                          0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
                                          0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19,
                                          0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};
static uint8_t envelope[16 + PAYSEAL_SIGNED_OVERHEAD_MAX];
static size_t envelope_len;
static uint64_t seconds = 1700000000, next_seq = 1;

static bool rtc(void *ctx, uint64_t *out) { (void)ctx; *out = seconds; return true; }
static bool flash_counter(void *ctx, uint64_t *out) { (void)ctx; *out = next_seq++; return true; }

static payseal_sealer *sealer;
static payseal_opener *opener;
static payseal_status result;

static void *seal_once(void *arg) {
    (void)arg;
    result = payseal_seal(sealer, "plant/3/temp", (const uint8_t *)"21.5", 4, envelope, sizeof envelope,
                          &envelope_len);
    return NULL;
}

static void *open_once(void *arg) {
    (void)arg;
    uint8_t payload[16];
    size_t len = 0;
    result = payseal_open(opener, "plant/3/temp", envelope, envelope_len, payload, sizeof payload, &len, NULL);
    return NULL;
}

static void *idle(void *arg) { return arg; }

/* Runs `fn` on a 256 KiB stack painted with 0xA5 and returns how many bytes it touched. */
static size_t stack_high_water(void *(*fn)(void *)) {
    const size_t size = 256 * 1024;
    uint8_t *stack = aligned_alloc(4096, size);
    memset(stack, 0xA5, size);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, stack, size);
    pthread_t thread;
    pthread_create(&thread, &attr, fn, NULL);
    pthread_join(thread, NULL);
    pthread_attr_destroy(&attr);
    size_t untouched = 0;
    while (untouched < size && stack[untouched] == 0xA5) untouched++;
    free(stack);
    return size - untouched;
}

int main(void) {
    payseal_signing_key *key = NULL;
    if (payseal_signing_key_from_raw(PAYSEAL_ALG_ED25519, DEVICE_SECRET, 32, &key) != PAYSEAL_STATUS_OK ||
        payseal_sealer_new_with_sources(key, rtc, NULL, flash_counter, NULL, &sealer) != PAYSEAL_STATUS_OK) {
        return 1;
    }
#ifdef WITH_OPEN
    payseal_verifying_key *public = NULL;
    payseal_trust_store *trust = NULL;
    const char *filters[] = {"plant/+/temp"};
    if (payseal_signing_key_public(key, &public) != PAYSEAL_STATUS_OK ||
        payseal_trust_store_new(&trust) != PAYSEAL_STATUS_OK ||
        payseal_trust_store_add_sender(trust, public, filters, 1) != PAYSEAL_STATUS_OK ||
        payseal_opener_new(trust, 0, rtc, NULL, &opener) != PAYSEAL_STATUS_OK) {
        return 1;
    }
#endif
    /* What a thread touches doing nothing (glibc's thread start-up), subtracted below. */
    size_t baseline = stack_high_water(idle);
    size_t seal_stack = stack_high_water(seal_once) - baseline;
    if (result != PAYSEAL_STATUS_OK) return 1;
    printf("envelope %zu bytes; stack high-water: seal %zu bytes", envelope_len, seal_stack);
    (void)baseline;
#ifdef WITH_OPEN
    size_t open_stack = stack_high_water(open_once) - baseline;
    if (result != PAYSEAL_STATUS_OK) return 1;
    printf(", open %zu bytes", open_stack);
    payseal_opener_free(opener);
    payseal_trust_store_free(trust);
    payseal_verifying_key_free(public);
#else
    (void)open_once;
#endif
    printf("\n");
    payseal_sealer_free(sealer);
    payseal_signing_key_free(key);
    return 0;
}
