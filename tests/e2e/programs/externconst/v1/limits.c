/* A constant defined in one file and read through an extern declaration in
 * another (main.c); v2 raises it. The functions that read it in main.c do
 * not change, but they must read the new value after the update. */
const int max_items = 3;
