/* commands.h - the command table and the line dispatcher. */
#ifndef KV_COMMANDS_H
#define KV_COMMANDS_H

#include <stddef.h>

struct conn;

struct command {
    const char *name;
    int min_args; /* arguments after the name */
    int max_args;
    void (*handler)(struct conn *c, int argc, char **argv);
};

/* The command named name (case-insensitive), or NULL. */
const struct command *command_lookup(const char *name);

/* Splits a line into words and runs its command; every command except an
 * empty line gets exactly one reply line. The line handler of connections. */
void command_dispatch(struct conn *c, char *line, size_t len);

#endif /* KV_COMMANDS_H */
