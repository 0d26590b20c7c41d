/* A sensor: seals readings with payseal and publishes them with libmosquitto.
 *
 *   sensor HOST PORT TOPIC KEY.pem COUNT
 *
 * KEY.pem is a PKCS#8 signing key (`payseal keygen --alg ed25519 --out sensor.key`). Publishes
 * COUNT readings "reading-1", "reading-2", ... at QoS 1 and exits 0 when all were sent.
 * The envelope goes into a static buffer: no allocation on the application's side. */
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "payseal.h"

#define MAX_PAYLOAD 64
static uint8_t envelope[MAX_PAYLOAD + PAYSEAL_SIGNED_OVERHEAD_MAX];

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s HOST PORT TOPIC KEY.pem COUNT\n", argv[0]);
        return 2;
    }
    const char *host = argv[1], *topic = argv[3];
    int port = atoi(argv[2]), count = atoi(argv[5]);

    size_t pem_len = 0;
    uint8_t *pem = read_file(argv[4], &pem_len);
    if (!pem) {
        fprintf(stderr, "sensor: cannot read %s\n", argv[4]);
        return 4;
    }
    payseal_signing_key *key = NULL;
    payseal_status st = payseal_signing_key_from_pem(pem, pem_len, &key);
    free(pem);
    if (st != PAYSEAL_STATUS_OK) {
        fprintf(stderr, "sensor: key: %s\n", payseal_status_text(st));
        return 3;
    }
    payseal_sealer *sealer = NULL;
    st = payseal_sealer_new(key, &sealer);
    payseal_signing_key_free(key);
    if (st != PAYSEAL_STATUS_OK) {
        fprintf(stderr, "sensor: sealer: %s\n", payseal_status_text(st));
        return 3;
    }

    mosquitto_lib_init();
    struct mosquitto *mosq = mosquitto_new(NULL, true, NULL);
    int rc = mosq ? mosquitto_connect(mosq, host, port, 30) : MOSQ_ERR_NOMEM;
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "sensor: connect: %s\n", mosquitto_strerror(rc));
        return 5;
    }
    int status = 0;
    for (int i = 1; i <= count && status == 0; i++) {
        char reading[MAX_PAYLOAD];
        int n = snprintf(reading, sizeof reading, "reading-%d", i);
        size_t len = 0;
        st = payseal_seal(sealer, topic, (const uint8_t *)reading, (size_t)n, envelope, sizeof envelope, &len);
        if (st != PAYSEAL_STATUS_OK) {
            fprintf(stderr, "sensor: seal: %s\n", payseal_status_text(st));
            status = 1;
            break;
        }
        rc = mosquitto_publish(mosq, NULL, topic, (int)len, envelope, 1, false);
        if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_loop(mosq, 100, 1);
        if (rc != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "sensor: publish: %s\n", mosquitto_strerror(rc));
            status = 5;
        }
        printf("sent %s (%zu bytes sealed)\n", reading, len);
    }
    /* Let the QoS 1 handshakes finish before disconnecting. */
    for (int i = 0; i < 20 && status == 0; i++) mosquitto_loop(mosq, 50, 1);
    mosquitto_disconnect(mosq);
    mosquitto_loop(mosq, 100, 1);
    mosquitto_destroy(mosq);
    mosquitto_lib_cleanup();
    payseal_sealer_free(sealer);
    return status;
}
