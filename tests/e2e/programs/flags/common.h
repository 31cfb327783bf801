/* Tentative definitions in a header, as old C programs have them (ngircd):
 * every unit that includes it defines them; -fcommon merges them. */
int requests;
struct { int port; } config;
