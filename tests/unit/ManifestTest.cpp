//===- ManifestTest.cpp - dsuModel: TU records in object files ------------===//
#include "TestUtil.h"
#include "dsu/Model/Manifest.h"

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
} // namespace

TEST(ManifestTest, RecordLayout) {
  TUModel M = modelNamed("a.c");
  std::string Rec = encodeTURecord(M, Binary);
  std::string Json = M.toJSON();
  // magic, two lengths, the checksum, then the JSON and the bitcode.
  ASSERT_EQ(Rec.size(), 32 + Json.size() + Binary.size());
  EXPECT_EQ(Rec.substr(0, 8), "DSUTU002");
  EXPECT_EQ(llvm::support::endian::read64le(Rec.data() + 8), Json.size());
  EXPECT_EQ(llvm::support::endian::read64le(Rec.data() + 16), Binary.size());
  EXPECT_EQ(Rec.substr(32, Json.size()), Json);
  EXPECT_EQ(Rec.substr(32 + Json.size()), Binary);
}

TEST(ManifestTest, RoundTrip) {
  TUModel M = modelNamed("a.c");
  auto Recs = decodeTURecords(encodeTURecord(M, Binary));
  ASSERT_TRUE(bool(Recs)) << errorText(Recs);
  ASSERT_EQ(Recs->size(), 1u);
  EXPECT_EQ((*Recs)[0].Model, M);
  EXPECT_EQ((*Recs)[0].Bitcode, Binary);
}

TEST(ManifestTest, EmptySectionHasNoRecords) {
  auto Recs = decodeTURecords("");
  ASSERT_TRUE(bool(Recs)) << errorText(Recs);
  EXPECT_TRUE(Recs->empty());
  auto Pad = decodeTURecords(std::string(16, '\0'));
  ASSERT_TRUE(bool(Pad)) << errorText(Pad);
  EXPECT_TRUE(Pad->empty());
}

TEST(ManifestTest, ConcatenationWithAlignmentPadding) {
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

TEST(ManifestTest, TruncatedRecordIsAnError) {
  std::string Rec = encodeTURecord(modelNamed("a.c"), Binary);
  // Every proper prefix longer than the header is truncated.
  for (size_t Len : {size_t(32), size_t(33), Rec.size() / 2, Rec.size() - 1}) {
    auto Recs = decodeTURecords(llvm::StringRef(Rec).substr(0, Len));
    ASSERT_FALSE(bool(Recs)) << "prefix " << Len << " accepted";
    EXPECT_EQ(errorText(Recs), "truncated .dsu.tu record") << Len;
  }
  // A header cut short.
  auto Short = decodeTURecords(llvm::StringRef(Rec).substr(0, 20));
  ASSERT_FALSE(bool(Short));
  EXPECT_EQ(errorText(Short), "corrupt .dsu.tu section at offset 0");
}

TEST(ManifestTest, CorruptInputIsAnError) {
  std::string A = encodeTURecord(modelNamed("a.c"), Binary);
  std::string Two = A + std::string(3, '\0') + A;
  std::string BadMagic = Two;
  BadMagic[A.size() + 3 + 4] = 'X';
  auto R1 = decodeTURecords(BadMagic);
  ASSERT_FALSE(bool(R1));
  EXPECT_EQ(errorText(R1), "corrupt .dsu.tu section at offset " +
                               std::to_string(A.size() + 3));

  // Huge lengths must not overflow the bounds check.
  std::string Huge = A;
  llvm::support::endian::write64le(Huge.data() + 8, ~uint64_t(0));
  auto R2 = decodeTURecords(Huge);
  ASSERT_FALSE(bool(R2));
  EXPECT_EQ(errorText(R2), "truncated .dsu.tu record");
  std::string Huge2 = A;
  llvm::support::endian::write64le(Huge2.data() + 16, ~uint64_t(0) - 5);
  auto R3 = decodeTURecords(Huge2);
  ASSERT_FALSE(bool(R3));
  EXPECT_EQ(errorText(R3), "truncated .dsu.tu record");

  // A damaged model inside a well-framed record: the checksum finds it
  // before the JSON parser sees it.
  std::string BadJson = A;
  BadJson[32] = '#';
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

TEST(ManifestTest, EveryFlippedByteIsRefused) {
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

TEST(ManifestTest, OldRecordsWithoutChecksumAreRefused) {
  std::string Old("DSUTU001", 8);
  Old += std::string(16, '\0') + "{}";
  auto R = decodeTURecords(Old);
  ASSERT_FALSE(bool(R));
  EXPECT_NE(errorText(R).find("rebuild the program"), std::string::npos)
      << errorText(R);
}

TEST(ManifestTest, ReadTURecordsRejectsNonObjects) {
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
