/*
 * Debian 12's simple-whip-client links libsoup 2.4, while libnice pulls in libsoup 3 through
 * libgupnp-igd (UPnP port mapping); GLib aborts a process that loads both. This library stands
 * in for libgupnp-igd-1.0 (UPnP off: libnice checks for a NULL agent) so the real client runs.
 */
#include <stddef.h>
typedef unsigned long GType;
void *gupnp_simple_igd_thread_new(void) { return NULL; }
GType gupnp_simple_igd_get_type(void) { return 0; }
void gupnp_simple_igd_add_port(void *a, const char *b, unsigned c, const char *d, unsigned e,
                               unsigned f, const char *g) {}
void gupnp_simple_igd_remove_port_local(void *a, const char *b, const char *c, unsigned d) {}
