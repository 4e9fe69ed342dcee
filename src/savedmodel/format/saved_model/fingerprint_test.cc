#include "savedmodel/format/saved_model/fingerprint.h"

#include <filesystem>
#include <string>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
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

// Fingerprint64 of (i*7+3) mod 256 for i < n, one length per branch of
// FarmHash's Fingerprint64 (0-16, 17-32, 33-64, longer). TensorFlow computed
// these: tf.fingerprint(tf.constant(strings)) in the reference venv (TF 2.21),
// whose farmhash64 method is Fingerprint64 of each string, little-endian.
TEST(FingerprintTest, Fingerprint64MatchesTensorFlow) {
  const struct {
    size_t n;
    uint64_t want;
  } kCases[] = {
      {0, 0x9ae16a3b2f90404full},   {1, 0xbec09cc447469d8bull},  {3, 0x40b4412e33eefd64ull},
      {4, 0xf3c7ee05197a7b92ull},   {8, 0x0c97ecbc1e9d2626ull},  {9, 0xe51cf38098a5bfffull},
      {16, 0x7eda0ed8c837a168ull},  {17, 0xc9518fe63ebf6127ull}, {32, 0xa53f806f23a314e8ull},
      {33, 0xc24f9d7ce864f0e9ull},  {64, 0x0566266cb579eca2ull}, {65, 0x77e0867714e6b0e4ull},
      {128, 0x666823960b3ac271ull}, {1000, 0xe021806cc1e3dc4cull},
  };
  for (const auto& c : kCases) {
    std::string bytes(c.n, '\0');
    for (size_t i = 0; i < c.n; ++i) bytes[i] = static_cast<char>((i * 7 + 3) % 256);
    EXPECT_EQ(Fingerprint64(bytes), c.want) << "length " << c.n;
  }
}

// TensorFlow 2.21's fingerprint of each model under ../shared/testdata, from
//   pywrap_saved_model.fingerprinting.CreateFingerprintDef(dir)
// in the reference venv. It hashes a deterministic re-serialization of
// saved_model.pb rather than the file's bytes (which differ for files the
// Python builders wrote), so the checksum is compared on that
// re-serialization; the other four hashes exercise graph regularization and
// the FingerprintCat64 chains over signatures and concrete functions.
TEST(FingerprintTest, MatchesTensorFlowOnEveryTestModel) {
  const struct {
    const char* dir;
    uint64_t checksum, graph, signatures, object_graph, checkpoint;
  } kModels[] = {
      {"corpus/cppflow_lexci_cnn", 0x758e4a9137e3e153ull, 0xab49590ba4868ab6ull,
       0x23920448b504ce00ull, 0x846e9ab24cc54afbull, 0x1f8bf49a95e59ff9ull},
      {"corpus/mlnet_types_test", 0xb583f776f8d4d329ull, 0xdd86e05dcdaf8726ull,
       0x4bdc7e572ac17dfcull, 0, 0},
      {"corpus/mnist_mlp_tf2_4", 0x4d9f14fd59f7a7c1ull, 0xe03d6c8f5d60ef43ull,
       0xb81e23f8bc968fd1ull, 0xd5442e93f2184fe7ull, 0x302b646c4952048dull},
      {"corpus/rnn_series_gru_tf2_6", 0x7190eb6e50c12ef1ull, 0x514b449be298121cull,
       0x8e6659d9154ba3deull, 0x29d0a7f7abd2f1c2ull, 0x3287ad676e9a28b4ull},
      {"corpus/rossman_sharded_vars_tf2_2", 0xcfb76a4d9118da2dull, 0x5c0fdd33f567e33bull,
       0x3bd47edd1bd57419ull, 0x54c074812e5d0f0eull, 0x6b1a795729d88674ull},
      {"corpus/rust_regression_tf1_train_serve", 0x74fc6db3ba668c2aull, 0x55e71f8babacf2c7ull,
       0x31e18c772c740cdcull, 0, 0xb7ad5dca911bae92ull},
      {"corpus/text_vectorization_tf2_10", 0x3e3b1351c58db708ull, 0x45bfe9b57da2b372ull,
       0xb7e22c3dc083c028ull, 0x4f694a57242a59e4ull, 0x134f94b70ebba6e4ull},
      {"corpus/tf2onnx_assign", 0xc241fc1e2bcebb86ull, 0xd3af303a4f827cadull,
       0x4eb45507a9075a43ull, 0, 0xf191ed3b1e52e914ull},
      {"corpus/tf_asset_module", 0xcb5321975dab6fe1ull, 0x57a6cbe7f06d3eb7ull,
       0xcc74422c18e3923dull, 0xa64e40961f7f529bull, 0xcb2c5eee4745ab56ull},
      {"corpus/tf_half_plus_two_empty_tags", 0x8bad05fa76528ddeull, 0x2d69c4897fa26127ull,
       0xf1aaa72b58a79d38ull, 0, 0xaba37d83382f3553ull},
      {"corpus/tf_half_plus_two_main_op", 0xc5f8355cdd4425d5ull, 0x257f0a98421d849full,
       0xf1aaa72b58a79d38ull, 0, 0xaba37d83382f3553ull},
      {"corpus/tf_half_plus_two_v2", 0x841d964de00afca0ull, 0x9a9ff3aa27c73d3cull,
       0x09c0d5c4c646a1f0ull, 0, 0xaba37d83382f3553ull},
      {"corpus/tf_static_hashtable_module", 0x7fa5495a47879acbull, 0xd4cdedfe3f4a7371ull,
       0x6442b73eacfd528dull, 0xe90579d43df0d5bfull, 0x7684584976513631ull},
      {"corpus/tf_vars_and_arithmetic_object_graph", 0x721ab8db4ad58e9eull,
       0x8c8ad635ccb6ab82ull, 0xd8165e18d39b20f0ull, 0x330b3dc5c7dc7abcull,
       0x9590d812c28917a2ull},
      {"corpus/tfc_simple_while_loop", 0x8c81a365d56666ebull, 0xf1ff2590d0dd9382ull,
       0x71d9d41ae0b370d4ull, 0x13f688d1d2c33126ull, 0xd5a15de9da71b081ull},
      {"corpus/tfc_uninitialized_variable", 0x5111e760df4d119full, 0x949412f6cdf57fd0ull,
       0x71bcb64db8ca4c8full, 0x28a33268008f3fdcull, 0xd9650ea00031cb2eull},
      {"corpus/tfdeploy_tensorflow_mnist_tf1_3", 0xc5e4c4f31e08612cull, 0x49dcb5ca7f347cfaull,
       0xe3ab58881a1ee701ull, 0, 0x6ee4188cce934144ull},
      {"corpus/tfjs_module_with_multiple_signatures", 0xb6d5b7d2f07ba1cdull,
       0x1a1f1c7c96f71cb0ull, 0x6eeb8cbe459bff55ull, 0x1c0e0b3697d93f79ull,
       0x69d1565fc0ebc119ull},
      {"corpus/tfjs_times_three_float", 0xb10d21cbbffcdc6full, 0x54fcd55fddf4cdb5ull,
       0x780b84be6a42b437ull, 0x0430afb03863be03ull, 0xb07a30c6dd154672ull},
      {"tf_serving/saved_model_counter/00000123", 0x473553fdab28b52eull, 0x5d36b165ffb7f958ull,
       0xdca661f4dbaad060ull, 0, 0x7b9fbccb029de455ull},
      {"tf_serving/saved_model_half_plus_three/00000123", 0x0dfb7ccf87307372ull,
       0x290d31f885e838c3ull, 0xb3a07ccf061d1afaull, 0, 0x2f544b4f05159cf7ull},
      {"tf_serving/saved_model_half_plus_two_2_versions/00000124", 0x905c5ce11b599811ull,
       0x2d69c4897fa26127ull, 0xf1aaa72b58a79d38ull, 0, 0xaba37d83382f3553ull},
      {"tf_serving/saved_model_half_plus_two_cpu/00000123", 0xbab929da85706520ull,
       0x4a5d04b2e540e3fdull, 0x6cabf0d32d6c0e60ull, 0, 0xae0d8a1e4646bc9full},
      {"tf_serving/saved_model_half_plus_two_cpu_with_saved_model_config/00000123",
       0x6664e9cd219f5015ull, 0xbf6ef75bb96a99f7ull, 0x8c6d8b9056fdf66cull, 0,
       0xae0d8a1e4646bc9full},
      {"tf_serving/saved_model_half_plus_two_gpu/00000123", 0x051dc8e54c236516ull,
       0xb04ce1b6844fd18cull, 0xf1aaa72b58a79d38ull, 0, 0xaba37d83382f3553ull},
      {"tf_serving/saved_model_half_plus_two_mkl/00000123", 0xfd33bbdcad30249full,
       0x84ceed1f2cedd994ull, 0xafc674bb89ab8fe0ull, 0, 0x44b6506ed62d675eull},
      {"tf_serving/saved_model_half_plus_two_tf2_cpu/00000123", 0xadf3b90c7b9f9880ull,
       0xb818d050aa4de77bull, 0x2fc78f64ce643c03ull, 0xe13535b68b59b2adull,
       0xf3ce47477125e106ull},
  };
  if (testing::TestDataDir().empty()) GTEST_SKIP() << "needs ../shared/testdata beside the checkout";
  int compared = 0;
  for (const auto& m : kModels) {
    SCOPED_TRACE(m.dir);
    const std::filesystem::path dir = testing::TestDataDir() / m.dir;
    if (!std::filesystem::exists(dir)) continue;
    auto data = ReadSavedModel(Env::Default(), dir.string());
    ASSERT_TRUE(data.ok()) << data.status();
    std::string index;
    const auto index_path = dir / "variables" / "variables.index";
    if (std::filesystem::exists(index_path)) index = testing::ReadFileOrDie(index_path);
    std::string reserialized;
    {
      // TensorFlow re-serializes deterministically (map entries sorted by key).
      google::protobuf::io::StringOutputStream stream(&reserialized);
      google::protobuf::io::CodedOutputStream coded(&stream);
      coded.SetSerializationDeterministic(true);
      ASSERT_TRUE(data->saved_model.SerializeToCodedStream(&coded));
    }
    auto fp = ComputeFingerprint(data->saved_model, reserialized, index);
    ASSERT_TRUE(fp.ok()) << fp.status();
    EXPECT_EQ(fp->saved_model_checksum(), m.checksum);
    EXPECT_EQ(fp->graph_def_program_hash(), m.graph);
    EXPECT_EQ(fp->signature_def_hash(), m.signatures);
    EXPECT_EQ(fp->saved_object_graph_hash(), m.object_graph);
    EXPECT_EQ(fp->checkpoint_hash(), m.checkpoint);
    ++compared;
  }
  // The corpus is checked in whole or not at all; a partial copy is a mistake.
  EXPECT_EQ(compared, static_cast<int>(std::size(kModels)));
}

}  // namespace
}  // namespace savedmodel
