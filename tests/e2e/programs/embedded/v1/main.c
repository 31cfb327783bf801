/* Connections chained through a list link embedded in them (the way servers
 * use intrusive lists), a global pointer to the link of the current one and
 * a char * into its name: pointers into the middle of objects that v2 moves
 * (it adds a field before the link). Every one must follow its object. With
 * "t", the connections are also kept in a table of void *, which dsu cannot
 * type: the update must then be refused, naming the table. Commands on
 * stdin: "c NAME" opens a connection, "t" fills the table, "p" prints. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dsu.h>

struct link {
  struct link *next;
};

struct conn {
  int fd;
  struct link link;
  char name[16];
};

static struct link *conns;   /* -> conn.link */
static struct link *current; /* -> conn.link */
static char *current_name;   /* -> conn.name */
static void **table;
static int nconns;

#define CONN_OF(l) ((struct conn *)((char *)(l) - offsetof(struct conn, link)))

static void open_conn(const char *name) {
  struct conn *c = malloc(sizeof(struct conn));
  c->fd = 3 + nconns++;
  snprintf(c->name, sizeof c->name, "%s", name);
  c->link.next = conns;
  conns = &c->link;
  current = &c->link;
  current_name = c->name;
}

static void fill_table(void) {
  table = malloc(8 * sizeof(void *));
  int i = 0;
  for (struct link *l = conns; l && i < 8; l = l->next)
    table[i++] = CONN_OF(l);
}

static void print(void) {
  for (struct link *l = conns; l; l = l->next)
    printf("%s/%d ", CONN_OF(l)->name, CONN_OF(l)->fd);
  printf("| current %s/%d %s\n", CONN_OF(current)->name, CONN_OF(current)->fd,
         current_name);
}

int main(void) {
  char line[64], name[16];
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    DSU_UPDATE_POINT();
    if (!fgets(line, sizeof line, stdin))
      break;
    if (sscanf(line, "c %15s", name) == 1)
      open_conn(name);
    else if (line[0] == 't')
      fill_table();
    else if (line[0] == 'p')
      print();
  }
  return 0;
}
