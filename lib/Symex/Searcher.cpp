//===- Searcher.cpp - Search strategies -----------------------------------===//
//
// The executor runs the selected state until it forks, terminates or uses
// up its quantum, then asks again. Under that regime:
//
// - dfs keeps a stack: the newest state runs next, so one path runs to its
//   end before its siblings (least memory, finds deep bugs first).
// - bfs keeps a queue and sends a state that forked to the back, so the
//   fork tree is explored level by level (shortest counterexamples first).
// - random-path walks the process tree (every fork is a binary node) from
//   the root, flipping a coin at each node, so a state's chance halves with
//   each fork above it: states in sparse subtrees, i.e. the ones that did
//   not fork their way into loops, are favoured.
// - coverage picks states at random, weighted by how recently they covered
//   a new line: weight 1 / (1 + k/1000)^2 after k instructions without new
//   coverage, the "covnew" heuristic of KLEE.
//
// All randomness comes from one seeded generator, so runs are repeatable.
//
//===----------------------------------------------------------------------===//

#include "Searcher.h"

#include <algorithm>
#include <deque>
#include <map>
#include <random>

using namespace dsu::symex;

Searcher::~Searcher() = default;

namespace {

class DFSSearcher : public Searcher {
public:
  ExecutionState *select() override { return States.back(); }
  void update(ExecutionState *, llvm::ArrayRef<ExecutionState *> Added,
              llvm::ArrayRef<ExecutionState *> Removed) override {
    States.insert(States.end(), Added.begin(), Added.end());
    for (ExecutionState *S : Removed) {
      auto It = std::find(States.rbegin(), States.rend(), S);
      if (It != States.rend())
        States.erase(std::next(It).base());
    }
  }
  bool empty() const override { return States.empty(); }
  size_t size() const override { return States.size(); }

private:
  std::vector<ExecutionState *> States;
};

class BFSSearcher : public Searcher {
public:
  ExecutionState *select() override { return States.front(); }
  void update(ExecutionState *Current, llvm::ArrayRef<ExecutionState *> Added,
              llvm::ArrayRef<ExecutionState *> Removed) override {
    bool CurrentRemoved =
        std::find(Removed.begin(), Removed.end(), Current) != Removed.end();
    if (!Added.empty() && Current && !CurrentRemoved) {
      auto It = std::find(States.begin(), States.end(), Current);
      if (It != States.end()) {
        States.erase(It);
        States.push_back(Current);
      }
    }
    States.insert(States.end(), Added.begin(), Added.end());
    for (ExecutionState *S : Removed) {
      auto It = std::find(States.begin(), States.end(), S);
      if (It != States.end())
        States.erase(It);
    }
  }
  bool empty() const override { return States.empty(); }
  size_t size() const override { return States.size(); }

private:
  std::deque<ExecutionState *> States;
};

class RandomPathSearcher : public Searcher {
public:
  explicit RandomPathSearcher(unsigned Seed) : Rng(Seed) {}
  ~RandomPathSearcher() override { destroy(Root); }

  ExecutionState *select() override {
    Node *N = Root;
    while (!N->S) {
      if (N->Kids[0] && N->Kids[1])
        N = N->Kids[Rng() & 1];
      else
        N = N->Kids[0] ? N->Kids[0] : N->Kids[1];
    }
    return N->S;
  }

  void update(ExecutionState *, llvm::ArrayRef<ExecutionState *> Added,
              llvm::ArrayRef<ExecutionState *> Removed) override {
    for (ExecutionState *S : Added) {
      if (!Root) {
        Root = new Node{nullptr, {nullptr, nullptr}, S};
        Leaf[S] = Root;
        continue;
      }
      Node *P = Leaf.at(S->ForkedFrom);
      P->Kids[0] = new Node{P, {nullptr, nullptr}, P->S};
      P->Kids[1] = new Node{P, {nullptr, nullptr}, S};
      P->S = nullptr;
      Leaf[P->Kids[0]->S] = P->Kids[0];
      Leaf[S] = P->Kids[1];
    }
    for (ExecutionState *S : Removed) {
      auto It = Leaf.find(S);
      if (It == Leaf.end())
        continue;
      Node *N = It->second;
      Leaf.erase(It);
      N->S = nullptr;
      while (N && !N->S && !N->Kids[0] && !N->Kids[1]) {
        Node *P = N->Parent;
        if (P)
          P->Kids[P->Kids[0] == N ? 0 : 1] = nullptr;
        else
          Root = nullptr;
        delete N;
        N = P;
      }
    }
  }
  bool empty() const override { return Leaf.empty(); }
  size_t size() const override { return Leaf.size(); }
  unsigned quantum() const override { return 1000; }

private:
  struct Node {
    Node *Parent;
    Node *Kids[2];
    ExecutionState *S;
  };
  void destroy(Node *N) {
    if (!N)
      return;
    destroy(N->Kids[0]);
    destroy(N->Kids[1]);
    delete N;
  }
  Node *Root = nullptr;
  std::map<ExecutionState *, Node *> Leaf;
  std::mt19937 Rng;
};

class CoverageSearcher : public Searcher {
public:
  explicit CoverageSearcher(unsigned Seed) : Rng(Seed) {}
  ExecutionState *select() override {
    double Total = 0;
    std::vector<double> W;
    W.reserve(States.size());
    for (ExecutionState *S : States) {
      double K = 1.0 + double(S->SinceCovNew) / 1000.0;
      W.push_back(1.0 / (K * K));
      Total += W.back();
    }
    double R = std::uniform_real_distribution<double>(0, Total)(Rng);
    for (size_t I = 0; I < States.size(); ++I) {
      if (R < W[I])
        return States[I];
      R -= W[I];
    }
    return States.back();
  }
  void update(ExecutionState *, llvm::ArrayRef<ExecutionState *> Added,
              llvm::ArrayRef<ExecutionState *> Removed) override {
    States.insert(States.end(), Added.begin(), Added.end());
    for (ExecutionState *S : Removed) {
      auto It = std::find(States.begin(), States.end(), S);
      if (It != States.end())
        States.erase(It);
    }
  }
  bool empty() const override { return States.empty(); }
  size_t size() const override { return States.size(); }
  unsigned quantum() const override { return 1000; }

private:
  std::vector<ExecutionState *> States;
  std::mt19937 Rng;
};

} // namespace

std::unique_ptr<Searcher> dsu::symex::createSearcher(SearchKind K,
                                                     unsigned Seed) {
  switch (K) {
  case SearchKind::DFS:
    return std::make_unique<DFSSearcher>();
  case SearchKind::BFS:
    return std::make_unique<BFSSearcher>();
  case SearchKind::RandomPath:
    return std::make_unique<RandomPathSearcher>(Seed);
  case SearchKind::Coverage:
    return std::make_unique<CoverageSearcher>(Seed);
  }
  return nullptr;
}
