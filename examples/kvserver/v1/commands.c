/* commands.c - the protocol: one command per line, one reply line each.
 *
 * A line is split into words at spaces and tabs; the first word names the
 * command (any case) and is looked up in a table that gives its arity and
 * its handler. Values are single words.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, SOCK_NONBLOCK, getaddrinfo, strcasecmp */
#endif
#include "commands.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <dsu.h>

#include "server.h"
#include "stats.h"
#include "store.h"

#define KV_MAX_ARGS 8

static const char kv_version[] = "v1";

static void cmd_set(struct conn *c, int argc, char **argv);
static void cmd_get(struct conn *c, int argc, char **argv);
static void cmd_del(struct conn *c, int argc, char **argv);
static void cmd_count(struct conn *c, int argc, char **argv);
static void cmd_ping(struct conn *c, int argc, char **argv);
static void cmd_stats(struct conn *c, int argc, char **argv);
static void cmd_version(struct conn *c, int argc, char **argv);
static void cmd_quit(struct conn *c, int argc, char **argv);

static const struct command commands[] = {
    { "SET", 2, 2, cmd_set },
    { "GET", 1, 1, cmd_get },
    { "DEL", 1, 1, cmd_del },
    { "COUNT", 0, 0, cmd_count },
    { "PING", 0, 0, cmd_ping },
    { "STATS", 0, 0, cmd_stats },
    { "VERSION", 0, 0, cmd_version },
    { "QUIT", 0, 0, cmd_quit },
};

/* Splits line in place. Returns the number of words, which may exceed max
 * (only the first max are stored). */
static int split_words(char *line, char **argv, int max)
{
    int argc = 0;
    char *p = line;

    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (argc < max)
            argv[argc] = p;
        argc++;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (*p)
            *p++ = '\0';
    }
    return argc;
}

const struct command *command_lookup(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcasecmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

void command_dispatch(struct conn *c, char *line, size_t len)
{
    char *argv[KV_MAX_ARGS];
    const struct command *cmd;
    int argc;

    (void)len;
    argc = split_words(line, argv, KV_MAX_ARGS);
    if (argc == 0)
        return;
    stats.commands++;
    cmd = command_lookup(argv[0]);
    if (!cmd) {
        conn_printf(c, "ERROR unknown command '%s'", argv[0]);
        return;
    }
    if (argc - 1 < cmd->min_args || argc - 1 > cmd->max_args) {
        conn_printf(c, "ERROR wrong number of arguments for '%s'", cmd->name);
        return;
    }
    cmd->handler(c, argc, argv);
}

static void cmd_set(struct conn *c, int argc, char **argv)
{
    (void)argc;
    if (store_set(argv[1], argv[2], strlen(argv[2])) < 0) {
        conn_reply(c, "ERROR out of memory");
        return;
    }
    stats.sets++;
    conn_reply(c, "OK");
}

static void cmd_get(struct conn *c, int argc, char **argv)
{
    struct entry *e = store_get(argv[1]);

    (void)argc;
    if (!e) {
        stats.get_misses++;
        conn_reply(c, "NOT_FOUND");
        return;
    }
    stats.get_hits++;
    conn_printf(c, "VALUE %s", e->value);
}

static void cmd_del(struct conn *c, int argc, char **argv)
{
    (void)argc;
    if (store_del(argv[1])) {
        stats.dels++;
        conn_reply(c, "DELETED");
    } else {
        conn_reply(c, "NOT_FOUND");
    }
}

static void cmd_count(struct conn *c, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    conn_printf(c, "%zu", store_count());
}

static void cmd_ping(struct conn *c, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    conn_reply(c, "PONG");
}

static void cmd_stats(struct conn *c, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    conn_printf(c,
                "STATS connections=%lu active=%u commands=%u hits=%lu "
                "misses=%lu sets=%lu dels=%lu",
                stats.connections_total, stats.connections_active,
                stats.commands, stats.get_hits, stats.get_misses, stats.sets,
                stats.dels);
}

static void cmd_version(struct conn *c, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    conn_printf(c, "VERSION %s updates=%d", kv_version, dsu_update_count());
}

static void cmd_quit(struct conn *c, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    conn_reply(c, "BYE");
    conn_close_after_reply(c);
}
