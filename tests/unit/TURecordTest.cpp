//===- TURecordTest.cpp - dsuModel: TU records in object files ------------===//
#include "TestUtil.h"
#include "dsu/Model/TURecord.h"

#include "llvm/Support/Endian.h"
#include "gtest/gtest.h"

using namespace dsu;
using namespace dsu::test;

namespace {
TUModel modelNamed(const std::string &TU) {
  TUModel M;
  M.Source = "src/" + TU;
  M.TU = TU;
  M.TUTag = "12345678";
  FunctionInfo F;
  F.Name = "f";
  F.Symbol = "f.dsu.abcdef0123";
  F.BodyHash = "0011223344556677";
  F.Callees = {"g.dsu.1"};
  M.Functions.push_back(F);
  return M;
}
// Bitcode is binary: NULs, high bytes, the record magic itself.
const std::string Binary("BC\xc0\xde\0\0\xff" "DSUTU001\0x", 17);

/// Rec (one record) changed by Edit, with its checksum made right again:
/// FNV-1a 64 of the first 40 bytes, continued over the payload.
template <typename F> std::string withChecksum(std::string Rec, F Edit) {
  Edit(Rec);
  uint64_t H = 0xcbf29ce484222325ULL;
  auto More = [&](size_t From, size_t To) {
    for (size_t I = From; I < To; ++I) {
      H ^= (unsigned char)Rec[I];
      H *= 0x100000001b3ULL;
    }
  };
  More(0, 40);
  More(48, Rec.size());
  llvm::support::endian::write64le(Rec.data() + 40, H);
  return Rec;
}
} // namespace

TEST(TURecordTest, RecordLayout) {
  TUModel M = modelNamed("a.c");
  std::string Rec = encodeTURecord(M, Binary);
  std::string Json = M.toJSON();
  // magic, the method, the two unpacked lengths, the payload's length, the
  // checksum, then the payload: JSON and bitcode in one zstd frame.
  ASSERT_GE(Rec.size(), 48u);
  EXPECT_EQ(Rec.substr(0, 8), "DSUTU003");
  EXPECT_EQ(llvm::support::endian::read64le(Rec.data() + 8), 1u); // zstd
  EXPECT_EQ(llvm::support::endian::read64le(Rec.data() + 16), Json.size());
  EXPECT_EQ(llvm::support::endian::read64le(Rec.data() + 24), Binary.size());
  EXPECT_EQ(llvm::support::endian::read64le(Rec.data() + 32), Rec.size() - 48);
  // A zstd frame starts with its magic number 0xFD2FB528.
  EXPECT_EQ(llvm::support::endian::read32le(Rec.data() + 48), 0xFD2FB528u);
}

TEST(TURecordTest, CompressionRoundTrip) {
  // A model and a module of realistic redundancy: the record is a fraction
  // of their size and decodes to the same bytes.
  TUModel M = modelNamed("big.c");
  for (int I = 0; I < 500; ++I) {
    FunctionInfo F = M.Functions[0];
    F.Name = "function_number_" + std::to_string(I);
    F.Symbol = F.Name + ".dsu.abcdef0123";
    M.Functions.push_back(F);
  }
  std::string Bitcode("BC\xc0\xde", 4);
  for (int I = 0; I < 20000; ++I)
    Bitcode += char(I % 7) + std::string(3, char(I % 251));
  std::string Json = M.toJSON();
  std::string Rec = encodeTURecord(M, Bitcode);
  EXPECT_LT(Rec.size(), (Json.size() + Bitcode.size()) / 4)
      << Rec.size() << " bytes for " << Json.size() + Bitcode.size();
  auto Recs = decodeTURecords(Rec + std::string(7, '\0') + Rec);
  ASSERT_TRUE(bool(Recs)) << errorText(Recs);
  ASSERT_EQ(Recs->size(), 2u);
  for (const TURecord &R : *Recs) {
    EXPECT_EQ(R.Model, M);
    EXPECT_EQ(R.Bitcode, Bitcode);
  }
}

TEST(TURecordTest, RoundTrip) {
  TUModel M = modelNamed("a.c");
  auto Recs = decodeTURecords(encodeTURecord(M, Binary));
  ASSERT_TRUE(bool(Recs)) << errorText(Recs);
  ASSERT_EQ(Recs->size(), 1u);
  EXPECT_EQ((*Recs)[0].Model, M);
  EXPECT_EQ((*Recs)[0].Bitcode, Binary);
}

TEST(TURecordTest, EmptySectionHasNoRecords) {
  auto Recs = decodeTURecords("");
  ASSERT_TRUE(bool(Recs)) << errorText(Recs);
  EXPECT_TRUE(Recs->empty());
  auto Pad = decodeTURecords(std::string(16, '\0'));
  ASSERT_TRUE(bool(Pad)) << errorText(Pad);
  EXPECT_TRUE(Pad->empty());
}

TEST(TURecordTest, ConcatenationWithAlignmentPadding) {
  TUModel A = modelNamed("a.c"), B = modelNamed("b.c"), C = modelNamed("c.c");
  // What the linker makes of three .dsu.tu sections: records, zero padding
  // between them (up to an alignment), and an empty-bitcode record.
  std::string Bytes = encodeTURecord(A, Binary) + std::string(5, '\0') +
                      encodeTURecord(B, "") + std::string(8, '\0') +
                      encodeTURecord(C, "xyz") + std::string(3, '\0');
  auto Recs = decodeTURecords(Bytes);
  ASSERT_TRUE(bool(Recs)) << errorText(Recs);
  ASSERT_EQ(Recs->size(), 3u);
  EXPECT_EQ((*Recs)[0].Model, A);
  EXPECT_EQ((*Recs)[0].Bitcode, Binary);
  EXPECT_EQ((*Recs)[1].Model, B);
  EXPECT_EQ((*Recs)[1].Bitcode, "");
  EXPECT_EQ((*Recs)[2].Model, C);
  EXPECT_EQ((*Recs)[2].Bitcode, "xyz");
}

TEST(TURecordTest, TruncatedRecordIsAnError) {
  std::string Rec = encodeTURecord(modelNamed("a.c"), Binary);
  // Every proper prefix longer than the header is truncated.
  for (size_t Len : {size_t(48), size_t(49), Rec.size() / 2, Rec.size() - 1}) {
    auto Recs = decodeTURecords(llvm::StringRef(Rec).substr(0, Len));
    ASSERT_FALSE(bool(Recs)) << "prefix " << Len << " accepted";
    EXPECT_EQ(errorText(Recs), "truncated .dsu.tu record") << Len;
  }
  // A header cut short.
  auto Short = decodeTURecords(llvm::StringRef(Rec).substr(0, 20));
  ASSERT_FALSE(bool(Short));
  EXPECT_EQ(errorText(Short), "corrupt .dsu.tu section at offset 0");
}

TEST(TURecordTest, CorruptInputIsAnError) {
  std::string A = encodeTURecord(modelNamed("a.c"), Binary);
  std::string Two = A + std::string(3, '\0') + A;
  std::string BadMagic = Two;
  BadMagic[A.size() + 3 + 4] = 'X';
  auto R1 = decodeTURecords(BadMagic);
  ASSERT_FALSE(bool(R1));
  EXPECT_EQ(errorText(R1), "corrupt .dsu.tu section at offset " +
                               std::to_string(A.size() + 3));

  // Huge lengths must not overflow the bounds checks.
  std::string Huge = A;
  llvm::support::endian::write64le(Huge.data() + 32, ~uint64_t(0));
  auto R2 = decodeTURecords(Huge);
  ASSERT_FALSE(bool(R2));
  EXPECT_EQ(errorText(R2), "truncated .dsu.tu record");
  std::string Huge2 = withChecksum(A, [](std::string &R) {
    llvm::support::endian::write64le(R.data() + 16, ~uint64_t(0) - 5);
  });
  auto R3 = decodeTURecords(Huge2);
  ASSERT_FALSE(bool(R3));
  EXPECT_NE(errorText(R3).find("unpacks to more than"), std::string::npos)
      << errorText(R3);

  // A damaged model inside a well-framed record: the checksum finds it
  // before the JSON parser sees it.
  std::string BadJson = A;
  BadJson[60] ^= 0x20;
  auto R4 = decodeTURecords(BadJson);
  ASSERT_FALSE(bool(R4));
  EXPECT_EQ(errorText(R4).rfind("corrupt .dsu.tu section at offset 0: "
                                "checksum mismatch",
                                0),
            0u)
      << errorText(R4);

  // Garbage that is not a record at all.
  auto R5 = decodeTURecords("\x7f" "ELF and some more bytes than 24 here");
  ASSERT_FALSE(bool(R5));
  EXPECT_EQ(errorText(R5), "corrupt .dsu.tu section at offset 0");
}

TEST(TURecordTest, EveryFlippedByteIsRefused) {
  std::string A = encodeTURecord(modelNamed("a.c"), Binary);
  for (size_t I = 0; I < A.size(); ++I)
    for (unsigned Bit : {0u, 7u}) {
      std::string Bad = A;
      Bad[I] ^= char(1u << Bit);
      auto R = decodeTURecords(Bad);
      EXPECT_FALSE(bool(R)) << "byte " << I << " bit " << Bit << " accepted";
      if (!R)
        consumeError(R.takeError());
    }
}

TEST(TURecordTest, RecordsOfOtherFormatsAreRefused) {
  // DSUTU002: checksummed, not compressed (the format before this one).
  std::string V2("DSUTU002", 8);
  V2 += std::string(24, '\0') + "{}";
  auto R2 = decodeTURecords(V2);
  ASSERT_FALSE(bool(R2));
  EXPECT_NE(errorText(R2).find("a record of an older dsu-cc (format 2); "
                               "rebuild the program"),
            std::string::npos)
      << errorText(R2);
  std::string V9("DSUTU009", 8);
  V9 += std::string(48, '\0');
  auto R9 = decodeTURecords(V9);
  ASSERT_FALSE(bool(R9));
  EXPECT_NE(errorText(R9).find("a record of a newer dsu-cc (format 9)"),
            std::string::npos)
      << errorText(R9);
}

TEST(TURecordTest, CorruptCompressedPayloadIsRefused) {
  // A payload damaged and its checksum made right again (a deliberate
  // edit): the decompressor refuses it, nothing reaches the parsers.
  std::string A = encodeTURecord(modelNamed("a.c"), Binary);
  for (size_t I = 48; I < A.size(); ++I) {
    std::string Bad = withChecksum(A, [&](std::string &R) { R[I] ^= 0x55; });
    auto R = decodeTURecords(Bad);
    if (R) {
      // zstd frames may carry no checksum of their own; a changed byte
      // that still unpacks must at least give a valid record of the
      // declared sizes.
      ASSERT_EQ(R->size(), 1u);
      continue;
    }
    std::string Text = errorText(R);
    EXPECT_TRUE(Text.find("corrupt .dsu.tu section at offset 0") == 0 ||
                Text.find("invalid program model") != std::string::npos ||
                Text.find("JSON") != std::string::npos ||
                Text.find("json") != std::string::npos)
        << Text;
  }
  // The declared unpacked size is not what the frame holds.
  std::string Short = withChecksum(A, [](std::string &R) {
    llvm::support::endian::write64le(
        R.data() + 24, llvm::support::endian::read64le(R.data() + 24) - 1);
  });
  auto RS = decodeTURecords(Short);
  ASSERT_FALSE(bool(RS));
  EXPECT_NE(errorText(RS).find("does not unpack to its declared size"),
            std::string::npos)
      << errorText(RS);
  // An unknown method.
  std::string Method = withChecksum(A, [](std::string &R) {
    llvm::support::endian::write64le(R.data() + 8, 7);
  });
  auto RM = decodeTURecords(Method);
  ASSERT_FALSE(bool(RM));
  EXPECT_NE(errorText(RM).find("unknown compression method 7"),
            std::string::npos)
      << errorText(RM);
}

TEST(TURecordTest, OldRecordsWithoutChecksumAreRefused) {
  std::string Old("DSUTU001", 8);
  Old += std::string(16, '\0') + "{}";
  auto R = decodeTURecords(Old);
  ASSERT_FALSE(bool(R));
  EXPECT_NE(errorText(R).find("rebuild the program"), std::string::npos)
      << errorText(R);
}

TEST(TURecordTest, ReadTURecordsRejectsNonObjects) {
  TempDir D = makeTempDir();
  std::string Path = writeSource(D, "notes.txt", "just some text\n");
  auto R = readTURecords(Path);
  ASSERT_FALSE(bool(R));
  EXPECT_NE(errorText(R).find(Path + ": not an object file or executable"),
            std::string::npos)
      << errorText(R);
  auto Missing = readTURecords(D.file("missing.o"));
  ASSERT_FALSE(bool(Missing));
  EXPECT_NE(errorText(Missing).find("missing.o"), std::string::npos);
}
