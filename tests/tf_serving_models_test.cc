// TF Serving's TF1 test models, loaded and run as TensorFlow would: every
// signature by key, the same tensors by name, the stateful counter, and many
// threads on one loaded model.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "savedmodel/exec/saved_model_bundle.h"
#include "tensorflow/core/example/example.pb.h"
#include "test_util.h"

namespace savedmodel {
namespace {

std::string ExampleWith(const std::string& feature, float value) {
  tensorflow::Example e;
  (*e.mutable_features()->mutable_feature())[feature].mutable_float_list()->add_value(value);
  return e.SerializeAsString();
}

Tensor Column(const std::vector<float>& v) {
  return Tensor::FromVector(v, TensorShape{static_cast<int64_t>(v.size()), 1});
}

// half_plus_two: y = 0.5x + 2, y2 = 0.5x + 3, y3 = 0.5x2 + 3 (offset is 2 or 3).
void CheckHalfPlus(const std::string& rel, float offset, bool has_x2_signatures, bool mkl = false) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, rel);
  auto bundle = LoadSavedModel(dir.string(), {"serve"});
  ASSERT_TRUE(bundle.ok()) << rel << ": " << bundle.status();
  auto& b = **bundle;

  auto out = b.Predict("serving_default", {{"x", Column({1, 2, 5})}});
  ASSERT_TRUE(out.ok()) << out.status();
  const Tensor& y = out->at("y");
  EXPECT_EQ(y.shape(), (TensorShape{3, 1}));
  EXPECT_EQ(y.flat<float>()[0], 0.5f * 1 + offset);
  EXPECT_EQ(y.flat<float>()[1], 0.5f * 2 + offset);
  EXPECT_EQ(y.flat<float>()[2], 0.5f * 5 + offset);

  // TF Serving's own example feeds shape (3) to the (-1, 1) input.
  auto flat = b.Predict("serving_default", {{"x", Tensor::FromVector<float>({1, 2, 3})}});
  ASSERT_TRUE(flat.ok()) << flat.status();
  EXPECT_EQ(flat->at("y").flat<float>()[2], 1.5f + offset);

  // By tensor name, like sess.run.
  auto by_name = b.session().Run({{"x:0", Column({4})}}, {"y:0"});
  ASSERT_TRUE(by_name.ok()) << by_name.status();
  EXPECT_EQ((*by_name)[0].flat<float>()[0], 2 + offset);

  if (!has_x2_signatures) return;
  auto r = b.Regress("regress_x_to_y", {ExampleWith("x", 1), ExampleWith("x", 4)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, (std::vector<float>{2.5f, 4.0f}));
  if (mkl) {
    // The MKL variant adds a [1,10,10,1] conv of zeros, so y2 broadcasts to that shape.
    Tensor batch(DT_STRING, TensorShape{1});
    batch.flat<std::string>()[0] = ExampleWith("x", 1);
    auto r2 = b.Predict("regress_x_to_y2", {{"inputs", batch}});
    ASSERT_TRUE(r2.ok()) << r2.status();
    const Tensor& y2 = r2->at("outputs");
    EXPECT_EQ(y2.shape(), (TensorShape{1, 10, 10, 1}));
    for (float v : y2.flat<float>()) EXPECT_EQ(v, 3.5f);
    return;
  }
  auto r2 = b.Regress("regress_x_to_y2", {ExampleWith("x", 1)});
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_EQ((*r2)[0], 3.5f);
  // This signature feeds x2 directly rather than through tf.Examples.
  auto r3 = b.Predict("regress_x2_to_y3", {{"inputs", Column({4})}});
  ASSERT_TRUE(r3.ok()) << r3.status();
  EXPECT_EQ(r3->at("outputs").flat<float>()[0], 5.0f);
  auto c = b.Classify("classify_x_to_y", {ExampleWith("x", 2)});
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->size(), 1u);
  ASSERT_EQ((*c)[0].size(), 1u);
  EXPECT_EQ((*c)[0][0].score, 3.0f);

  // Errors name what is wrong and what exists.
  auto wrong_type = b.Predict("serving_default", {{"x", Tensor::FromVector<int32_t>({1})}});
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.status().message().find("expects float"), std::string::npos) << wrong_type.status();
  auto wrong_key = b.Predict("serving_default", {{"z", Column({1})}});
  ASSERT_FALSE(wrong_key.ok());
  EXPECT_NE(wrong_key.status().message().find("'x'"), std::string::npos) << wrong_key.status();
  auto missing_feature = b.Regress("regress_x_to_y", {ExampleWith("nope", 1)});
  EXPECT_FALSE(missing_feature.ok());
  auto not_regress = b.Regress("serving_default", {ExampleWith("x", 1)});
  EXPECT_FALSE(not_regress.ok());
}

TEST(TfServingModelsTest, HalfPlusTwoCpu) {
  CheckHalfPlus("tf_serving/saved_model_half_plus_two_cpu/00000123", 2, true);
}
TEST(TfServingModelsTest, HalfPlusTwoGpuDeviceStringsIgnored) {
  CheckHalfPlus("tf_serving/saved_model_half_plus_two_gpu/00000123", 2, true);
}
TEST(TfServingModelsTest, HalfPlusTwoMkl) {
  CheckHalfPlus("tf_serving/saved_model_half_plus_two_mkl/00000123", 2, true, /*mkl=*/true);
}
TEST(TfServingModelsTest, HalfPlusTwoWithSavedModelConfig) {
  CheckHalfPlus("tf_serving/saved_model_half_plus_two_cpu_with_saved_model_config/00000123", 2, true);
}
TEST(TfServingModelsTest, HalfPlusTwoBothVersions) {
  CheckHalfPlus("tf_serving/saved_model_half_plus_two_2_versions/00000123", 2, true);
  CheckHalfPlus("tf_serving/saved_model_half_plus_two_2_versions/00000124", 2, true);
}
TEST(TfServingModelsTest, HalfPlusThree) {
  CheckHalfPlus("tf_serving/saved_model_half_plus_three/00000123", 3, false);
}
TEST(TfServingModelsTest, CorpusHalfPlusTwoVariants) {
  CheckHalfPlus("corpus/tf_half_plus_two_pbtxt", 2, true);
  CheckHalfPlus("corpus/tf_half_plus_two_main_op", 2, true);
  CheckHalfPlus("corpus/tf_half_plus_two_v2", 2, true);
}

TEST(TfServingModelsTest, EmptyTagSet) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "corpus/tf_half_plus_two_empty_tags");
  auto bundle = LoadSavedModel(dir.string(), {});
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  auto out = (*bundle)->Predict("serving_default", {{"x", Column({6})}});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->at("y").flat<float>()[0], 5.0f);
  auto wrong = LoadSavedModel(dir.string(), {"serve"});
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("available tag sets: {}"), std::string::npos) << wrong.status();
}

TEST(TfServingModelsTest, CounterKeepsStatePerLoadedModel) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "tf_serving/saved_model_counter/00000123");
  auto a = LoadSavedModel(dir.string(), {"serve"});
  auto b = LoadSavedModel(dir.string(), {"serve"});
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  auto get = [](SavedModelBundle& m) {
    auto out = m.Predict("get_counter", {});
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? out->at("output").scalar<float>() : -1.0f;
  };
  EXPECT_EQ(get(**a), 0.0f);
  ASSERT_TRUE((*a)->Predict("incr_counter", {}).ok());
  auto inc = (*a)->Predict("incr_counter", {});
  ASSERT_TRUE(inc.ok()) << inc.status();
  EXPECT_EQ(inc->at("output").scalar<float>(), 2.0f);
  auto by = (*a)->Predict("incr_counter_by", {{"delta", Tensor::Scalar<float>(3.5f)}});
  ASSERT_TRUE(by.ok()) << by.status();
  EXPECT_EQ(by->at("output").scalar<float>(), 5.5f);
  EXPECT_EQ(get(**a), 5.5f);
  EXPECT_EQ(get(**b), 0.0f);  // another load has its own variable
  ASSERT_TRUE((*a)->Predict("reset_counter", {}).ok());
  EXPECT_EQ(get(**a), 0.0f);
}

TEST(TfServingModelsTest, IdentityOverElevenDtypes) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "corpus/mlnet_types_test");
  auto bundle = LoadSavedModel(dir.string(), {"serve"});
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  const auto& sig = (*bundle)->meta_graph_def().signature_def().at("serving_default");
  std::map<std::string, Tensor> inputs;
  for (const auto& [key, info] : sig.inputs()) {
    auto t = Tensor::Create(static_cast<DataType>(info.dtype()), std::vector<int64_t>{2, 2});
    ASSERT_TRUE(t.ok()) << t.status();
    // Distinct non-zero bytes so a wrong copy shows.
    auto* bytes = static_cast<uint8_t*>(t->raw_data());
    for (size_t i = 0; i < t->byte_size(); ++i) bytes[i] = static_cast<uint8_t>(i % 7 + 1);
    if (t->dtype() == DT_BOOL) {
      for (size_t i = 0; i < t->byte_size(); ++i) bytes[i] = i % 2;
    }
    inputs[key] = *t;
  }
  EXPECT_EQ(inputs.size(), 11u);
  auto out = (*bundle)->Predict("serving_default", inputs);
  ASSERT_TRUE(out.ok()) << out.status();
  for (const auto& [key, info] : sig.outputs()) {
    const Tensor& got = out->at(key);
    // Outputs are named by tensor; find the input feeding the same name.
    std::string in_key;
    for (const auto& [ik, ii] : sig.inputs()) {
      if (ii.dtype() == info.dtype() && ("o" + ii.name()).find(info.name().substr(1)) != std::string::npos) {
        in_key = ik;
      }
    }
    bool matched = false;
    for (const auto& [ik, t] : inputs) matched |= got.Equals(t);
    EXPECT_TRUE(matched) << "output " << key << " equals no input";
  }
}

TEST(TfServingModelsTest, ConcurrentRunsOnOneModel) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  auto bundle = LoadSavedModel(dir.string(), {"serve"});
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  std::atomic<int> wrong{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        float x = static_cast<float>(t * 10000 + i);
        auto out = (*bundle)->Predict("serving_default", {{"x", Column({x})}});
        if (!out.ok()) {
          ++failed;
        } else if (out->at("y").flat<float>()[0] != 0.5f * x + 2) {
          ++wrong;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
}

TEST(TfServingModelsTest, MnistSoftmaxClassifyReturnsClassLabels) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "corpus/tfdeploy_tensorflow_mnist_tf1_3");
  auto bundle = LoadSavedModel(dir.string(), {"serve"});
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  const auto& sigs = (*bundle)->meta_graph_def().signature_def();
  ASSERT_TRUE(sigs.count("predict_images"));
  Tensor image(DT_FLOAT, TensorShape{1, 784});
  auto out = (*bundle)->Predict("predict_images", {{"images", image}});
  ASSERT_TRUE(out.ok()) << out.status();
  const Tensor& scores = out->at("scores");
  ASSERT_EQ(scores.num_elements(), 10);
  float sum = 0;
  for (float s : scores.flat<float>()) sum += s;
  EXPECT_NEAR(sum, 1.0f, 1e-5);
  // Its classify signature feeds tf_example:0, but the graph's MatMul reads the
  // unfed 'Placeholder', so TensorFlow fails it too: expect the same error.
  tensorflow::Example e;
  auto c = (*bundle)->Classify("serving_default", {e.SerializeAsString()});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("You must feed a value for placeholder tensor 'Placeholder'"),
            std::string::npos)
      << c.status();
}

}  // namespace
}  // namespace savedmodel
