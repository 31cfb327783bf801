/* Hand-written part of the transformers for memcached 1.2.3 -> 1.2.4 and
 * 1.2.4 -> 1.2.5 (the test appends it to each generated file): libevent
 * holds each connection's struct event, so the commit hook moves the
 * registration of every connection the update moved to its new address, as
 * memcached's update_event does. The connection is `conn` in both versions
 * (an anonymous typedef until 1.2.5 names it struct conn). */
DSU_REREGISTERS(conn)

static void reregister(void *new_object, const void *old_object) {
  conn *n = new_object;
  conn__old *o = (conn__old *)old_object;
  int pending = event_pending(&o->event, EV_READ | EV_WRITE, NULL);
  struct event_base *base = event_get_base(&o->event);
  event_del(&o->event);
  event_set(&n->event, event_get_fd(&o->event), event_get_events(&o->event),
            event_get_callback(&o->event), n);
  event_base_set(base, &n->event);
  if (pending)
    event_add(&n->event, 0);
}

static void reregister_conns(void) { dsu_for_each_moved("conn", reregister); }

const struct dsu_hooks __dsu_hooks = {reregister_conns, 0};
