//===- CudaDriver.cpp - libcuda loaded with dlopen --------------*- C++ -*-===//

#include "runtime/cuda/CudaDriver.h"

#include "runtime/core/Env.h"

#include <dlfcn.h>
#include <mutex>

namespace dlc::cuda {

namespace {

struct ErrorRow {
  CUresult code;
  const char *name;
};

// The codes the runtime can meet, spelled as cuGetErrorName spells them
// (cuda.h, CUDA 12/13).
constexpr ErrorRow kErrors[] = {
    {0, "CUDA_SUCCESS"},
    {1, "CUDA_ERROR_INVALID_VALUE"},
    {2, "CUDA_ERROR_OUT_OF_MEMORY"},
    {3, "CUDA_ERROR_NOT_INITIALIZED"},
    {4, "CUDA_ERROR_DEINITIALIZED"},
    {34, "CUDA_ERROR_STUB_LIBRARY"},
    {35, "CUDA_ERROR_INSUFFICIENT_DRIVER"},
    {100, "CUDA_ERROR_NO_DEVICE"},
    {101, "CUDA_ERROR_INVALID_DEVICE"},
    {200, "CUDA_ERROR_INVALID_IMAGE"},
    {201, "CUDA_ERROR_INVALID_CONTEXT"},
    {209, "CUDA_ERROR_NO_BINARY_FOR_GPU"},
    {218, "CUDA_ERROR_INVALID_PTX"},
    {222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"},
    {400, "CUDA_ERROR_INVALID_HANDLE"},
    {500, "CUDA_ERROR_NOT_FOUND"},
    {600, "CUDA_ERROR_NOT_READY"},
    {700, "CUDA_ERROR_ILLEGAL_ADDRESS"},
    {701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"},
    {702, "CUDA_ERROR_LAUNCH_TIMEOUT"},
    {719, "CUDA_ERROR_LAUNCH_FAILED"},
    {900, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"},
    {901, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"},
    {999, "CUDA_ERROR_UNKNOWN"},
};

std::string joinNames(const std::vector<std::string> &v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + v[i];
  return s;
}

template <typename A> std::string dims(const A &a) {
  return "[" + std::to_string(a[0]) + ", " + std::to_string(a[1]) + ", " +
         std::to_string(a[2]) + "]";
}

} // namespace

// The entry points, with the signatures of cuda.h (CUDA 12/13). Where a
// function has versioned symbols, the one named is the one cuda.h maps the
// plain name to (without per-thread default streams).
struct CudaDriver::Api {
  CUresult (*init)(unsigned);
  CUresult (*driverGetVersion)(int *);
  CUresult (*getErrorName)(CUresult, const char **);
  CUresult (*getErrorString)(CUresult, const char **);
  CUresult (*deviceGetCount)(int *);
  CUresult (*deviceGet)(CUdevice *, int);
  CUresult (*deviceGetName)(char *, int, CUdevice);
  CUresult (*deviceGetAttribute)(int *, int, CUdevice);
  CUresult (*primaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*primaryCtxRelease)(CUdevice);
  CUresult (*ctxSetCurrent)(CUcontext);
  CUresult (*ctxSynchronize)();
  CUresult (*moduleLoadData)(CUmodule *, const void *);
  CUresult (*moduleUnload)(CUmodule);
  CUresult (*moduleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*funcSetAttribute)(CUfunction, int, int);
  CUresult (*launchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned, CUstream, void **,
                           void **);
  CUresult (*memAlloc)(CUdeviceptr *, size_t);
  CUresult (*memFree)(CUdeviceptr);
  CUresult (*memcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*memcpyDtoH)(void *, CUdeviceptr, size_t);
  CUresult (*memcpyHtoDAsync)(CUdeviceptr, const void *, size_t, CUstream);
  CUresult (*memcpyDtoHAsync)(void *, CUdeviceptr, size_t, CUstream);
  CUresult (*memsetD8Async)(CUdeviceptr, unsigned char, size_t, CUstream);
  CUresult (*streamCreate)(CUstream *, unsigned);
  CUresult (*streamDestroy)(CUstream);
  CUresult (*streamSynchronize)(CUstream);
  CUresult (*streamBeginCapture)(CUstream, int);
  CUresult (*streamEndCapture)(CUstream, CUgraph *);
  CUresult (*graphInstantiateWithFlags)(CUgraphExec *, CUgraph,
                                        unsigned long long);
  CUresult (*graphLaunch)(CUgraphExec, CUstream);
  CUresult (*graphDestroy)(CUgraph);
  CUresult (*graphExecDestroy)(CUgraphExec);
  CUresult (*eventCreate)(CUevent *, unsigned);
  CUresult (*eventDestroy)(CUevent);
  CUresult (*eventRecord)(CUevent, CUstream);
  CUresult (*eventSynchronize)(CUevent);
  CUresult (*eventElapsedTime)(float *, CUevent, CUevent);
};

std::string builtinErrorName(CUresult code) {
  for (const ErrorRow &r : kErrors)
    if (r.code == code)
      return r.name;
  return "CUDA_ERROR_" + std::to_string(code);
}

std::string formatCudaError(const std::string &call, CUresult code,
                            const std::string &name,
                            const std::string &description) {
  std::string s = call + ": " + name;
  if (!description.empty())
    s += " (" + description + ")";
  return s + " [" + std::to_string(code) + "]";
}

std::string describeLaunch(const LaunchContext &ctx) {
  std::string s = "kernel " + ctx.kernel;
  if (!ctx.nodes.empty())
    s += " (model node" + std::string(ctx.nodes.size() > 1 ? "s " : " ") +
         joinNames(ctx.nodes) + ")";
  return s + ", grid " + dims(ctx.grid) + ", block " + dims(ctx.block);
}

CudaDriver::CudaDriver() : api_(std::make_unique<Api>()) {}

CudaDriver::~CudaDriver() {
  // The library stays loaded: kernels and contexts may outlive this object
  // in driver-owned threads, and unloading libcuda is never safe.
}

std::unique_ptr<CudaDriver> CudaDriver::open(const std::string &path,
                                             std::string &why) {
  ::dlerror();
  void *h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *e = ::dlerror();
    std::string reason = e ? e : "unknown dlopen error";
    if (reason.rfind(path + ": ", 0) == 0) // dlerror often repeats the path
      reason = reason.substr(path.size() + 2);
    why = "no CUDA driver: cannot load " + path + ": " + reason;
    return nullptr;
  }
  std::unique_ptr<CudaDriver> d(new CudaDriver());
  d->handle_ = h;
  d->libraryPath_ = path;
  Api &a = *d->api_;
  std::string missing;
  // The first name the library exports wins (newer names first).
  auto bind = [&](auto &fn, std::initializer_list<const char *> names) {
    for (const char *n : names)
      if (void *p = ::dlsym(h, n)) {
        fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(p);
        return;
      }
    fn = nullptr;
    missing += (missing.empty() ? "" : ", ") + std::string(*names.begin());
  };
  bind(a.init, {"cuInit"});
  bind(a.driverGetVersion, {"cuDriverGetVersion"});
  bind(a.getErrorName, {"cuGetErrorName"});
  bind(a.getErrorString, {"cuGetErrorString"});
  bind(a.deviceGetCount, {"cuDeviceGetCount"});
  bind(a.deviceGet, {"cuDeviceGet"});
  bind(a.deviceGetName, {"cuDeviceGetName"});
  bind(a.deviceGetAttribute, {"cuDeviceGetAttribute"});
  bind(a.primaryCtxRetain, {"cuDevicePrimaryCtxRetain"});
  bind(a.primaryCtxRelease, {"cuDevicePrimaryCtxRelease_v2"});
  bind(a.ctxSetCurrent, {"cuCtxSetCurrent"});
  bind(a.ctxSynchronize, {"cuCtxSynchronize"});
  bind(a.moduleLoadData, {"cuModuleLoadData"});
  bind(a.moduleUnload, {"cuModuleUnload"});
  bind(a.moduleGetFunction, {"cuModuleGetFunction"});
  bind(a.funcSetAttribute, {"cuFuncSetAttribute"});
  bind(a.launchKernel, {"cuLaunchKernel"});
  bind(a.memAlloc, {"cuMemAlloc_v2"});
  bind(a.memFree, {"cuMemFree_v2"});
  bind(a.memcpyHtoD, {"cuMemcpyHtoD_v2"});
  bind(a.memcpyDtoH, {"cuMemcpyDtoH_v2"});
  bind(a.memcpyHtoDAsync, {"cuMemcpyHtoDAsync_v2"});
  bind(a.memcpyDtoHAsync, {"cuMemcpyDtoHAsync_v2"});
  bind(a.memsetD8Async, {"cuMemsetD8Async"});
  bind(a.streamCreate, {"cuStreamCreate"});
  bind(a.streamDestroy, {"cuStreamDestroy_v2"});
  bind(a.streamSynchronize, {"cuStreamSynchronize"});
  bind(a.streamBeginCapture, {"cuStreamBeginCapture_v2"});
  bind(a.streamEndCapture, {"cuStreamEndCapture"});
  bind(a.graphInstantiateWithFlags, {"cuGraphInstantiateWithFlags"});
  bind(a.graphLaunch, {"cuGraphLaunch"});
  bind(a.graphDestroy, {"cuGraphDestroy"});
  bind(a.graphExecDestroy, {"cuGraphExecDestroy"});
  bind(a.eventCreate, {"cuEventCreate"});
  bind(a.eventDestroy, {"cuEventDestroy_v2"});
  bind(a.eventRecord, {"cuEventRecord"});
  bind(a.eventSynchronize, {"cuEventSynchronize"});
  // CUDA 12.8 added cuEventElapsedTime_v2 (same signature); 13 maps the
  // plain name to it.
  bind(a.eventElapsedTime, {"cuEventElapsedTime_v2", "cuEventElapsedTime"});
  if (!missing.empty()) {
    why = "no usable CUDA driver: " + path +
          " lacks " + missing + " (a driver for CUDA 12 or newer is needed)";
    return nullptr;
  }
  std::string err;
  if (!d->check(a.init(0), "cuInit", err)) {
    why = "no CUDA device: " + err;
    return nullptr;
  }
  if (!d->check(a.driverGetVersion(&d->driverVersion_), "cuDriverGetVersion",
                err)) {
    why = "no usable CUDA driver: " + err;
    return nullptr;
  }
  if (d->driverVersion_ < 12000) {
    why = "no usable CUDA driver: " + path + " is for CUDA " +
          std::to_string(d->driverVersion_ / 1000) + "." +
          std::to_string(d->driverVersion_ % 1000 / 10) +
          "; CUDA 12 or newer is needed";
    return nullptr;
  }
  return d;
}

CudaDriver *CudaDriver::get(std::string &why) {
  static std::once_flag once;
  static std::unique_ptr<CudaDriver> driver;
  static std::string reason;
  std::call_once(once, [] {
    std::string path = getEnv(Env::CudaDriver).value_or("libcuda.so.1");
    driver = open(path, reason);
    if (!driver)
      return;
    int count = 0;
    std::string err;
    if (!driver->deviceCount(count, err)) {
      reason = "no CUDA device: " + err;
      driver.reset();
    } else if (count < 1) {
      reason = "no CUDA device: the driver (" + path + ") sees none";
      driver.reset();
    }
  });
  if (!driver)
    why = reason;
  return driver.get();
}

bool CudaDriver::available(std::string &why) { return get(why) != nullptr; }

std::string CudaDriver::errorName(CUresult code) const {
  const char *s = nullptr;
  if (api_->getErrorName && api_->getErrorName(code, &s) == CUDA_SUCCESS && s)
    return s;
  return builtinErrorName(code);
}

std::string CudaDriver::errorString(CUresult code) const {
  const char *s = nullptr;
  if (api_->getErrorString && api_->getErrorString(code, &s) == CUDA_SUCCESS &&
      s)
    return s;
  return {};
}

bool CudaDriver::check(CUresult r, const char *call, std::string &err) const {
  if (r == CUDA_SUCCESS)
    return true;
  err = formatCudaError(call, r, errorName(r), errorString(r));
  return false;
}

// Each wrapper: one driver call, checked, named as in cuda.h.
#define DLC_CHECKED(CALL_NAME, EXPR) return check((EXPR), CALL_NAME, err)

bool CudaDriver::deviceCount(int &count, std::string &err) const {
  DLC_CHECKED("cuDeviceGetCount", api_->deviceGetCount(&count));
}
bool CudaDriver::deviceGet(CUdevice &dev, int ordinal, std::string &err) const {
  DLC_CHECKED("cuDeviceGet", api_->deviceGet(&dev, ordinal));
}
bool CudaDriver::deviceName(CUdevice dev, std::string &name,
                            std::string &err) const {
  char buf[256] = {};
  if (!check(api_->deviceGetName(buf, sizeof(buf) - 1, dev), "cuDeviceGetName",
             err))
    return false;
  name = buf;
  return true;
}
bool CudaDriver::deviceAttribute(CUdevice dev, int attribute, int &value,
                                 std::string &err) const {
  if (check(api_->deviceGetAttribute(&value, attribute, dev),
            "cuDeviceGetAttribute", err))
    return true;
  err += " (attribute " + std::to_string(attribute) + ")";
  return false;
}
bool CudaDriver::computeCapability(CUdevice dev, int &major, int &minor,
                                   std::string &err) const {
  return deviceAttribute(dev, kAttrComputeCapabilityMajor, major, err) &&
         deviceAttribute(dev, kAttrComputeCapabilityMinor, minor, err);
}
bool CudaDriver::retainPrimaryContext(CUdevice dev, CUcontext &ctx,
                                      std::string &err) const {
  return check(api_->primaryCtxRetain(&ctx, dev), "cuDevicePrimaryCtxRetain",
               err) &&
         check(api_->ctxSetCurrent(ctx), "cuCtxSetCurrent", err);
}
bool CudaDriver::releasePrimaryContext(CUdevice dev, std::string &err) const {
  DLC_CHECKED("cuDevicePrimaryCtxRelease", api_->primaryCtxRelease(dev));
}
bool CudaDriver::setCurrentContext(CUcontext ctx, std::string &err) const {
  DLC_CHECKED("cuCtxSetCurrent", api_->ctxSetCurrent(ctx));
}
bool CudaDriver::contextSynchronize(std::string &err) const {
  DLC_CHECKED("cuCtxSynchronize", api_->ctxSynchronize());
}
bool CudaDriver::moduleLoadData(CUmodule &mod, const void *image,
                                std::string &err) const {
  DLC_CHECKED("cuModuleLoadData", api_->moduleLoadData(&mod, image));
}
bool CudaDriver::moduleUnload(CUmodule mod, std::string &err) const {
  DLC_CHECKED("cuModuleUnload", api_->moduleUnload(mod));
}
bool CudaDriver::moduleGetFunction(CUfunction &fn, CUmodule mod,
                                   const std::string &name,
                                   std::string &err) const {
  if (check(api_->moduleGetFunction(&fn, mod, name.c_str()),
            "cuModuleGetFunction", err))
    return true;
  err = "kernel " + name + ": " + err;
  return false;
}
bool CudaDriver::funcSetAttribute(CUfunction fn, int attribute, int value,
                                  std::string &err) const {
  DLC_CHECKED("cuFuncSetAttribute",
              api_->funcSetAttribute(fn, attribute, value));
}
bool CudaDriver::launchKernel(CUfunction fn, const LaunchContext &ctx,
                              unsigned sharedBytes, CUstream stream,
                              void **params, std::string &err) const {
  if (check(api_->launchKernel(fn, ctx.grid[0], ctx.grid[1], ctx.grid[2],
                               ctx.block[0], ctx.block[1], ctx.block[2],
                               sharedBytes, stream, params, nullptr),
            "cuLaunchKernel", err))
    return true;
  err = describeLaunch(ctx) + ": " + err;
  return false;
}
bool CudaDriver::memAlloc(CUdeviceptr &ptr, size_t bytes,
                          std::string &err) const {
  if (check(api_->memAlloc(&ptr, bytes), "cuMemAlloc", err))
    return true;
  err += " (" + std::to_string(bytes) + " bytes)";
  return false;
}
bool CudaDriver::memFree(CUdeviceptr ptr, std::string &err) const {
  DLC_CHECKED("cuMemFree", api_->memFree(ptr));
}
bool CudaDriver::memcpyHtoD(CUdeviceptr dst, const void *src, size_t bytes,
                            std::string &err) const {
  DLC_CHECKED("cuMemcpyHtoD", api_->memcpyHtoD(dst, src, bytes));
}
bool CudaDriver::memcpyDtoH(void *dst, CUdeviceptr src, size_t bytes,
                            std::string &err) const {
  DLC_CHECKED("cuMemcpyDtoH", api_->memcpyDtoH(dst, src, bytes));
}
bool CudaDriver::memcpyHtoDAsync(CUdeviceptr dst, const void *src,
                                 size_t bytes, CUstream stream,
                                 std::string &err) const {
  DLC_CHECKED("cuMemcpyHtoDAsync",
              api_->memcpyHtoDAsync(dst, src, bytes, stream));
}
bool CudaDriver::memcpyDtoHAsync(void *dst, CUdeviceptr src, size_t bytes,
                                 CUstream stream, std::string &err) const {
  DLC_CHECKED("cuMemcpyDtoHAsync",
              api_->memcpyDtoHAsync(dst, src, bytes, stream));
}
bool CudaDriver::memsetD8Async(CUdeviceptr dst, unsigned char value,
                               size_t bytes, CUstream stream,
                               std::string &err) const {
  DLC_CHECKED("cuMemsetD8Async", api_->memsetD8Async(dst, value, bytes, stream));
}
bool CudaDriver::streamCreate(CUstream &stream, unsigned flags,
                              std::string &err) const {
  DLC_CHECKED("cuStreamCreate", api_->streamCreate(&stream, flags));
}
bool CudaDriver::streamDestroy(CUstream stream, std::string &err) const {
  DLC_CHECKED("cuStreamDestroy", api_->streamDestroy(stream));
}
bool CudaDriver::streamSynchronize(CUstream stream, std::string &err) const {
  DLC_CHECKED("cuStreamSynchronize", api_->streamSynchronize(stream));
}
bool CudaDriver::streamBeginCapture(CUstream stream, int mode,
                                    std::string &err) const {
  DLC_CHECKED("cuStreamBeginCapture", api_->streamBeginCapture(stream, mode));
}
bool CudaDriver::streamEndCapture(CUstream stream, CUgraph &graph,
                                  std::string &err) const {
  DLC_CHECKED("cuStreamEndCapture", api_->streamEndCapture(stream, &graph));
}
bool CudaDriver::graphInstantiate(CUgraphExec &exec, CUgraph graph,
                                  std::string &err) const {
  DLC_CHECKED("cuGraphInstantiateWithFlags",
              api_->graphInstantiateWithFlags(&exec, graph, 0));
}
bool CudaDriver::graphLaunch(CUgraphExec exec, CUstream stream,
                             std::string &err) const {
  DLC_CHECKED("cuGraphLaunch", api_->graphLaunch(exec, stream));
}
bool CudaDriver::graphDestroy(CUgraph graph, std::string &err) const {
  DLC_CHECKED("cuGraphDestroy", api_->graphDestroy(graph));
}
bool CudaDriver::graphExecDestroy(CUgraphExec exec, std::string &err) const {
  DLC_CHECKED("cuGraphExecDestroy", api_->graphExecDestroy(exec));
}
bool CudaDriver::eventCreate(CUevent &event, unsigned flags,
                             std::string &err) const {
  DLC_CHECKED("cuEventCreate", api_->eventCreate(&event, flags));
}
bool CudaDriver::eventDestroy(CUevent event, std::string &err) const {
  DLC_CHECKED("cuEventDestroy", api_->eventDestroy(event));
}
bool CudaDriver::eventRecord(CUevent event, CUstream stream,
                             std::string &err) const {
  DLC_CHECKED("cuEventRecord", api_->eventRecord(event, stream));
}
bool CudaDriver::eventSynchronize(CUevent event, std::string &err) const {
  DLC_CHECKED("cuEventSynchronize", api_->eventSynchronize(event));
}
bool CudaDriver::eventElapsedTime(float &ms, CUevent start, CUevent end,
                                  std::string &err) const {
  DLC_CHECKED("cuEventElapsedTime", api_->eventElapsedTime(&ms, start, end));
}

#undef DLC_CHECKED

} // namespace dlc::cuda
