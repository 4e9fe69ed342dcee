// Readers for the IDX format (LeCun's MNIST files, also used by Fashion-MNIST)
// and the four-file MNIST layout built on it.
//
// IDX layout, big-endian throughout:
//   [0..1]  0x00 0x00
//   [2]     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
//           0x0D float32, 0x0E float64
//   [3]     rank
//   [4..]   rank x uint32 dims
//   then    prod(dims) elements, each big-endian
// A file may be gzip-compressed as a whole (it then starts 0x1f 0x8b).
#pragma once

#include <string>

#include "savedmodel/base/env.h"
#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"

namespace savedmodel {

// Reads one IDX file, raw or gzip-compressed, into a tensor of its dims and
// element type (uint8, int8, int16, int32, float or double).
//
// Hostile input fails with DataLoss or InvalidArgument naming `path`: the dims
// are checked against the bytes the file can hold before anything is
// allocated (for gzip, against the stored uncompressed size and deflate's
// maximum ratio), no more than the dims need (plus a few bytes to detect
// excess) is ever inflated, and the gzip CRC is verified. A gzip file must be
// one member, as gzip(1) writes it; bytes after it are an error. Thread-safe.
StatusOr<Tensor> ReadIdx(Env* env, const std::string& path);

// Debian's dataset-fashion-mnist package installs the four files here.
inline constexpr char kDefaultMnistDir[] = "/usr/share/datasets/fashion-mnist";

struct MnistData {
  // Pixels as stored, one image per row. The tutorial feeds pixel / 255;
  // scaling the whole training set up front would fill 188 MB of floats (most
  // of loading's time, in page faults) for a run that reads one batch at a
  // time, so a consumer scales what it draws (ScalePixels, ScaleImages).
  Tensor train_images;  // [N, rows * cols] uint8
  Tensor train_labels;  // [N] int64
  Tensor test_images;   // [M, rows * cols] uint8
  Tensor test_labels;   // [M] int64
};

// out[i] = pixels[i] / 255 in float (the tutorial's inputs, in [0, 1]).
void ScalePixels(const uint8_t* pixels, int64_t n, float* out);
// The same for a whole uint8 tensor, into a float one of its shape.
StatusOr<Tensor> ScaleImages(const Tensor& images);

// Loads train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte
// and t10k-labels-idx1-ubyte from `dir`, each with or without a ".gz" suffix
// (the compressed one wins when both exist). Images must be uint8 [N, rows,
// cols] and labels uint8 [N] with matching N; NotFound when a file is missing.
// The two splits are decoded on two threads.
StatusOr<MnistData> LoadMnist(Env* env, const std::string& dir = kDefaultMnistDir);

}  // namespace savedmodel
