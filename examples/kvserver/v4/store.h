/* store.h - the key-value store: a hash table with separate chaining.
 *
 * Keys and values are NUL-terminated heap strings; every entry is a heap
 * object of its own, linked into the chain of its bucket. A key with an
 * expiry time disappears once that time has passed (removed when a lookup
 * meets it, or by store_count).
 */
#ifndef KV_STORE_H
#define KV_STORE_H

#include <stddef.h>

struct entry {
    char *key;
    char *value;
    size_t vlen;        /* strlen(value) */
    unsigned long hash; /* hash of key, kept to rehash and to compare fast */
    long expires_at;    /* CLOCK_MONOTONIC milliseconds; 0: never expires */
    struct entry *next; /* next entry in the same bucket */
};

/* Creates an empty table with 2^k >= initial buckets. Returns 0 or -1. */
int store_init(size_t initial);

/* Frees every entry and the table. */
void store_free(void);

/* The entry for key, or NULL. */
struct entry *store_get(const char *key);

/* Sets key to value (vlen bytes), without expiry. Returns 0, or -1 when out
 * of memory. */
int store_set(const char *key, const char *value, size_t vlen);

/* Removes key. Returns 1 if it was there, 0 if not. */
int store_del(const char *key);

/* Appends value (vlen bytes) to the value of key; a missing key is set to
 * value. Returns 0, or -1 when out of memory. */
int store_append(const char *key, const char *value, size_t vlen);

/* Number of keys. */
size_t store_count(void);

/* Makes key expire in seconds (now, if seconds <= 0). Returns 1 if key
 * exists, 0 if not. */
int store_expire(const char *key, long seconds);

/* Milliseconds until key expires, -1 if it never does, or -2 if there is
 * no such key. */
long store_ttl(const char *key);

#endif /* KV_STORE_H */
