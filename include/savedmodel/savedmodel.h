// The savedmodel C++ API: load a TensorFlow SavedModel and run it, without
// TensorFlow.
//
//   #include <savedmodel/savedmodel.h>
//   namespace sm = savedmodel::api;
//   auto model = sm::Model::Load("/models/half_plus_two/00000123", {"serve"});
//   if (!model.ok()) { std::cerr << model.status().ToString() << "\n"; return 1; }
//   auto x = sm::Tensor::FromVector<float>({3}, {1, 2, 5});
//   auto out = model->Predict("serving_default", {{"x", *x}});
//   for (float y : out->at("y").ToVector<float>()) std::cout << y << " ";  // 2.5 3 4.5
//
// Everything here is in namespace savedmodel::api; the library exports nothing
// else. SAVEDMODEL_VERSION is the version these headers belong to, Version()
// the version of the library the program runs with.
#pragma once

#include "savedmodel/export.h"
#include "savedmodel/model.h"
#include "savedmodel/status.h"
#include "savedmodel/tensor.h"
#include "savedmodel/version.h"

namespace savedmodel::api {

// "0.1.0": the library's SAVEDMODEL_VERSION.
SAVEDMODEL_EXPORT const char* Version();

}  // namespace savedmodel::api
