//===- AnalysisTest.cpp - which functions may be active at an update point -===//
#include "dsu/Analysis/UpdateReach.h"
#include "dsu/Analysis/LibraryCalls.h"

#include "gtest/gtest.h"

using namespace dsu;

namespace {
FunctionInfo fn(const std::string &Sym, std::vector<std::string> Callees,
                bool AddressTaken = false, bool Indirect = false) {
  FunctionInfo F;
  F.Name = Sym;
  F.Symbol = Sym;
  F.Callees = std::move(Callees);
  F.AddressTaken = AddressTaken;
  F.IndirectCalls = Indirect;
  return F;
}

ProgramModel program(std::vector<FunctionInfo> Fns,
                     std::vector<std::string> UpdatePointsIn) {
  TUModel TU;
  TU.TU = "main.c";
  TU.Functions = std::move(Fns);
  for (const std::string &F : UpdatePointsIn)
    TU.UpdatePoints.push_back({F, "main.c", 1});
  ProgramModel P;
  P.TUs = {TU};
  return P;
}
} // namespace

TEST(AnalysisTest, CallersOfUpdatePointsAreActive) {
  ProgramModel P = program({fn("main", {"loop"}), fn("loop", {"handle"}),
                            fn("handle", {"helper", "printf"}),
                            fn("helper", {})},
                           {"loop"});
  auto Active = functionsActiveAtUpdatePoints(P);
  EXPECT_EQ(Active, (std::set<std::string>{"loop", "main"}));
  EXPECT_EQ(markDirectCalls(P), 2u);
  EXPECT_TRUE(P.TUs[0].Functions[2].DirectCalls);  // handle
  EXPECT_FALSE(P.TUs[0].Functions[0].DirectCalls); // main
}

TEST(AnalysisTest, CallbacksThatReachUpdatePointsSpread) {
  // cb contains an update point and its address is taken: any function that
  // calls through a pointer, or into a library that may call back, may be
  // active at an update point.
  ProgramModel P =
      program({fn("main", {"run"}), fn("run", {}, false, /*Indirect=*/true),
               fn("cb", {}, /*AddressTaken=*/true), fn("sorter", {"qsort"}),
               fn("pure", {"helper"}), fn("helper", {})},
              {"cb"});
  auto Active = functionsActiveAtUpdatePoints(P);
  EXPECT_TRUE(Active.count("cb"));
  EXPECT_TRUE(Active.count("run"));
  EXPECT_TRUE(Active.count("sorter"));
  EXPECT_TRUE(Active.count("main"));
  EXPECT_FALSE(Active.count("pure"));
  EXPECT_FALSE(Active.count("helper"));
}

TEST(AnalysisTest, CallbacksWithoutUpdatePointsDoNotSpread) {
  ProgramModel P =
      program({fn("main", {"loop"}), fn("loop", {"dispatch"}),
               fn("dispatch", {}, false, true), fn("cmd", {}, true),
               fn("sorter", {"qsort"})},
              {"loop"});
  auto Active = functionsActiveAtUpdatePoints(P);
  EXPECT_EQ(Active, (std::set<std::string>{"loop", "main"}));
}

TEST(AnalysisTest, CrossTUCallsByPlainName) {
  ProgramModel P = program({fn("main.dsu.1", {"serve"})}, {});
  TUModel B;
  B.TU = "b.c";
  FunctionInfo Serve = fn("serve.dsu.2", {});
  Serve.Name = "serve";
  B.Functions = {Serve};
  B.UpdatePoints.push_back({"serve.dsu.2", "b.c", 3});
  P.TUs.push_back(B);
  auto Active = functionsActiveAtUpdatePoints(P);
  EXPECT_TRUE(Active.count("main.dsu.1"));
  EXPECT_TRUE(Active.count("serve.dsu.2"));
}

TEST(AnalysisTest, OnlyLibrariesThatMayCallBackLeadToCallbacks) {
  // on_event holds an update point and is handed to an event loop: the
  // function that runs the loop may be active, one that only prints or
  // allocates may not.
  ProgramModel P = program({fn("main", {"event_base_dispatch"}),
                            fn("on_event", {}, /*AddressTaken=*/true),
                            fn("count", {"printf", "malloc", "memcpy"}),
                            fn("sorter", {"qsort"})},
                           {"on_event"});
  auto Active = functionsActiveAtUpdatePoints(P);
  EXPECT_EQ(Active,
            (std::set<std::string>{"main", "on_event", "sorter"}));
  EXPECT_TRUE(libraryMayCallBack("event_base_loop"));
  EXPECT_TRUE(libraryMayCallBack("qsort"));
  EXPECT_FALSE(libraryMayCallBack("printf"));
  EXPECT_FALSE(libraryMayCallBack("__dsu_update_point"));
}

TEST(LibraryCalls, EveryCLibraryFunctionWithoutACallbackIsALeaf) {
  // memcached's `stats malloc` calls mallinfo: a C library function that
  // no hand-kept list had, which made its command path "possibly active"
  // at the timer's update point. Every function the C library exports is
  // known; only those that take or keep a function pointer call back.
  for (const char *Leaf : {"mallinfo", "mallinfo2", "strtoull", "getrusage",
                           "sigaltstack", "getnameinfo", "writev", "sinf"})
    EXPECT_FALSE(libraryMayCallBack(Leaf)) << Leaf;
  for (const char *Calls :
       {"qsort", "qsort_r", "bsearch", "tsearch", "twalk", "nftw", "scandir",
        "glob", "pthread_once", "pthread_atfork", "pthread_key_create",
        "fopencookie", "makecontext", "dl_iterate_phdr", "timer_create",
        "event_base_loop", "some_library_function"})
    EXPECT_TRUE(libraryMayCallBack(Calls)) << Calls;
}
