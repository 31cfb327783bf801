/* What a user adds to the generated transformers of the pinned patch (the
 * test appends it and names it in the template): the type transformer
 * remembers each connection it moves; the commit hook moves its
 * registration with the event library from the old object to the new one,
 * as a libevent program does with event_del and event_set + event_add. */
DSU_REREGISTERS(struct conn)

struct ev;
void ev_register(struct ev *e, int fd, void (*cb)(int, void *), void *arg);
void ev_unregister(struct ev *e);

static struct {
  struct conn *to;
  const struct conn__old *from;
} moved_conns[64];
static int nmoved;

static void remember(struct conn *to, const struct conn__old *from) {
  if (nmoved < 64) {
    moved_conns[nmoved].to = to;
    moved_conns[nmoved].from = from;
    nmoved++;
  }
}

static void commit_hook(void) {
  for (int i = 0; i < nmoved; i++) {
    const struct conn__old *o = moved_conns[i].from;
    struct conn *n = moved_conns[i].to;
    if (dsu_original(n) != (const void *)o)
      abort(); /* dsu_original must give the old address back */
    ev_unregister((struct ev *)&o->event);
    ev_register((struct ev *)&n->event, o->event.fd, o->event.cb, n);
  }
  nmoved = 0;
}

static void rollback_hook(void) { nmoved = 0; }

const struct dsu_hooks __dsu_hooks = {commit_hook, rollback_hook};
