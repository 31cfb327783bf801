//===- TestCase.cpp - The test-case file format ---------------------------===//
//
// A test case is a line-oriented text file, stable so tests can compare it:
//
//   # dsu symex test case
//   error: assertion failed: x != 42        (only for error cases)
//   kind: assertion
//   where: prog.c:7
//   exit: 0                                 (only for completed paths)
//   object x 4 2a000000                     (name, size, bytes in hex)
//   stdin 8 474554202f20...                 (when --sym-stdin was used)
//   output "hello\n"                        (C-escaped output trace)
//
// Objects appear in the order the program created them; the replay runtime
// (libc-model/replay.c) reads only `object` and `stdin` lines.
//
//===----------------------------------------------------------------------===//

#include "dsu/Symex/Symex.h"

#include "llvm/ADT/StringExtras.h"

using namespace dsu::symex;
using namespace llvm;

static std::string hex(const std::vector<uint8_t> &B) {
  std::string R;
  for (uint8_t C : B) {
    R += hexdigit(C >> 4, true);
    R += hexdigit(C & 15, true);
  }
  return R;
}

static std::string escape(StringRef S) {
  std::string R = "\"";
  for (unsigned char C : S) {
    switch (C) {
    case '\n':
      R += "\\n";
      break;
    case '\t':
      R += "\\t";
      break;
    case '\r':
      R += "\\r";
      break;
    case '"':
      R += "\\\"";
      break;
    case '\\':
      R += "\\\\";
      break;
    default:
      if (C < 32 || C >= 127) {
        R += "\\x";
        R += hexdigit(C >> 4, true);
        R += hexdigit(C & 15, true);
      } else {
        R += (char)C;
      }
    }
  }
  return R + "\"";
}

static std::string unescape(StringRef S) {
  std::string R;
  if (S.size() >= 2 && S.front() == '"' && S.back() == '"')
    S = S.drop_front().drop_back();
  for (size_t I = 0; I < S.size(); ++I) {
    if (S[I] != '\\' || I + 1 == S.size()) {
      R += S[I];
      continue;
    }
    char C = S[++I];
    if (C == 'n')
      R += '\n';
    else if (C == 't')
      R += '\t';
    else if (C == 'r')
      R += '\r';
    else if (C == 'x' && I + 2 < S.size() + 0) {
      unsigned V = 0;
      S.substr(I + 1, 2).getAsInteger(16, V);
      R += (char)V;
      I += 2;
    } else {
      R += C;
    }
  }
  return R;
}

std::string dsu::symex::formatTestCase(const TestCase &C) {
  std::string R = "# dsu symex test case\n";
  if (!C.Error.empty()) {
    R += "error: " + C.Error + "\n";
    R += "kind: " + C.Kind + "\n";
    R += "where: " + C.Where + "\n";
  } else {
    R += "exit: " + std::to_string(C.ExitCode) + "\n";
  }
  for (const TestObject &O : C.Objects)
    R += "object " + O.Name + " " + std::to_string(O.Bytes.size()) + " " +
         hex(O.Bytes) + "\n";
  if (C.Stdin)
    R +=
        "stdin " + std::to_string(C.Stdin->size()) + " " + hex(*C.Stdin) + "\n";
  R += "output " + escape(C.Output) + "\n";
  return R;
}

static bool parseHex(StringRef H, size_t N, std::vector<uint8_t> &Out) {
  if (H.size() != 2 * N)
    return false;
  Out.clear();
  for (size_t I = 0; I < N; ++I) {
    unsigned V;
    if (H.substr(2 * I, 2).getAsInteger(16, V))
      return false;
    Out.push_back((uint8_t)V);
  }
  return true;
}

Expected<TestCase> dsu::symex::parseTestCase(StringRef Text) {
  TestCase C;
  unsigned LineNo = 0;
  for (StringRef Line : split(Text, '\n')) {
    ++LineNo;
    Line = Line.rtrim();
    auto Bad = [&]() {
      return createStringError(inconvertibleErrorCode(),
                               "%u: error: malformed test-case line", LineNo);
    };
    if (Line.empty() || Line.starts_with("#"))
      continue;
    auto [Key, Rest] = Line.split(' ');
    if (Key == "error:") {
      C.Error = Rest.str();
    } else if (Key == "kind:") {
      C.Kind = Rest.str();
    } else if (Key == "where:") {
      C.Where = Rest.str();
    } else if (Key == "exit:") {
      if (Rest.getAsInteger(10, C.ExitCode))
        return Bad();
    } else if (Key == "object") {
      SmallVector<StringRef, 3> F;
      Rest.split(F, ' ');
      size_t N;
      if (F.size() < 2 || F[1].getAsInteger(10, N))
        return Bad();
      TestObject O;
      O.Name = F[0].str();
      if (!parseHex(F.size() > 2 ? F[2] : "", N, O.Bytes))
        return Bad();
      C.Objects.push_back(O);
    } else if (Key == "stdin") {
      auto [NS, H] = Rest.split(' ');
      size_t N;
      std::vector<uint8_t> Bytes;
      if (NS.getAsInteger(10, N) || !parseHex(H, N, Bytes))
        return Bad();
      C.Stdin = Bytes;
    } else if (Key == "output") {
      C.Output = unescape(Rest);
    }
  }
  return C;
}

std::string dsu::symex::formatLocation(const Location &L) {
  if (L.File.empty())
    return L.Function.empty() ? "<unknown>" : L.Function;
  return L.File + ":" + std::to_string(L.Line);
}

StringRef dsu::symex::verdictName(Verdict V) {
  switch (V) {
  case Verdict::Holds:
    return "holds";
  case Verdict::Error:
    return "error";
  case Verdict::Unknown:
    return "unknown";
  }
  return "unknown";
}
