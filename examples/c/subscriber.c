/* A subscriber: receives envelopes with libmosquitto and opens them with payseal.
 *
 *   subscriber HOST PORT FILTER SENDER.pub COUNT
 *
 * Trusts the sender's public key (SPKI PEM, `payseal keygen` writes NAME.pub) on FILTER.
 * Prints "TOPIC PAYLOAD" for each verified message and "rejected TOPIC REASON" for each
 * refused one; exits 0 after COUNT verified messages, 27 after 20 s without them. */
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "payseal.h"

struct state {
    payseal_opener *opener;
    int wanted, verified;
};

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg) {
    (void)mosq;
    struct state *s = obj;
    static uint8_t payload[4096];
    size_t len = 0;
    payseal_status st = payseal_open(s->opener, msg->topic, msg->payload, (size_t)msg->payloadlen,
                                     payload, sizeof payload, &len, NULL);
    if (st == PAYSEAL_STATUS_OK) {
        printf("%s %.*s\n", msg->topic, (int)len, (const char *)payload);
        s->verified++;
    } else {
        printf("rejected %s %s\n", msg->topic, payseal_status_text(st));
    }
    fflush(stdout);
}

/* SUBACK: from here on, messages published to FILTER reach us (the test waits for this line). */
static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int qos_count, const int *granted) {
    (void)mosq, (void)obj, (void)mid, (void)qos_count, (void)granted;
    printf("subscribed\n");
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s HOST PORT FILTER SENDER.pub COUNT\n", argv[0]);
        return 2;
    }
    const char *host = argv[1], *filter = argv[3];
    int port = atoi(argv[2]);

    size_t pem_len = 0;
    uint8_t *pem = read_file(argv[4], &pem_len);
    if (!pem) {
        fprintf(stderr, "subscriber: cannot read %s\n", argv[4]);
        return 4;
    }
    payseal_verifying_key *sender = NULL;
    payseal_status st = payseal_verifying_key_from_pem(pem, pem_len, &sender);
    free(pem);
    payseal_trust_store *trust = NULL;
    if (st == PAYSEAL_STATUS_OK) st = payseal_trust_store_new(&trust);
    if (st == PAYSEAL_STATUS_OK) st = payseal_trust_store_add_sender(trust, sender, &filter, 1);
    struct state s = {NULL, atoi(argv[5]), 0};
    if (st == PAYSEAL_STATUS_OK) st = payseal_opener_new(trust, 0, NULL, NULL, &s.opener);
    payseal_trust_store_free(trust);
    payseal_verifying_key_free(sender);
    if (st != PAYSEAL_STATUS_OK) {
        fprintf(stderr, "subscriber: %s\n", payseal_status_text(st));
        return 3;
    }

    mosquitto_lib_init();
    struct mosquitto *mosq = mosquitto_new(NULL, true, &s);
    mosquitto_message_callback_set(mosq, on_message);
    mosquitto_subscribe_callback_set(mosq, on_subscribe);
    int rc = mosquitto_connect(mosq, host, port, 30);
    if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_subscribe(mosq, NULL, filter, 1);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "subscriber: %s\n", mosquitto_strerror(rc));
        return 5;
    }
    time_t deadline = time(NULL) + 20;
    while (s.verified < s.wanted && time(NULL) < deadline) {
        rc = mosquitto_loop(mosq, 100, 1);
        if (rc != MOSQ_ERR_SUCCESS) break;
    }
    mosquitto_disconnect(mosq);
    mosquitto_destroy(mosq);
    mosquitto_lib_cleanup();
    payseal_opener_free(s.opener);
    return s.verified >= s.wanted ? 0 : 27;
}
