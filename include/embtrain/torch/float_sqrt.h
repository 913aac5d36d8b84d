// float_sqrt.h — ATen's float32 square root on a raw buffer, bit for bit, without a tensor.
//
// Why: SparseAdam's row update needs sqrt(v) with the bits torch.sqrt gives in Python, and
// LibTorch's CPU float sqrt is not std::sqrt: the x86 wheel computes it with MKL's vmsSqrt
// (VML_HA), which differs from the correctly rounded root in 8% to 17% of values (measured:
// 200,003 squared normals over 2^-140..2^20, and 10^6 values below 1). ATen's sqrt on a tensor
// wants the whole [K, D] buffer allocated each step (a dispatch per call makes small tiles
// dear), and a second pass over the moments; the same MKL function on a small tile needs
// neither.
//
// How it stays ATen's: at first use, vmsSqrt is looked up in the loaded libraries (dlsym) with
// the mode ATen passes (VML_HA | VML_FTZDAZ_OFF | VML_ERRMODE_IGNORE), and checked against
// at::sqrt on a probe of 4,099 values (normal, tiny, denormal, zero, large, infinite); MKL's
// result is the same for an element at any offset and tile length (checked in
// tests/torch/test_float_sqrt.cpp). Where the symbol is missing (a LibTorch built without
// MKL) or the probe differs, each call is at::sqrt on a view of the buffer: slower, same bits.
//
// Thread-safety: any thread (the lookup is a function-local static).
#pragma once

#include <cstdint>

namespace embtrain {

// out[i] = sqrt(in[i]) as at::sqrt computes it for float32 on the CPU, for i in [0, n).
// `out` may equal `in`.
void aten_sqrt(float* out, const float* in, int64_t n);

// Whether aten_sqrt calls MKL directly (true) or goes through at::sqrt (false).
bool aten_sqrt_is_direct();

}  // namespace embtrain
