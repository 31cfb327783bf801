/* Hand-written part of the transformers for memcached 1.2.4 -> 1.2.5 (the
 * test appends it to the generated file and calls remember_conn from the
 * generated transformer of struct conn): libevent holds each connection's
 * struct event, so the commit hook moves every moved connection's
 * registration to its new address, as memcached's update_event does. */
DSU_REREGISTERS(struct conn)

static struct conn *moved_conns[4096];
static int n_moved;
static int too_many;

static void remember_conn(struct conn *n) {
  if (n_moved < 4096)
    moved_conns[n_moved++] = n;
  else
    too_many = 1;
}

static void reregister_conns(void) {
  for (int i = 0; i < n_moved; i++) {
    struct conn *n = moved_conns[i];
    conn__old *o = dsu_original(n);
    int pending = event_pending(&o->event, EV_READ | EV_WRITE, NULL);
    struct event_base *base = event_get_base(&o->event);
    event_del(&o->event);
    event_set(&n->event, event_get_fd(&o->event), event_get_events(&o->event),
              event_get_callback(&o->event), n);
    event_base_set(base, &n->event);
    if (pending)
      event_add(&n->event, 0);
  }
  n_moved = 0;
}

static void forget_conns(void) { n_moved = 0; }

const struct dsu_hooks __dsu_hooks = {reregister_conns, forget_conns};
