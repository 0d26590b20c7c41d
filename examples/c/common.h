/* Shared by the sensor and the subscriber: reading a key file into memory. */
#ifndef PAYSEAL_EXAMPLE_COMMON_H
#define PAYSEAL_EXAMPLE_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Reads a whole (small) file; returns NULL on error. The caller frees it. */
static inline uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = malloc(65536);
    size_t n = buf ? fread(buf, 1, 65536, f) : 0;
    fclose(f);
    if (!buf || n == 0 || n == 65536) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

#endif
