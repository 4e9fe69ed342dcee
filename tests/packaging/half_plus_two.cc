// A program as a user of the installed library writes it: TF Serving's
// half_plus_two (y = x / 2 + 2) run through savedmodel::api on x = 1, 2, 5.
// Prints the three values on one line; scripts/test-packaging checks it.
#include <savedmodel/savedmodel.h>

#include <cstring>
#include <iostream>

int main(int argc, char** argv) {
  namespace sm = savedmodel::api;
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " SAVED_MODEL_DIR\n";
    return 2;
  }
  // The headers and the library the program runs with must be one release.
  if (std::strcmp(sm::Version(), SAVEDMODEL_VERSION) != 0) {
    std::cerr << "headers " << SAVEDMODEL_VERSION << ", library " << sm::Version() << "\n";
    return 1;
  }
  auto model = sm::Model::Load(argv[1], {"serve"});
  if (!model.ok()) {
    std::cerr << model.status().ToString() << "\n";
    return 1;
  }
  auto x = sm::Tensor::FromVector<float>({3, 1}, {1, 2, 5});
  if (!x.ok()) {
    std::cerr << x.status().ToString() << "\n";
    return 1;
  }
  auto outputs = model->Predict("serving_default", {{"x", *x}});
  if (!outputs.ok()) {
    std::cerr << outputs.status().ToString() << "\n";
    return 1;
  }
  const char* sep = "";
  for (float y : outputs->at("y").ToVector<float>()) {
    std::cout << sep << y;
    sep = " ";
  }
  std::cout << "\n";
  return 0;
}
