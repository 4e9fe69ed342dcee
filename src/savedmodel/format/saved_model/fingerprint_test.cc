#include "savedmodel/format/saved_model/fingerprint.h"

#include <gtest/gtest.h>

#include "savedmodel/format/saved_model/saved_model_reader.h"
#include "test_util.h"

namespace savedmodel {
namespace {

TEST(FingerprintTest, ReproducesTensorFlowsFingerprintOfItsExport) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "tf_serving/saved_model_half_plus_two_tf2_cpu/00000123");
  auto data = ReadSavedModel(Env::Default(), dir.string());
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_TRUE(data->fingerprint.has_value());
  std::string index = testing::ReadFileOrDie(dir / "variables" / "variables.index");
  std::string pb = testing::ReadFileOrDie(dir / "saved_model.pb");
  auto fp = ComputeFingerprint(data->saved_model, pb, index);
  ASSERT_TRUE(fp.ok()) << fp.status();
  const auto& want = *data->fingerprint;
  EXPECT_EQ(fp->saved_model_checksum(), want.saved_model_checksum());
  EXPECT_EQ(fp->graph_def_program_hash(), want.graph_def_program_hash());
  EXPECT_EQ(fp->signature_def_hash(), want.signature_def_hash());
  EXPECT_EQ(fp->saved_object_graph_hash(), want.saved_object_graph_hash());
  EXPECT_EQ(fp->checkpoint_hash(), want.checkpoint_hash());
  EXPECT_EQ(fp->version().producer(), 1);
}

TEST(FingerprintTest, KnownValues) {
  // FingerprintCat64 is order-sensitive and mixes both halves.
  EXPECT_NE(FingerprintCat64(1, 2), FingerprintCat64(2, 1));
  EXPECT_EQ(Fingerprint64(""), Fingerprint64(std::string_view()));
  EXPECT_NE(Fingerprint64("a"), Fingerprint64("b"));
}

}  // namespace
}  // namespace savedmodel
