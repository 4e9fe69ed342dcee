// Flush-to-zero for the duration of a scope. TensorFlow runs its CPU kernels
// with denormal floats flushed to zero (inputs read as zero, results below the
// smallest normal written as zero), so -1 / 3e38 is -0 there, not -3.3e-39.
// Kernels run under this guard to give the same answers. Per thread: the
// setting lives in the floating-point control register (MXCSR on x86, FPCR on
// ARM64); other architectures keep IEEE behaviour.
#pragma once

namespace savedmodel {

class ScopedFlushDenormal {
 public:
  ScopedFlushDenormal();
  ~ScopedFlushDenormal();
  ScopedFlushDenormal(const ScopedFlushDenormal&) = delete;
  ScopedFlushDenormal& operator=(const ScopedFlushDenormal&) = delete;

 private:
  unsigned long saved_ = 0;
};

}  // namespace savedmodel
