//===- DeviceFactory.h - the one place that opens a device ------*- C++ -*-===//
//
// `dlc run`, `dlc train` and `dlc tune` all pick a device from a --device
// flag: cuda (fail without a GPU), cpu, auto (cuda when a driver and GPU
// are present, else cpu) or reference (the interpreter: no device). The
// choice was written out in each command; it is here once. MLIR-free: the
// reference "device" is the caller's interpreter, so openDevice() returns
// null for it.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_RUNTIME_CUDA_DEVICEFACTORY_H
#define DLC_RUNTIME_CUDA_DEVICEFACTORY_H

#include "runtime/cuda/CudaDevice.h"

#include <memory>
#include <string>

namespace dlc {

/// What --device names.
enum class DeviceKind { Reference, Auto, Cpu, Cuda };

/// The device of `kind`: a CudaDevice with `cuda` options (Cuda; Auto when
/// one can be created), else a CpuDevice (Cpu, Auto). Null for Reference,
/// and for Cuda when no GPU can be used, with `err` set to why.
std::unique_ptr<Device>
openDevice(DeviceKind kind, const CudaDeviceOptions &cuda, std::string &err);

} // namespace dlc

#endif // DLC_RUNTIME_CUDA_DEVICEFACTORY_H
