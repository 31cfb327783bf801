//===- RegressionTest.cpp - library bugs found by the unit tests -----------===//
//
// Reproducers of bugs the unit tests found; each failed before its fix.
//
//===----------------------------------------------------------------------===//
#include "DriverUtil.h"
#include "TestUtil.h"
#include "dsu/Driver/CompilerDriver.h"
#include "dsu/Model/Model.h"
#include "dsu/Model/TURecord.h"

#include "gtest/gtest.h"

using namespace dsu;
using namespace dsu::test;

// lib/Model/Model.cpp, ProgramModel::validate(): unmanaged functions
// (available_externally, weak, linkonce: Managed=false, Symbol=Name) take
// part in the duplicate-symbol check, but such definitions legitimately
// appear in several translation units. At -O2 glibc's <stdlib.h> gives every
// TU that calls atoi an available_externally definition of atoi, so two TUs
// calling atoi cannot be linked by dsu-cc.
TEST(Regression, ValidateRejectsUnmanagedDefinitionsInTwoTUs) {
  ProgramModel P;
  for (const char *Name : {"a.c", "b.c"}) {
    TUModel TU;
    TU.TU = TU.Source = Name;
    FunctionInfo F;
    F.Name = F.Symbol = "atoi";
    F.Managed = false;
    TU.Functions.push_back(F);
    P.TUs.push_back(TU);
  }
  EXPECT_EQ(errorText(P.validate()), "");
}

TEST(Regression, TwoTUsCallingAtoiAtO2Link) {
  TempDir D = makeTempDir();
  std::string A = writeSource(D, "a.c", "#include <stdlib.h>\n"
                                        "int parse_a(const char *s) { return atoi(s); }\n");
  std::string B = writeSource(D, "b.c",
                              "#include <stdlib.h>\n"
                              "int parse_a(const char *s);\n"
                              "int main(int c, char **v) { return atoi(v[0]) + parse_a(v[0]); }\n");
  std::string Err;
  EXPECT_EQ(runDriver({"-O2", A, B, "-o", D.file("prog")}, &Err), 0) << Err;
}

// Same root cause with a C99 inline function from a shared header, and with
// weak definitions (the linker picks one; the model must not refuse).
TEST(Regression, InlineHeaderFunctionInTwoTUsDoesNotLink) {
  TempDir D = makeTempDir();
  writeSource(D, "sq.h", "inline int sq(int x) { return x * x; }\n");
  // c.c holds the external definition (C99 6.7.4); a.c and b.c only see
  // the inline one, which clang emits available_externally at -O2.
  std::string C = writeSource(D, "c.c", "#include \"sq.h\"\n"
                                        "extern int sq(int);\n");
  std::string A = writeSource(D, "a.c", "#include \"sq.h\"\n"
                                        "int f(int y) { return sq(y); }\n");
  std::string B = writeSource(D, "b.c", "#include \"sq.h\"\n"
                                        "int f(int);\n"
                                        "int main(void) { return sq(2) + f(1) - 5; }\n");
  std::string Err;
  EXPECT_EQ(runDriver({"-O2", A, B, C, "-o", D.file("prog")}, &Err), 0) << Err;
}

TEST(Regression, WeakFunctionInTwoTUsDoesNotLink) {
  TempDir D = makeTempDir();
  std::string A = writeSource(D, "a.c", "__attribute__((weak)) int hook(void) { return 1; }\n"
                                        "int f(void) { return hook(); }\n");
  std::string B = writeSource(D, "b.c", "__attribute__((weak)) int hook(void) { return 1; }\n"
                                        "int f(void);\n"
                                        "int main(void) { return hook() + f() - 2; }\n");
  std::string Err;
  EXPECT_EQ(runDriver({A, B, "-o", D.file("prog")}, &Err), 0) << Err;
}
