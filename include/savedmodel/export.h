// SAVEDMODEL_EXPORT marks the public API: the only symbols the shared library
// exports (with cmake/savedmodel.map hiding the rest of the runtime).
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define SAVEDMODEL_EXPORT __attribute__((visibility("default")))
#else
#define SAVEDMODEL_EXPORT
#endif
