//===- PatchFileTest.cpp - dsuPatch: the patch file format ----------------===//
#include "TestUtil.h"
#include "dsu/Patch/PatchFile.h"

extern "C" {
#include "dsu/patch_format.h"
}

#include "gtest/gtest.h"
#include <cstring>

using namespace dsu;
using namespace dsu::test;

namespace {
PatchFile sample() {
  PatchFile P;
  P.BaseVersion = "0123456789abcdef";
  P.TargetVersion = "fedcba9876543210";
  static const char Payload[] = "\x7f" "ELF\2\1\1\0\0\0payload";
  P.SharedObject = std::string(Payload, sizeof(Payload) - 1);
  P.Plan = "patch 0123456789abcdef -> fedcba9876543210\nfunction changed f\n";
  return P;
}
} // namespace

TEST(PatchFileTest, LayoutAndRoundTrip) {
  PatchFile P = sample();
  std::string Bytes = encodePatchFile(P);
  ASSERT_EQ(Bytes.size(),
            sizeof(dsu_patch_header) + P.SharedObject.size() + P.Plan.size());
  dsu_patch_header H;
  std::memcpy(&H, Bytes.data(), sizeof(H));
  EXPECT_EQ(std::string(H.magic, 8), "DSUPATCH");
  EXPECT_EQ(H.format, uint32_t(DSU_PATCH_FORMAT));
  EXPECT_EQ(H.header_size, sizeof(H));
  EXPECT_STREQ(H.base_version, "0123456789abcdef");
  EXPECT_EQ(H.payload_size, P.SharedObject.size());
  EXPECT_EQ(H.plan_size, P.Plan.size());
  EXPECT_EQ(H.payload_hash,
            dsu_fnv1a64(P.SharedObject.data(), P.SharedObject.size()));

  auto Back = decodePatchFile(Bytes);
  ASSERT_TRUE(bool(Back)) << errorText(Back);
  EXPECT_EQ(Back->BaseVersion, P.BaseVersion);
  EXPECT_EQ(Back->TargetVersion, P.TargetVersion);
  EXPECT_EQ(Back->SharedObject, P.SharedObject);
  EXPECT_EQ(Back->Plan, P.Plan);
}

TEST(PatchFileTest, EmptyPlanAndPayload) {
  PatchFile P;
  P.BaseVersion = "a";
  P.TargetVersion = "b";
  auto Back = decodePatchFile(encodePatchFile(P));
  ASSERT_TRUE(bool(Back)) << errorText(Back);
  EXPECT_EQ(Back->BaseVersion, "a");
  EXPECT_EQ(Back->SharedObject, "");
  EXPECT_EQ(Back->Plan, "");
}

TEST(PatchFileTest, OverlongVersionIsCutToFit) {
  // Format 2: every byte of the field counts (format 1 dropped the last).
  PatchFile P = sample();
  P.BaseVersion = std::string(40, 'a');
  auto Back = decodePatchFile(encodePatchFile(P));
  ASSERT_TRUE(bool(Back)) << errorText(Back);
  EXPECT_EQ(Back->BaseVersion, std::string(DSU_VERSION_ID_SIZE, 'a'));
}

TEST(PatchFileTest, FlippedPlanByte) {
  std::string Bytes = encodePatchFile(sample());
  for (size_t I = 0; I < sample().Plan.size(); ++I) {
    std::string Bad = Bytes;
    Bad[Bytes.size() - 1 - I] ^= 0x01;
    auto R = decodePatchFile(Bad);
    ASSERT_FALSE(bool(R)) << "plan byte " << I;
    EXPECT_EQ(errorText(R), "corrupt patch (plan checksum mismatch)");
  }
}

TEST(PatchFileTest, FlippedPayloadByte) {
  std::string Bytes = encodePatchFile(sample());
  for (size_t I = 0; I < sample().SharedObject.size(); ++I) {
    std::string Bad = Bytes;
    Bad[sizeof(dsu_patch_header) + I] ^= 0x01;
    auto R = decodePatchFile(Bad);
    ASSERT_FALSE(bool(R)) << "byte " << I;
    EXPECT_EQ(errorText(R), "corrupt patch (payload checksum mismatch)");
  }
}

TEST(PatchFileTest, FlippedHeaderByte) {
  std::string Bytes = encodePatchFile(sample());
  std::string Bad = Bytes;
  Bad[offsetof(dsu_patch_header, base_version)] ^= 0x01;
  auto R = decodePatchFile(Bad);
  ASSERT_FALSE(bool(R));
  EXPECT_EQ(errorText(R), "corrupt patch (header checksum mismatch)");
  Bad = Bytes;
  Bad[offsetof(dsu_patch_header, payload_size)] ^= 0x01;
  auto R2 = decodePatchFile(Bad);
  ASSERT_FALSE(bool(R2));
  EXPECT_EQ(errorText(R2), "corrupt patch (header checksum mismatch)");
}

TEST(PatchFileTest, BadMagic) {
  std::string Bad = encodePatchFile(sample());
  Bad[0] = 'X';
  auto R = decodePatchFile(Bad);
  ASSERT_FALSE(bool(R));
  EXPECT_EQ(errorText(R), "not a dsu patch (bad magic)");
  auto R2 = decodePatchFile(std::string(200, 'x'));
  ASSERT_FALSE(bool(R2));
  EXPECT_EQ(errorText(R2), "not a dsu patch (bad magic)");
}

TEST(PatchFileTest, UnsupportedFormat) {
  std::string Bad = encodePatchFile(sample());
  uint32_t Format = 1; // the format before every byte was checksummed
  std::memcpy(&Bad[offsetof(dsu_patch_header, format)], &Format, 4);
  auto R = decodePatchFile(Bad);
  ASSERT_FALSE(bool(R));
  EXPECT_EQ(errorText(R), "unsupported patch format 1");
}

TEST(PatchFileTest, Truncated) {
  std::string Bytes = encodePatchFile(sample());
  auto R = decodePatchFile(llvm::StringRef(Bytes).substr(0, 10));
  ASSERT_FALSE(bool(R));
  EXPECT_EQ(errorText(R), "truncated patch (10 bytes)");
  auto Empty = decodePatchFile("");
  ASSERT_FALSE(bool(Empty));
  EXPECT_EQ(errorText(Empty), "truncated patch (0 bytes)");
  // Cut inside the plan, inside the payload, right after the header.
  for (size_t Cut : {size_t(1), sample().Plan.size() + 3,
                     sample().Plan.size() + sample().SharedObject.size()}) {
    auto T = decodePatchFile(
        llvm::StringRef(Bytes).substr(0, Bytes.size() - Cut));
    ASSERT_FALSE(bool(T)) << "cut " << Cut;
    EXPECT_EQ(errorText(T), "truncated or corrupt patch (size mismatch)");
  }
}

TEST(PatchFileTest, TrailingBytes) {
  std::string Bytes = encodePatchFile(sample()) + "extra";
  auto R = decodePatchFile(Bytes);
  ASSERT_FALSE(bool(R));
  EXPECT_EQ(errorText(R), "truncated or corrupt patch (size mismatch)");
}
