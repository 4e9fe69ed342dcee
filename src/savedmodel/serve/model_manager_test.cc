#include "savedmodel/serve/model_manager.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace savedmodel {
namespace {

namespace fs = std::filesystem;
using tensorflow::serving::GetModelStatusResponse;
using tensorflow::serving::ModelServerConfig;
using tensorflow::serving::ModelSpec;
using tensorflow::serving::ModelVersionStatus;

ModelServerConfig Config(const std::string& text) {
  ModelServerConfig c;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &c)) << text;
  return c;
}

ModelSpec Spec(const std::string& name, int64_t version = -1, const std::string& label = "") {
  ModelSpec s;
  s.set_name(name);
  if (version >= 0) s.mutable_version()->set_value(version);
  if (!label.empty()) s.set_version_label(label);
  return s;
}

// y for x through the servable's serving_default (x: [n, 1] float).
StatusOr<std::vector<float>> Predict(const ServableHandle& h, const std::vector<float>& x) {
  auto in = Tensor::FromVector(x, TensorShape{static_cast<int64_t>(x.size()), 1});
  ASSIGN_OR_RETURN(auto out, h->bundle->Predict("serving_default", {{"x", in}}));
  auto y = out.at("y").flat<float>();
  return std::vector<float>(y.begin(), y.end());
}

std::unique_ptr<ModelManager> NewManager(int64_t poll_seconds = 0, bool allow_unavailable = false,
                                         ServingMetrics* metrics = nullptr) {
  ModelManagerOptions o;
  o.file_system_poll_wait_seconds = poll_seconds;
  o.allow_version_labels_for_unavailable_models = allow_unavailable;
  o.intra_op_threads = 2;
  o.inter_op_threads = 2;
  o.metrics = metrics;
  auto m = ModelManager::Create(o);
  EXPECT_TRUE(m.ok()) << m.status();
  return std::move(m).value();
}

std::string ModelConfig(const fs::path& base, const std::string& extra = "") {
  return "model_config_list { config { name: 'hp' base_path: '" + base.string() +
         "' model_platform: 'tensorflow' " + extra + " } }";
}

// TF Serving's test models: versions 123 and 124 of half_plus_two (y = x/2 + 2);
// half_plus_three (y = x/2 + 3) tells a newly added version apart.
class ModelManagerTest : public ::testing::Test {
 protected:
  void SetUpModels(const fs::path& two_versions, const fs::path& three) {
    base_ = tmp_.path() / "hp";
    fs::copy(two_versions, base_, fs::copy_options::recursive);
    three_ = three / "00000123";
  }
  testing::TempDir tmp_;
  fs::path base_;
  fs::path three_;
};

#define SETUP_MODELS()                                                                      \
  SAVEDMODEL_REQUIRE_TESTDATA(two, "tf_serving/saved_model_half_plus_two_2_versions");    \
  SAVEDMODEL_REQUIRE_TESTDATA(three, "tf_serving/saved_model_half_plus_three");           \
  SetUpModels(two, three)

TEST_F(ModelManagerTest, LatestPolicyServesTheHighestVersionOnly) {
  SETUP_MODELS();
  fs::create_directory(base_ / "not_a_version");  // ignored, as TF Serving does
  auto m = NewManager();
  EXPECT_FALSE(m->Ready());
  ASSERT_TRUE(m->ReloadConfig(Config(ModelConfig(base_))).ok());
  EXPECT_TRUE(m->Ready());

  auto h = m->Find(Spec("hp"));
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ((*h)->version, 124);
  auto y = Predict(*h, {1, 2, 5});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(*y, (std::vector<float>{2.5f, 3.0f, 4.5f}));

  auto old = m->Find(Spec("hp", 123));
  EXPECT_EQ(old.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(old.status().message(), "Servable not found for request: Specific(hp, 123)");
  EXPECT_EQ(m->Find(Spec("nope")).status().message(), "Servable not found for request: Latest(nope)");
  EXPECT_EQ(m->Find(Spec("")).status().code(), StatusCode::kInvalidArgument);

  GetModelStatusResponse status;
  ASSERT_TRUE(m->GetModelStatus(Spec("hp"), &status).ok());
  ASSERT_EQ(status.model_version_status_size(), 1);
  EXPECT_EQ(status.model_version_status(0).version(), 124);
  EXPECT_EQ(status.model_version_status(0).state(), ModelVersionStatus::AVAILABLE);
  EXPECT_EQ(status.model_version_status(0).status().error_code(), 0);

  GetModelStatusResponse none;
  Status s = m->GetModelStatus(Spec("hp", 123), &none);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "Could not find version 123 of model hp");
  s = m->GetModelStatus(Spec("nope"), &none);
  EXPECT_EQ(s.message(), "Could not find any versions of model nope");
}

TEST_F(ModelManagerTest, AllPolicyAndVersionLabels) {
  SETUP_MODELS();
  auto m = NewManager();
  Status s = m->ReloadConfig(Config(ModelConfig(
      base_, "model_version_policy { all {} } version_labels { key: 'stable' value: 123 } "
             "version_labels { key: 'canary' value: 124 }")));
  ASSERT_TRUE(s.ok()) << s;
  auto stable = m->Find(Spec("hp", -1, "stable"));
  auto canary = m->Find(Spec("hp", -1, "canary"));
  ASSERT_TRUE(stable.ok() && canary.ok());
  EXPECT_EQ((*stable)->version, 123);
  EXPECT_EQ((*canary)->version, 124);
  EXPECT_EQ(m->Find(Spec("hp")).value()->version, 124);
  auto bad = m->Find(Spec("hp", -1, "nope"));
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "Unrecognized servable version label: nope");

  // Newest first, both AVAILABLE; a label resolves in GetModelStatus too.
  GetModelStatusResponse status;
  ASSERT_TRUE(m->GetModelStatus(Spec("hp"), &status).ok());
  ASSERT_EQ(status.model_version_status_size(), 2);
  EXPECT_EQ(status.model_version_status(0).version(), 124);
  EXPECT_EQ(status.model_version_status(1).version(), 123);
  GetModelStatusResponse labelled;
  ASSERT_TRUE(m->GetModelStatus(Spec("hp", -1, "stable"), &labelled).ok());
  EXPECT_EQ(labelled.model_version_status(0).version(), 123);

  // Specific {123}: 124 unloads (no handle holds it any more, so it ends at once).
  stable = canary = NotFound("released");
  ASSERT_TRUE(m->ReloadConfig(Config(ModelConfig(base_, "model_version_policy { specific { versions: 123 } }"))).ok());
  EXPECT_EQ(m->Find(Spec("hp")).value()->version, 123);
  GetModelStatusResponse after;
  ASSERT_TRUE(m->GetModelStatus(Spec("hp", 124), &after).ok());
  EXPECT_EQ(after.model_version_status(0).state(), ModelVersionStatus::END);
  // The labels went with the config that named them.
  EXPECT_EQ(m->Find(Spec("hp", -1, "stable")).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ModelManagerTest, LabelsMayNameOnlyAvailableVersions) {
  SETUP_MODELS();
  auto m = NewManager();
  const std::string labelled =
      ModelConfig(base_, "version_labels { key: 'stable' value: 123 }");  // latest: 123 not loaded
  Status s = m->ReloadConfig(Config(labelled));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "Request to assign label to version 123 of model hp, which is not currently available "
            "for inference");
  // The models still load; only the labels were refused.
  EXPECT_EQ(m->Find(Spec("hp")).value()->version, 124);
  EXPECT_FALSE(m->config().has_model_config_list());
  // A config whose policy loads the labelled version: the pass loads it
  // before the labels are checked, so they apply in the same reload.
  const std::string all_labelled = ModelConfig(
      base_, "model_version_policy { all {} } version_labels { key: 'stable' value: 123 }");
  ASSERT_TRUE(m->ReloadConfig(Config(all_labelled)).ok());
  EXPECT_EQ(m->Find(Spec("hp", -1, "stable")).value()->version, 123);
  EXPECT_EQ(m->config().model_config_list().config(0).version_labels().at("stable"), 123);

  auto lenient = NewManager(0, /*allow_unavailable=*/true);
  ASSERT_TRUE(lenient->ReloadConfig(Config(labelled)).ok());
  // The label exists; its version does not answer.
  EXPECT_EQ(lenient->Find(Spec("hp", -1, "stable")).status().message(),
            "Servable not found for request: Specific(hp, 123)");
  // Moving an existing label still needs an AVAILABLE target.
  s = lenient->ReloadConfig(Config(ModelConfig(base_, "version_labels { key: 'stable' value: 7 }")));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s;
}

TEST_F(ModelManagerTest, BrokenVersionLeavesTheServingOneAndIsRetried) {
  SETUP_MODELS();
  MetricRegistry registry;
  ServingMetrics metrics(&registry);
  auto m = NewManager(0, false, &metrics);
  ASSERT_TRUE(m->ReloadConfig(Config(ModelConfig(base_))).ok());
  // A version directory caught half-copied: saved_model.pb cut short.
  fs::create_directory(base_ / "200");
  {
    std::string pb = testing::ReadFileOrDie(base_ / "00000124" / "saved_model.pb");
    std::ofstream(base_ / "200" / "saved_model.pb", std::ios::binary) << pb.substr(0, pb.size() / 2);
  }
  ASSERT_TRUE(m->ReloadConfig(Config(ModelConfig(base_))).ok());
  EXPECT_EQ(m->Find(Spec("hp")).value()->version, 124);
  EXPECT_TRUE(m->Ready());
  GetModelStatusResponse status;
  ASSERT_TRUE(m->GetModelStatus(Spec("hp", 200), &status).ok());
  EXPECT_EQ(status.model_version_status(0).state(), ModelVersionStatus::END);
  EXPECT_NE(status.model_version_status(0).status().error_code(), 0);
  EXPECT_FALSE(status.model_version_status(0).status().error_message().empty());
  EXPECT_EQ(registry.Value(":tensorflow:cc:saved_model:load_attempt_count",
                           {(base_ / "200").string(), "fail"}),
            1);

  // Further along: the graph is whole but variables/ has not arrived. It would
  // load and fail every request, so it does not replace 124 either.
  fs::remove_all(base_ / "200");
  fs::create_directory(base_ / "200");
  fs::copy_file(base_ / "00000124" / "saved_model.pb", base_ / "200" / "saved_model.pb");
  ASSERT_TRUE(m->ReloadConfig(Config(ModelConfig(base_))).ok());
  EXPECT_EQ(m->Find(Spec("hp")).value()->version, 124);
  GetModelStatusResponse partial;
  ASSERT_TRUE(m->GetModelStatus(Spec("hp", 200), &partial).ok());
  EXPECT_EQ(partial.model_version_status(0).state(), ModelVersionStatus::END);
  EXPECT_NE(partial.model_version_status(0).status().error_message().find("still being copied"),
            std::string::npos);

  // The copy completes; the next scan loads it and retires 124.
  fs::remove_all(base_ / "200");
  fs::copy(base_ / "00000124", base_ / "200", fs::copy_options::recursive);
  ASSERT_TRUE(m->ReloadConfig(Config(ModelConfig(base_))).ok());
  EXPECT_EQ(m->Find(Spec("hp")).value()->version, 200);
  GetModelStatusResponse old;
  ASSERT_TRUE(m->GetModelStatus(Spec("hp", 124), &old).ok());
  EXPECT_EQ(old.model_version_status(0).state(), ModelVersionStatus::END);
  EXPECT_NE(registry.RenderText().find(
                ":savedmodel:serving:model_version_state{model_name=\"hp\",version=\"200\"} 30"),
            std::string::npos);
}

TEST_F(ModelManagerTest, UnloadWaitsForInFlightHandles) {
  SETUP_MODELS();
  auto m = NewManager();
  ASSERT_TRUE(m->ReloadConfig(Config(ModelConfig(base_))).ok());
  ServableHandle in_flight = m->Find(Spec("hp")).value();
  std::weak_ptr<Servable> watch = in_flight;
  ASSERT_TRUE(m->ReloadConfig(Config(ModelConfig(base_, "model_version_policy { specific { versions: 123 } }"))).ok());
  EXPECT_EQ(m->Find(Spec("hp", 124)).status().code(), StatusCode::kNotFound);
  GetModelStatusResponse status;
  ASSERT_TRUE(m->GetModelStatus(Spec("hp", 124), &status).ok());
  EXPECT_EQ(status.model_version_status(0).state(), ModelVersionStatus::UNLOADING);
  // The request holding it still runs on it.
  auto y = Predict(in_flight, {2});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ((*y)[0], 3.0f);
  in_flight.reset();
  EXPECT_TRUE(watch.expired());
  GetModelStatusResponse after;
  ASSERT_TRUE(m->GetModelStatus(Spec("hp", 124), &after).ok());
  EXPECT_EQ(after.model_version_status(0).state(), ModelVersionStatus::END);
}

// A version copied in while requests run is picked up by polling with no
// failed request, and the old one retires.
TEST_F(ModelManagerTest, VersionAddedWhileServingWithZeroFailures) {
  SETUP_MODELS();
  auto m = NewManager(/*poll_seconds=*/1);
  ASSERT_TRUE(m->ReloadConfig(Config(ModelConfig(base_))).ok());
  std::atomic<bool> done{false};
  std::atomic<int> failures{0}, requests{0}, saw_new{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      while (!done) {
        auto h = m->Find(Spec("hp"));
        auto y = h.ok() ? Predict(*h, {4}) : StatusOr<std::vector<float>>(h.status());
        ++requests;
        if (!y.ok()) {
          ++failures;
        } else if ((*y)[0] == 5.0f) {
          ++saw_new;  // half_plus_three
        } else if ((*y)[0] != 4.0f) {
          ++failures;
        }
      }
    });
  }
  // Copied file by file, as cp -r does: scans may see it half-written.
  fs::create_directories(base_ / "125");
  for (const auto& e : fs::recursive_directory_iterator(three_)) {
    fs::path to = base_ / "125" / fs::relative(e.path(), three_);
    if (e.is_directory()) {
      fs::create_directories(to);
    } else {
      fs::copy_file(e.path(), to);
    }
  }
  bool switched = false;
  for (int i = 0; i < 100 && !switched; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto h = m->Find(Spec("hp"));
    switched = h.ok() && (*h)->version == 125;
  }
  while (saw_new == 0 && switched) std::this_thread::yield();
  done = true;
  for (auto& c : clients) c.join();
  EXPECT_TRUE(switched);
  EXPECT_EQ(failures.load(), 0) << "of " << requests.load();
  EXPECT_GT(saw_new.load(), 0);
}

TEST_F(ModelManagerTest, MissingBasePathShowsInStatus) {
  auto m = NewManager();
  ASSERT_TRUE(m->ReloadConfig(Config(ModelConfig(tmp_.path() / "missing"))).ok());
  EXPECT_FALSE(m->Ready());
  EXPECT_FALSE(m->WaitUntilReady(std::chrono::milliseconds(1)));
  GetModelStatusResponse status;
  Status s = m->GetModelStatus(Spec("hp"), &status);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("Could not find any versions of model hp"), std::string::npos) << s;
  EXPECT_NE(s.message().find("Could not find base path"), std::string::npos) << s;
}

TEST_F(ModelManagerTest, HostileConfigsAreRefused) {
  auto m = NewManager();
  EXPECT_EQ(m->ReloadConfig(Config("model_config_list { config { base_path: '/x' } }")).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(m->ReloadConfig(Config("model_config_list { config { name: 'a' } }")).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(m->ReloadConfig(Config("model_config_list { config { name: 'a' base_path: '/x' } "
                                   "config { name: 'a' base_path: '/y' } }"))
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(m->ReloadConfig(Config("model_config_list { config { name: 'a' base_path: '/x' "
                                   "model_platform: 'pytorch' } }"))
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(m->ReloadConfig(ModelServerConfig()).ok());  // empty: no action
  EXPECT_FALSE(m->Ready());
}

TEST_F(ModelManagerTest, RemovedModelUnloadsAndStopEndsServing) {
  SETUP_MODELS();
  auto m = NewManager();
  const std::string two_models = "model_config_list { config { name: 'hp' base_path: '" +
                                 base_.string() + "' } config { name: 'other' base_path: '" +
                                 base_.string() + "' } }";
  ASSERT_TRUE(m->ReloadConfig(Config(two_models)).ok());
  ASSERT_TRUE(m->Find(Spec("other")).ok());
  ASSERT_TRUE(m->ReloadConfig(Config(ModelConfig(base_))).ok());
  EXPECT_EQ(m->Find(Spec("other")).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(m->Ready());
  m->Stop();
  EXPECT_FALSE(m->Ready());
  EXPECT_EQ(m->Find(Spec("hp")).status().code(), StatusCode::kNotFound);
  m->Stop();  // idempotent
}

// A request that still holds a handle when the server shuts the manager down
// finishes on it (the shared pools live as long as the handle).
TEST_F(ModelManagerTest, HandleOutlivesTheManager) {
  SETUP_MODELS();
  auto m = NewManager();
  ASSERT_TRUE(m->ReloadConfig(Config(ModelConfig(base_))).ok());
  ServableHandle h = m->Find(Spec("hp")).value();
  m.reset();
  auto y = Predict(h, {1, 2, 5});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(*y, (std::vector<float>{2.5f, 3.0f, 4.5f}));
}

}  // namespace
}  // namespace savedmodel
