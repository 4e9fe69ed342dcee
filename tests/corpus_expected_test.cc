// Runs every signature listed in ../shared/testdata/corpus_expected on its
// model and compares with the expected outputs (relative tolerance 1e-5).
// Every case must match except those in Pending(), which are still run: a
// pending case that starts matching fails the test until it is taken off the
// list, so the list never claims more work than remains.
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "savedmodel/core/npy.h"
#include "savedmodel/exec/saved_model_bundle.h"
#include "test_util.h"

namespace savedmodel {
namespace {

namespace fs = std::filesystem;

// "model/signature" -> why it cannot match yet.
const std::map<std::string, std::string>& Pending() {
  static const auto* pending = new std::map<std::string, std::string>{
  };
  return *pending;
}

::testing::AssertionResult Close(const Tensor& got, const Tensor& want, double rtol) {
  if (got.dtype() != want.dtype()) {
    return ::testing::AssertionFailure() << "dtype " << DataTypeString(got.dtype()) << " vs "
                                         << DataTypeString(want.dtype());
  }
  if (got.shape() != want.shape()) {
    return ::testing::AssertionFailure() << "shape " << got.shape().DebugString() << " vs "
                                         << want.shape().DebugString();
  }
  if (got.dtype() != DT_FLOAT && got.dtype() != DT_DOUBLE) {
    return got.Equals(want) ? ::testing::AssertionSuccess()
                            : ::testing::AssertionFailure() << got.DebugString() << " vs "
                                                            << want.DebugString();
  }
  for (int64_t i = 0; i < got.num_elements(); ++i) {
    double a = got.dtype() == DT_FLOAT ? got.flat<float>()[i] : got.flat<double>()[i];
    double b = want.dtype() == DT_FLOAT ? want.flat<float>()[i] : want.flat<double>()[i];
    if (std::isnan(a) && std::isnan(b)) continue;
    if (!(std::fabs(a - b) <= rtol * std::max(std::fabs(b), 1e-6) + 1e-7)) {
      return ::testing::AssertionFailure() << "element " << i << ": " << a << " vs " << b;
    }
  }
  return ::testing::AssertionSuccess();
}

// Loads, runs and compares one case; success only when every output matches.
::testing::AssertionResult RunCase(const fs::path& dir, const rapidjson::Document& doc) {
  const std::string model = doc["model"].GetString();
  const std::string signature = doc["signature"].GetString();
  const fs::path model_dir = testing::TestDataDir() / "corpus" / model;
  auto bundle = LoadSavedModel(model_dir.string(), ParseTagSet(doc["tag_set"].GetString()));
  if (!bundle.ok()) return ::testing::AssertionFailure() << "load: " << bundle.status();
  std::map<std::string, Tensor> inputs;
  for (const auto& in : doc["inputs"].GetArray()) {
    std::string key = in.GetString();
    auto t = ReadNpyFile(Env::Default(), (dir / ("input." + key + ".npy")).string());
    if (!t.ok()) return ::testing::AssertionFailure() << "input " << key << ": " << t.status();
    inputs[key] = *t;
  }
  auto out = (*bundle)->Predict(signature, inputs);
  if (!out.ok()) return ::testing::AssertionFailure() << "predict: " << out.status();
  if (out->size() != doc["outputs"].GetArray().Size()) {
    return ::testing::AssertionFailure() << out->size() << " outputs, expected "
                                         << doc["outputs"].GetArray().Size();
  }
  for (const auto& o : doc["outputs"].GetArray()) {
    std::string key = o.GetString();
    auto want = ReadNpyFile(Env::Default(), (dir / ("output." + key + ".npy")).string());
    if (!want.ok()) return ::testing::AssertionFailure() << "output " << key << ": " << want.status();
    if (!out->count(key)) return ::testing::AssertionFailure() << "no output " << key;
    auto close = Close(out->at(key), *want, 1e-5);
    if (!close) return ::testing::AssertionFailure() << key << ": " << close.message();
  }
  return ::testing::AssertionSuccess();
}

TEST(CorpusExpectedTest, EveryCaseMatchesOrIsPending) {
  SAVEDMODEL_REQUIRE_TESTDATA(root, "corpus_expected");
  std::vector<fs::path> cases;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().filename() == "case.json") cases.push_back(e.path().parent_path());
  }
  std::sort(cases.begin(), cases.end());
  int passed = 0;
  std::vector<std::string> still_pending;
  std::set<std::string> seen;
  for (const fs::path& dir : cases) {
    rapidjson::Document doc;
    std::string json = testing::ReadFileOrDie(dir / "case.json");
    ASSERT_FALSE(doc.Parse(json.c_str()).HasParseError()) << dir;
    const std::string id =
        std::string(doc["model"].GetString()) + "/" + doc["signature"].GetString();
    seen.insert(id);
    auto result = RunCase(dir, doc);
    auto pending = Pending().find(id);
    if (pending == Pending().end()) {
      EXPECT_TRUE(result) << id;
      if (result) ++passed;
    } else if (result) {
      ADD_FAILURE() << id << " now matches: take it off the pending list";
    } else {
      still_pending.push_back(id + " (" + pending->second + "; now: " + result.message() + ")");
    }
  }
  for (const auto& [id, why] : Pending()) {
    EXPECT_TRUE(seen.count(id)) << "pending case " << id << " is not in the corpus";
  }
  std::printf("corpus_expected: %d cases matched, %zu pending\n", passed, still_pending.size());
  for (const std::string& p : still_pending) std::printf("  pending: %s\n", p.c_str());
  EXPECT_EQ(passed + still_pending.size(), cases.size());
}

}  // namespace
}  // namespace savedmodel
