#include "savedmodel/base/denormal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace savedmodel {
namespace {

#if defined(__x86_64__) || defined(__i386__)
constexpr unsigned kFlushBits = 0x8000 | 0x0040;  // MXCSR: flush-to-zero, denormals-are-zero
unsigned long Get() { return _mm_getcsr(); }
void Set(unsigned long v) { _mm_setcsr(static_cast<unsigned>(v)); }
#elif defined(__aarch64__)
constexpr unsigned long kFlushBits = 1ul << 24;  // FPCR.FZ
unsigned long Get() {
  unsigned long v;
  asm volatile("mrs %0, fpcr" : "=r"(v));
  return v;
}
void Set(unsigned long v) { asm volatile("msr fpcr, %0" : : "r"(v)); }
#else
constexpr unsigned long kFlushBits = 0;
unsigned long Get() { return 0; }
void Set(unsigned long) {}
#endif

}  // namespace

ScopedFlushDenormal::ScopedFlushDenormal() : saved_(Get()) {
  if ((saved_ & kFlushBits) != kFlushBits) Set(saved_ | kFlushBits);
}

ScopedFlushDenormal::~ScopedFlushDenormal() {
  if ((saved_ & kFlushBits) != kFlushBits) Set(saved_);
}

}  // namespace savedmodel
