// The servable manager: TF Serving's ServerCore over a file-system source, for
// one ModelServerConfig's model_config_list.
//
// Each model's base_path holds numbered version directories (base/123/...;
// names that are not decimal numbers are ignored). The model's version policy
// picks the versions to serve: latest {num_versions} (default 1), all, or
// specific {versions}. A loader thread scans every base path (once per
// config, then every file_system_poll_wait_seconds), loads the versions the
// policy wants and unloads the rest, one at a time:
//
//  - A version is published atomically once loaded; requests already running
//    keep the ServableHandle they found, so a version that is unloaded is freed
//    only when its last in-flight request ends.
//  - Versions the policy drops are unloaded only once a version it wants is
//    AVAILABLE (so a new version that fails to load, e.g. a directory still
//    being copied, leaves the old one serving); the failure shows in
//    GetModelStatus (state END with the load error) and the load is retried
//    at the next scan (then after 1, 3, 7, ... up to 63 seconds while it
//    keeps failing; a ReloadConfig retries at once). A graph with variables
//    but no variables/ yet counts as a failed load: it is a copy in progress.
//  - A removed model's versions are unloaded at once.
//
// States and their order follow TF Serving's ServableStateMonitor: START ->
// LOADING -> AVAILABLE -> UNLOADING -> END (UNLOADING lasts until the last
// handle is released), or LOADING -> END with an error status. Versions that
// reached END stay listed, as in TF Serving.
//
// Thread-safe. Find is a map lookup under a short lock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "savedmodel/base/env.h"
#include "savedmodel/base/status.h"
#include "savedmodel/base/thread_pool.h"
#include "savedmodel/exec/saved_model_bundle.h"
#include "savedmodel/serve/metrics.h"
#include "savedmodel/serve/servable.h"
#include "tensorflow_serving/config/model_server_config.pb.h"

namespace savedmodel {

struct ModelManagerOptions {
  // Where base paths are read and models loaded from. Must outlive the manager.
  Env* env = Env::Default();
  // Seconds between scans of the base paths; 0 scans once per config (TF
  // Serving's --file_system_poll_wait_seconds, default 1).
  int64_t file_system_poll_wait_seconds = 1;
  // TF Serving's --allow_version_labels_for_unavailable_models: a label may
  // name a version that is not AVAILABLE, except that moving an existing
  // label to another version still requires it to be AVAILABLE.
  bool allow_version_labels_for_unavailable_models = false;
  // The MetaGraphDef to load (TF Serving's --saved_model_tags).
  std::vector<std::string> tags = {"serve"};
  // How each version loads. Its session thread counts are ignored: every
  // loaded model runs on the manager's one shared intra-op and inter-op pool
  // pair, sized below (0: the hardware thread count; TF Serving's
  // --tensorflow_intra_op_parallelism / --tensorflow_inter_op_parallelism).
  LoadOptions load_options;
  int intra_op_threads = 0;
  int inter_op_threads = 0;
  // Load attempts and version states are recorded here when set; must outlive
  // the manager.
  ServingMetrics* metrics = nullptr;
};

class ModelManager : public ServableSource {
 public:
  // A manager with no models, its loader thread started. Give it models with
  // ReloadConfig.
  static StatusOr<std::unique_ptr<ModelManager>> Create(const ModelManagerOptions& options);
  ~ModelManager() override;  // Stop()

  // Makes `config` the served set, as TF Serving's ServerCore::ReloadConfig:
  // models added are loaded, models removed are unloaded, policies and labels
  // take effect. Blocks until the loader has scanned every model once under
  // the new config and each wanted version has loaded or failed, then applies
  // the version labels with TF Serving's rule: a label must name an AVAILABLE
  // version (see ModelManagerOptions); otherwise FAILED_PRECONDITION "Request
  // to assign label to version V of model M, which is not currently available
  // for inference" and the previous labels stay. INVALID_ARGUMENT for a config
  // without a model_config_list (custom_model_config is not supported), a
  // model without a name or base_path, or a name used twice. A model whose
  // base path is missing is not an error here: its status says so. An empty
  // config (nothing set) changes nothing, as in TF Serving.
  // Calls are serialized.
  Status ReloadConfig(const tensorflow::serving::ModelServerConfig& config);

  // The config last applied in full by ReloadConfig. One refused for its
  // labels is not it (although its models were applied), so a config-file
  // poller that reloads only on a difference tries it again at its next poll,
  // when the versions it labels have loaded: TF Serving's poller, which
  // reloads every time, gets there the same way.
  tensorflow::serving::ModelServerConfig config() const;

  // See ServableSource. Also INVALID_ARGUMENT "ModelSpec has no name
  // specified." for an empty name.
  StatusOr<ServableHandle> Find(const tensorflow::serving::ModelSpec& spec) const override;
  Status GetModelStatus(const tensorflow::serving::ModelSpec& spec,
                        tensorflow::serving::GetModelStatusResponse* response) const override;

  // True when every configured model has an AVAILABLE version (the readiness
  // probe). False before the first config and after Stop().
  bool Ready() const;
  // Waits up to `timeout` for Ready(); returns it.
  bool WaitUntilReady(std::chrono::milliseconds timeout) const;

  // Stops the loader thread and unloads every version (handles already
  // handed out stay valid). Find then fails with NOT_FOUND. Idempotent.
  void Stop();

 private:
  struct VersionState;
  struct ModelState;
  explicit ModelManager(const ModelManagerOptions& options);
  void LoaderLoop();
  // One scan and load/unload pass over every model. Called by the loader
  // thread only, without mu_ held.
  void Pass();
  void PassModel(const std::string& name);
  void Load(const std::string& name, int64_t version, const std::string& path);
  Status ApplyLabels(const tensorflow::serving::ModelServerConfig& config);  // REQUIRES: mu_ held
  void SetState(const std::string& name, int64_t version, VersionState& v, int state);  // mu_ held
  bool ReadyLocked() const;  // REQUIRES: mu_ held

  ModelManagerOptions options_;
  // The pools every loaded model runs on. Each handle shares ownership, so a
  // request still holding one after the manager is gone runs on live pools.
  struct Pools {
    std::unique_ptr<ThreadPool> intra;
    std::unique_ptr<ThreadPool> inter;
  };
  std::shared_ptr<Pools> pools_;

  std::mutex reload_mu_;  // serializes ReloadConfig
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;  // state changes: passes done, versions available, stop
  tensorflow::serving::ModelServerConfig config_;
  std::map<std::string, std::unique_ptr<ModelState>> models_;
  std::map<std::string, std::map<std::string, int64_t>> labels_;
  bool configured_ = false;
  bool stop_ = false;
  bool wake_ = false;          // a config change asks the loader for a pass now
  uint64_t requested_pass_ = 0;  // passes asked for by ReloadConfig
  uint64_t completed_pass_ = 0;  // passes the loader finished
  std::thread loader_;
};

}  // namespace savedmodel
