#include "savedmodel/serve/model_manager.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "savedmodel/format/saved_model/version_dir.h"

namespace savedmodel {

namespace {

using tensorflow::serving::ModelVersionStatus;

constexpr int kStart = ModelVersionStatus::START;
constexpr int kLoading = ModelVersionStatus::LOADING;
constexpr int kAvailable = ModelVersionStatus::AVAILABLE;
constexpr int kUnloading = ModelVersionStatus::UNLOADING;
constexpr int kEnd = ModelVersionStatus::END;

// The versions `policy` wants out of those on disk.
std::set<int64_t> AspiredVersions(
    const tensorflow::serving::FileSystemStoragePathSourceConfig::ServableVersionPolicy& policy,
    const std::set<int64_t>& on_disk) {
  using Policy = tensorflow::serving::FileSystemStoragePathSourceConfig::ServableVersionPolicy;
  switch (policy.policy_choice_case()) {
    case Policy::kAll:
      return on_disk;
    case Policy::kSpecific: {
      std::set<int64_t> out;
      for (int64_t v : policy.specific().versions()) {
        if (on_disk.count(v)) out.insert(v);
      }
      return out;
    }
    default: {  // latest, TF Serving's default with num_versions 1
      uint32_t n = policy.has_latest() ? policy.latest().num_versions() : 1;
      if (n == 0) n = 1;
      std::set<int64_t> out;
      for (auto it = on_disk.rbegin(); it != on_disk.rend() && out.size() < n; ++it) out.insert(*it);
      return out;
    }
  }
}

// A version directory caught while still being copied can hold a complete
// saved_model.pb but no variables yet. Such a graph loads (TensorFlow's
// loader skips the restore when there is no checkpoint) and then fails every
// request on an uninitialized variable, so it counts as a failed load and is
// retried at the next scan instead of replacing the serving version.
Status CheckComplete(const SavedModelBundle& bundle, Env* env) {
  if (bundle.data().HasVariables(env)) return Status::OK();
  for (const auto& node : bundle.meta_graph_def().graph_def().node()) {
    const std::string& op = node.op();
    if (op == "VariableV2" || op == "Variable" || op == "VarHandleOp") {
      return FailedPrecondition("the graph has variables (node '" + node.name() +
                                "') but " + bundle.export_dir() +
                                " has no variables/variables.index yet; is it still being copied?");
    }
  }
  return Status::OK();
}

using VersionLabels = std::map<std::string, std::map<std::string, int64_t>>;

// The version `spec` asks for: its number, its label's (from `labels`, per
// model), or nullopt for the latest.
StatusOr<std::optional<int64_t>> RequestedVersion(const tensorflow::serving::ModelSpec& spec,
                                                  const VersionLabels& labels) {
  using Spec = tensorflow::serving::ModelSpec;
  if (spec.version_choice_case() == Spec::kVersion) return std::optional<int64_t>(spec.version().value());
  if (spec.version_choice_case() != Spec::kVersionLabel) return std::optional<int64_t>();
  auto model = labels.find(spec.name());
  if (model != labels.end()) {
    auto label = model->second.find(spec.version_label());
    if (label != model->second.end()) return std::optional<int64_t>(label->second);
  }
  return InvalidArgument("Unrecognized servable version label: " + spec.version_label());
}

}  // namespace

struct ModelManager::VersionState {
  int state = kStart;
  Status status;  // the last load's error, shown by GetModelStatus
  // After a failed load: failures in a row, and when scans may retry it.
  int failures = 0;
  std::chrono::steady_clock::time_point retry_after;
  ServableHandle servable;          // set while AVAILABLE
  std::weak_ptr<Servable> unloading;  // while UNLOADING: END once every handle is gone
};

struct ModelManager::ModelState {
  tensorflow::serving::ModelConfig config;
  bool removed = false;
  // Why the last scan of base_path failed; OK when it listed.
  Status scan_status;
  std::map<int64_t, VersionState> versions;
};

StatusOr<std::unique_ptr<ModelManager>> ModelManager::Create(const ModelManagerOptions& options) {
  if (options.env == nullptr) return InvalidArgument("ModelManagerOptions::env is null");
  if (options.file_system_poll_wait_seconds < 0) {
    return InvalidArgument("file_system_poll_wait_seconds must not be negative");
  }
  auto manager = std::unique_ptr<ModelManager>(new ModelManager(options));
  manager->loader_ = std::thread([m = manager.get()] { m->LoaderLoop(); });
  return manager;
}

ModelManager::ModelManager(const ModelManagerOptions& options) : options_(options) {
  // Thread count 1 means inline, as for a session of its own.
  SessionOptions& s = options_.load_options.session;
  s.intra_op_threads = options_.intra_op_threads;
  s.inter_op_threads = options_.inter_op_threads;
  pools_ = std::make_shared<Pools>();
  if (options_.intra_op_threads != 1) {
    pools_->intra = std::make_unique<ThreadPool>(options_.intra_op_threads);
    s.intra_op_pool = pools_->intra.get();
  }
  if (options_.inter_op_threads != 1) {
    pools_->inter = std::make_unique<ThreadPool>(options_.inter_op_threads);
    s.inter_op_pool = pools_->inter.get();
  }
  s.env = options_.env;
}

ModelManager::~ModelManager() { Stop(); }

void ModelManager::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (loader_.joinable() && loader_.get_id() != std::this_thread::get_id()) loader_.join();
  std::lock_guard<std::mutex> l(mu_);
  for (auto& [name, model] : models_) {
    for (auto& [version, v] : model->versions) {
      if (v.state == kAvailable) {
        v.unloading = v.servable;
        v.servable.reset();
        SetState(name, version, v, kUnloading);
      }
    }
  }
  cv_.notify_all();
}

void ModelManager::SetState(const std::string& name, int64_t version, VersionState& v, int state) {
  v.state = state;
  if (options_.metrics != nullptr) options_.metrics->SetVersionState(name, version, state);
}

Status ModelManager::ReloadConfig(const tensorflow::serving::ModelServerConfig& config) {
  std::lock_guard<std::mutex> reload(reload_mu_);
  using Config = tensorflow::serving::ModelServerConfig;
  if (config.config_case() == Config::CONFIG_NOT_SET) return Status::OK();
  if (config.config_case() != Config::kModelConfigList) {
    return InvalidArgument(
        "custom_model_config is not supported; list the models in model_config_list");
  }
  std::set<std::string> names;
  for (const auto& model : config.model_config_list().config()) {
    if (model.name().empty()) return InvalidArgument("A model in model_config_list has no name");
    if (!names.insert(model.name()).second) {
      return InvalidArgument("Illegal to list model " + model.name() +
                             " multiple times in config list");
    }
    if (model.base_path().empty()) {
      return InvalidArgument("Model " + model.name() + " has no base_path");
    }
    if (!model.model_platform().empty() && model.model_platform() != "tensorflow") {
      return InvalidArgument("Model " + model.name() + " requests unsupported platform " +
                             model.model_platform());
    }
  }

  std::unique_lock<std::mutex> l(mu_);
  if (stop_) return Unavailable("the model manager is stopped");
  configured_ = true;
  // A config change is an operator asking for another try now.
  for (auto& [name, model] : models_) {
    for (auto& [version, v] : model->versions) v.retry_after = {};
  }
  for (auto& [name, model] : models_) model->removed = !names.count(name);
  for (const auto& model : config.model_config_list().config()) {
    auto& state = models_[model.name()];
    if (state == nullptr) state = std::make_unique<ModelState>();
    state->config = model;
    state->removed = false;
  }
  const uint64_t pass = ++requested_pass_;
  wake_ = true;
  cv_.notify_all();
  cv_.wait(l, [&] { return stop_ || completed_pass_ >= pass; });
  if (stop_) return Unavailable("the model manager is stopped");
  RETURN_IF_ERROR(ApplyLabels(config));
  config_ = config;
  return Status::OK();
}

Status ModelManager::ApplyLabels(const tensorflow::serving::ModelServerConfig& config) {
  std::map<std::string, std::map<std::string, int64_t>> labels;
  for (const auto& model : config.model_config_list().config()) {
    const ModelState& state = *models_.at(model.name());
    for (const auto& [label, version] : model.version_labels()) {
      bool allow_unavailable = false;
      if (options_.allow_version_labels_for_unavailable_models) {
        // Moving an existing label is still held to the rule, so clients
        // never switch to a version that cannot answer.
        auto m = labels_.find(model.name());
        bool moves = false;
        if (m != labels_.end()) {
          auto it = m->second.find(label);
          moves = it != m->second.end() && it->second != version;
        }
        allow_unavailable = !moves;
      }
      auto v = state.versions.find(version);
      bool available = v != state.versions.end() && v->second.state == kAvailable;
      if (!allow_unavailable && !available) {
        return FailedPrecondition("Request to assign label to version " + std::to_string(version) +
                                  " of model " + model.name() +
                                  ", which is not currently available for inference");
      }
      labels[model.name()][label] = version;
    }
  }
  labels_ = std::move(labels);
  return Status::OK();
}

tensorflow::serving::ModelServerConfig ModelManager::config() const {
  std::lock_guard<std::mutex> l(mu_);
  return config_;
}

void ModelManager::LoaderLoop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    const uint64_t pass = requested_pass_;
    wake_ = false;
    l.unlock();
    Pass();
    l.lock();
    completed_pass_ = std::max(completed_pass_, pass);
    cv_.notify_all();
    auto woken = [&] { return stop_ || wake_; };
    if (options_.file_system_poll_wait_seconds == 0 || !configured_) {
      cv_.wait(l, woken);
    } else {
      cv_.wait_for(l, std::chrono::seconds(options_.file_system_poll_wait_seconds), woken);
    }
  }
}

void ModelManager::Pass() {
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [name, model] : models_) names.push_back(name);
  }
  for (const std::string& name : names) {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stop_) return;
    }
    PassModel(name);
  }
}

void ModelManager::PassModel(const std::string& name) {
  tensorflow::serving::ModelConfig config;
  bool removed;
  {
    std::lock_guard<std::mutex> l(mu_);
    ModelState& model = *models_.at(name);
    config = model.config;
    removed = model.removed;
    // Versions whose last in-flight request has ended.
    for (auto& [version, v] : model.versions) {
      if (v.state == kUnloading && v.unloading.expired()) SetState(name, version, v, kEnd);
    }
  }

  std::set<int64_t> aspired;
  std::map<int64_t, std::string> paths;
  if (!removed) {
    Env* env = options_.env;
    const std::string& base = config.base_path();
    Status scan;
    if (!env->IsDirectory(base)) {
      scan = NotFound("Could not find base path " + base + " for servable " + name);
    } else {
      auto children = env->GetChildren(base);
      if (!children.ok()) {
        scan = children.status();
      } else {
        std::set<int64_t> on_disk;
        for (const std::string& child : *children) {
          int64_t v = ParseVersionDirName(child);
          if (v < 0) continue;
          std::string path = JoinPath(base, child);
          if (!env->IsDirectory(path)) continue;
          on_disk.insert(v);
          paths[v] = path;
        }
        aspired = AspiredVersions(config.model_version_policy(), on_disk);
      }
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      models_.at(name)->scan_status = scan;
    }
    // A base path that cannot be listed changes nothing: what is loaded stays.
    if (!scan.ok()) return;
  }

  // Newest first, so a model's latest version is the first to answer.
  for (auto it = aspired.rbegin(); it != aspired.rend(); ++it) {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stop_) return;
      ModelState& model = *models_.at(name);
      auto v = model.versions.find(*it);
      if (v != model.versions.end() && v->second.state == kAvailable) continue;
      if (v != model.versions.end() && !v->second.status.ok() &&
          std::chrono::steady_clock::now() < v->second.retry_after) {
        continue;
      }
    }
    Load(name, *it, paths[*it]);
  }

  std::lock_guard<std::mutex> l(mu_);
  ModelState& model = *models_.at(name);
  bool aspired_available = false;
  for (int64_t v : aspired) {
    auto it = model.versions.find(v);
    aspired_available |= it != model.versions.end() && it->second.state == kAvailable;
  }
  // Unload only once something the policy wants can answer in their place
  // (or nothing is wanted at all), so a failed load never leaves the model
  // without a version.
  if (!removed && !aspired_available && !aspired.empty()) return;
  for (auto& [version, v] : model.versions) {
    if (v.state != kAvailable || aspired.count(version)) continue;
    v.unloading = v.servable;
    v.servable.reset();
    SetState(name, version, v, v.unloading.expired() ? kEnd : kUnloading);
  }
  cv_.notify_all();
}

void ModelManager::Load(const std::string& name, int64_t version, const std::string& path) {
  {
    std::lock_guard<std::mutex> l(mu_);
    VersionState& v = models_.at(name)->versions[version];
    v.status = Status::OK();
    SetState(name, version, v, kLoading);
  }
  const auto start = std::chrono::steady_clock::now();
  auto bundle = LoadSavedModel(path, options_.tags, options_.load_options);
  if (bundle.ok()) {
    if (Status complete = CheckComplete(**bundle, options_.env); !complete.ok()) bundle = complete;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (options_.metrics != nullptr) options_.metrics->RecordLoad(path, bundle.status(), seconds);

  std::lock_guard<std::mutex> l(mu_);
  VersionState& v = models_.at(name)->versions[version];
  if (bundle.ok()) {
    // The deleter keeps the shared pools alive until the bundle is freed.
    ServableHandle servable(new Servable, [pools = pools_](Servable* p) { delete p; });
    servable->name = name;
    servable->version = version;
    servable->bundle = std::move(bundle).value();
    v.servable = std::move(servable);
    SetState(name, version, v, kAvailable);
    v.failures = 0;
  } else {
    v.status = bundle.status();
    SetState(name, version, v, kEnd);
    // The next scan retries (a copy may have completed since); a version that
    // keeps failing is retried ever less often, up to once a minute, so a
    // broken directory is not reloaded on every scan.
    const int backoff = std::min(v.failures, 6);
    v.retry_after = std::chrono::steady_clock::now() +
                    std::chrono::seconds(backoff == 0 ? 0 : int64_t{1} << backoff) -
                    std::chrono::seconds(backoff == 0 ? 0 : 1);
    ++v.failures;
  }
  cv_.notify_all();
}

StatusOr<ServableHandle> ModelManager::Find(const tensorflow::serving::ModelSpec& spec) const {
  if (spec.name().empty()) return InvalidArgument("ModelSpec has no name specified.");
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(std::optional<int64_t> requested, RequestedVersion(spec, labels_));
  const bool specific = requested.has_value();
  const int64_t version = requested.value_or(-1);
  auto model = models_.find(spec.name());
  if (model != models_.end()) {
    const auto& versions = model->second->versions;
    if (specific) {
      auto it = versions.find(version);
      if (it != versions.end() && it->second.state == kAvailable) return it->second.servable;
    } else {
      for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
        if (it->second.state == kAvailable) return it->second.servable;
      }
    }
  }
  if (specific) {
    return NotFound("Servable not found for request: Specific(" + spec.name() + ", " +
                    std::to_string(version) + ")");
  }
  return NotFound("Servable not found for request: Latest(" + spec.name() + ")");
}

Status ModelManager::GetModelStatus(const tensorflow::serving::ModelSpec& spec,
                                    tensorflow::serving::GetModelStatusResponse* response) const {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(std::optional<int64_t> requested, RequestedVersion(spec, labels_));
  const bool specific = requested.has_value();
  const int64_t version = requested.value_or(-1);
  auto model = models_.find(spec.name());
  auto add = [&](int64_t number, const VersionState& v) {
    auto* out = response->add_model_version_status();
    out->set_version(number);
    int state = v.state;
    if (state == kUnloading && v.unloading.expired()) state = kEnd;
    out->set_state(static_cast<ModelVersionStatus::State>(state));
    out->mutable_status()->set_error_code(static_cast<tensorflow::error::Code>(v.status.code()));
    out->mutable_status()->set_error_message(v.status.message());
  };
  if (specific) {
    if (model != models_.end()) {
      auto it = model->second->versions.find(version);
      if (it != model->second->versions.end()) {
        add(version, it->second);
        return Status::OK();
      }
    }
    return NotFound("Could not find version " + std::to_string(version) + " of model " + spec.name());
  }
  if (model == models_.end() || model->second->versions.empty()) {
    std::string message = "Could not find any versions of model " + spec.name();
    if (model != models_.end() && !model->second->scan_status.ok()) {
      message += " (" + model->second->scan_status.message() + ")";
    }
    return NotFound(message);
  }
  // Newest first, as TF Serving lists them.
  const auto& versions = model->second->versions;
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) add(it->first, it->second);
  return Status::OK();
}

bool ModelManager::Ready() const {
  std::lock_guard<std::mutex> l(mu_);
  return ReadyLocked();
}

bool ModelManager::ReadyLocked() const {
  if (!configured_ || stop_) return false;
  for (const auto& [name, model] : models_) {
    if (model->removed) continue;
    bool any = false;
    for (const auto& [version, v] : model->versions) any |= v.state == kAvailable;
    if (!any) return false;
  }
  return true;
}

bool ModelManager::WaitUntilReady(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait_for(l, timeout, [&] { return stop_ || ReadyLocked(); });
  return ReadyLocked();
}

}  // namespace savedmodel
