/* A hostile payload: a shared object that needs a symbol no process has. */
extern void dsu_test_symbol_that_does_not_exist(void);
void *dsu_test_reference = (void *)dsu_test_symbol_that_does_not_exist;
