//===- Sass.h - instruction counts of a cubin, from cuobjdump ---*- C++ -*-===//
//
// cuobjdump is not part of dlc's build: it is looked for at run time, as
// NVRTC is ($DLC_CUOBJDUMP, then $PATH, then bin/ under $CUDA_HOME,
// $CUDA_PATH and /usr/local/cuda, then /opt/dlc-sass-tools/nvidia/cu13/bin,
// where .ci/install-deps puts the PyPI package nvidia-cuda-cuobjdump).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_RUNTIME_REPORT_SASS_H
#define DLC_RUNTIME_REPORT_SASS_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dlc {

/// Static counts of the instruction classes that tell a kernel's quality.
struct SassCounts {
  int64_t instructions = 0;
  int64_t hmma = 0;   ///< HMMA: mma.sync / wmma on tensor cores
  int64_t hgmma = 0;  ///< HGMMA: wgmma (sm_90a)
  int64_t ldgsts = 0; ///< LDGSTS: cp.async
  int64_t ldsm = 0;   ///< LDSM: ldmatrix
  int64_t tma = 0;    ///< UTMALDG: TMA loads
  int64_t ldg128 = 0; ///< 128-bit global loads (LDG.E.128)
  int64_t stg128 = 0; ///< 128-bit global stores
  int64_t ffma = 0;
  int64_t local = 0;  ///< LDL/STL: local memory (spills, stack arrays)
};

/// The cuobjdump to run, or empty when none is found.
std::string findCuobjdump();

/// Disassembles `cubinPath` with `cuobjdump -sass` and counts per kernel
/// (keyed by the function's name). False with `err` on failure.
bool sassCounts(const std::string &cuobjdump, const std::string &cubinPath,
                std::map<std::string, SassCounts> &out, std::string &err);

/// Counts in cuobjdump's -sass text (exposed for tests).
std::map<std::string, SassCounts> parseSass(const std::string &text);

} // namespace dlc

#endif // DLC_RUNTIME_REPORT_SASS_H
