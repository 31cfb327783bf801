/* Does not compile: dsu-cc must show clang's diagnostic with file and line. */
int main(void) {
  int x = ;
  return x;
}
