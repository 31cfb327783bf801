/* What a user adds to the generated transformers of the pinned patch (the
 * test appends it): the commit hook moves the registration of every
 * connection the update moved from the old object to the new one, as a
 * libevent program does with event_del and event_set + event_add. */
DSU_REREGISTERS(struct conn)

struct ev;
void ev_register(struct ev *e, int fd, void (*cb)(int, void *), void *arg);
void ev_unregister(struct ev *e);

static void move_registration(void *new_object, const void *old_object) {
  struct conn *n = new_object;
  const struct conn__old *o = old_object;
  if (dsu_original(n) != old_object)
    abort(); /* dsu_original must give the old address back */
  ev_unregister((struct ev *)&o->event);
  ev_register((struct ev *)&n->event, o->event.fd, o->event.cb, n);
}

static void commit_hook(void) {
  if (dsu_for_each_moved("struct conn", move_registration) != 3)
    abort(); /* the test moves three connections */
}

const struct dsu_hooks __dsu_hooks = {commit_hook, 0};
