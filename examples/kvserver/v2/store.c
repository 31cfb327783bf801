/* store.c - hash table with separate chaining.
 *
 * The table is an array of 2^k bucket heads; an entry lives in bucket
 * hash & (nbuckets - 1), and each bucket is a singly linked chain. The hash
 * (64-bit FNV-1a) is stored in the entry, so a lookup compares full hashes
 * before it compares keys, and growing the table (doubling it when there are
 * more than two keys per bucket on average) needs no rehashing of strings.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, SOCK_NONBLOCK, getaddrinfo, strcasecmp */
#endif
#include "store.h"

#include <stdlib.h>
#include <string.h>

static struct entry **buckets;
static size_t nbuckets;
static size_t nkeys;

static unsigned long hash_key(const char *key)
{
    unsigned long h = 14695981039346656037UL;

    while (*key) {
        h ^= (unsigned char)*key++;
        h *= 1099511628211UL;
    }
    return h;
}

static char *copy_string(const char *s, size_t len)
{
    char *p = malloc(len + 1);

    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

static struct entry *find_entry(const char *key, unsigned long h)
{
    struct entry *e;

    for (e = buckets[h & (nbuckets - 1)]; e; e = e->next)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static void free_entry(struct entry *e)
{
    free(e->key);
    free(e->value);
    free(e);
}

/* Doubles the table. On allocation failure the table just stays as it is. */
static void grow(void)
{
    size_t n = nbuckets * 2, i;
    struct entry **nb = calloc(n, sizeof *nb);

    if (!nb)
        return;
    for (i = 0; i < nbuckets; i++) {
        struct entry *e = buckets[i], *next;

        for (; e; e = next) {
            next = e->next;
            e->next = nb[e->hash & (n - 1)];
            nb[e->hash & (n - 1)] = e;
        }
    }
    free(buckets);
    buckets = nb;
    nbuckets = n;
}

int store_init(size_t initial)
{
    size_t n = 16;

    while (n < initial)
        n *= 2;
    buckets = calloc(n, sizeof *buckets);
    if (!buckets)
        return -1;
    nbuckets = n;
    nkeys = 0;
    return 0;
}

void store_free(void)
{
    size_t i;

    for (i = 0; i < nbuckets; i++) {
        struct entry *e = buckets[i], *next;

        for (; e; e = next) {
            next = e->next;
            free_entry(e);
        }
    }
    free(buckets);
    buckets = NULL;
    nbuckets = 0;
    nkeys = 0;
}

struct entry *store_get(const char *key)
{
    return find_entry(key, hash_key(key));
}

int store_set(const char *key, const char *value, size_t vlen)
{
    unsigned long h = hash_key(key);
    struct entry *e = find_entry(key, h);
    char *v = copy_string(value, vlen);

    if (!v)
        return -1;
    if (!e) {
        e = malloc(sizeof *e);
        if (!e) {
            free(v);
            return -1;
        }
        e->key = copy_string(key, strlen(key));
        if (!e->key) {
            free(v);
            free(e);
            return -1;
        }
        e->hash = h;
        e->next = buckets[h & (nbuckets - 1)];
        buckets[h & (nbuckets - 1)] = e;
        nkeys++;
    } else {
        free(e->value);
    }
    e->value = v;
    e->vlen = vlen;
    if (nkeys > 2 * nbuckets)
        grow();
    return 0;
}

int store_del(const char *key)
{
    unsigned long h = hash_key(key);
    struct entry **pp = &buckets[h & (nbuckets - 1)];

    for (; *pp; pp = &(*pp)->next) {
        struct entry *e = *pp;

        if (e->hash == h && strcmp(e->key, key) == 0) {
            *pp = e->next;
            free_entry(e);
            nkeys--;
            return 1;
        }
    }
    return 0;
}

size_t store_count(void)
{
    return nkeys;
}

int store_append(const char *key, const char *value, size_t vlen)
{
    struct entry *e = find_entry(key, hash_key(key));
    char *v;

    if (!e)
        return store_set(key, value, vlen);
    v = realloc(e->value, e->vlen + vlen + 1);
    if (!v)
        return -1;
    memcpy(v + e->vlen, value, vlen);
    v[e->vlen + vlen] = '\0';
    e->value = v;
    e->vlen += vlen;
    return 0;
}
