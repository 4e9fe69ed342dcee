// The public API's free functions over the runtime's: status code names and
// the library's version.
#include <string>

#include "savedmodel/api/tensor_access.h"
#include "savedmodel/savedmodel.h"

namespace savedmodel::api {

const char* StatusCodeName(StatusCode code) {
  // The runtime's names are string_views of literals, so data() is terminated.
  return savedmodel::StatusCodeName(static_cast<savedmodel::StatusCode>(code)).data();
}

const char* Version() { return SAVEDMODEL_VERSION; }

}  // namespace savedmodel::api

namespace savedmodel::api_internal {

api::Status FromInternal(const Status& status) {
  return api::Status(static_cast<api::StatusCode>(static_cast<int>(status.code())), status.message());
}

}  // namespace savedmodel::api_internal
