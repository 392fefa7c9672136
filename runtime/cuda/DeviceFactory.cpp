//===- DeviceFactory.cpp - the one place that opens a device --------------===//
//
// cuda, else (auto) the CPU device; see DeviceFactory.h.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/DeviceFactory.h"

#include "runtime/cpu/CpuDevice.h"

namespace dlc {

std::unique_ptr<Device>
openDevice(DeviceKind kind, const CudaDeviceOptions &cuda, std::string &err) {
  if (kind == DeviceKind::Reference)
    return nullptr;
  if (kind == DeviceKind::Cuda || kind == DeviceKind::Auto) {
    std::string why;
    if (auto device = CudaDevice::create(cuda, why))
      return device;
    if (kind == DeviceKind::Cuda) {
      err = why;
      return nullptr;
    }
  }
  return std::make_unique<CpuDevice>();
}

} // namespace dlc
