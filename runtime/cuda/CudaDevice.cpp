//===- CudaDevice.cpp - run a Program on a GPU ------------------*- C++ -*-===//

#include "runtime/cuda/CudaDevice.h"

#include "runtime/cuda/CudaDriver.h"
#include "runtime/nvrtc/Nvrtc.h"
#include "runtime/cuda/Trace.h"

#include <algorithm>
#include <limits>
#include <map>

namespace dlc {

using namespace cuda;

namespace {

std::string dims3(const std::array<int64_t, 3> &a) {
  return "[" + std::to_string(a[0]) + ", " + std::to_string(a[1]) + ", " +
         std::to_string(a[2]) + "]";
}

/// The largest dynamic shared memory a launch may use without opting in.
constexpr int64_t kDefaultSharedLimit = 48 * 1024;

} // namespace

std::string chooseArch(int major, int minor,
                       const std::vector<int> &supported) {
  int sm = major * 10 + minor;
  // sm_90a: the H100's arch-specific features (wgmma), which kernels
  // emitted for target sm_90 use.
  if (std::find(supported.begin(), supported.end(), sm) != supported.end())
    return "sm_" + std::to_string(sm) + (sm == 90 ? "a" : "");
  int best = -1;
  for (int s : supported)
    if (s < sm && s > best)
      best = s;
  return best < 0 ? std::string() : "compute_" + std::to_string(best);
}

struct CudaDevice::Impl {
  CudaDeviceOptions opts;
  CudaDriver *drv = nullptr;
  CUdevice dev = 0;
  CUcontext ctx = nullptr;
  std::string deviceName, arch;

  // What load() made; released by unload().
  CUmodule module = nullptr;
  CUstream stream = nullptr;
  CUdeviceptr arena = 0;
  struct Buffer {
    ProgramBuffer desc;
    CUdeviceptr ptr = 0;
  };
  std::map<std::string, Buffer> buffers; // inputs, params, outputs
  struct Kernel {
    ProgramKernel desc;
    CUfunction fn = nullptr;
    LaunchContext launch;
    std::vector<CUdeviceptr> argValues; // fixed after load()
    std::vector<void *> argPtrs;        // &argValues[i]
  };
  std::vector<Kernel> kernels;
  std::vector<CUevent> events; // profile: one before each kernel, one after
  CUgraphExec graph = nullptr;
  bool loaded = false;
  CacheOutcome outcome = CacheOutcome::Uncached;
  unsigned runs = 0, replays = 0;
  std::vector<KernelTiming> timings;

  /// Frees everything load() made; the first error is kept in `err`.
  bool unload(std::string &err) {
    std::string e;
    bool ok = true;
    auto keep = [&](bool r) {
      if (!r && ok) {
        ok = false;
        err = e;
      }
    };
    if (ctx)
      keep(drv->setCurrentContext(ctx, e));
    if (stream)
      keep(drv->streamSynchronize(stream, e));
    if (graph)
      keep(drv->graphExecDestroy(graph, e));
    for (CUevent ev : events)
      keep(drv->eventDestroy(ev, e));
    for (auto &[name, b] : buffers)
      if (b.ptr)
        keep(drv->memFree(b.ptr, e));
    if (arena)
      keep(drv->memFree(arena, e));
    if (module)
      keep(drv->moduleUnload(module, e));
    if (stream)
      keep(drv->streamDestroy(stream, e));
    graph = nullptr;
    events.clear();
    buffers.clear();
    kernels.clear();
    arena = 0;
    module = nullptr;
    stream = nullptr;
    loaded = false;
    runs = replays = 0;
    timings.clear();
    return ok;
  }

  bool compile(const Program &program, std::vector<uint8_t> &image,
               std::string &err) {
    Nvrtc *nvrtc = Nvrtc::get(err);
    if (!nvrtc)
      return false;
    NvrtcOptions o;
    o.programName = "kernels.cu";
    o.arch = arch;
    KernelCache cache(*nvrtc, opts.cacheRoot);
    CachedKernel out;
    if (!cache.getOrCompile(program.source(), o, out, err))
      return false;
    outcome = out.outcome;
    image = std::move(out.output.image);
    // cuModuleLoadData takes PTX as a NUL-terminated string.
    if (arch.rfind("compute_", 0) == 0 && (image.empty() || image.back() != 0))
      image.push_back(0);
    return true;
  }

  bool launchAll(bool syncEach, bool timed, std::string &err) {
    for (size_t i = 0; i < kernels.size(); ++i) {
      Kernel &k = kernels[i];
      if (timed && !drv->eventRecord(events[i], stream, err))
        return false;
      if (!drv->launchKernel(k.fn, k.launch, unsigned(k.desc.sharedBytes),
                             stream, k.argPtrs.data(), err))
        return false;
      if (syncEach && !drv->streamSynchronize(stream, err)) {
        err = describeLaunch(k.launch) + ": the kernel failed: " + err;
        return false;
      }
    }
    return !timed || drv->eventRecord(events.back(), stream, err);
  }

  bool capture(std::string &err) {
    if (!drv->streamBeginCapture(stream, kCaptureModeThreadLocal, err))
      return false;
    std::string launchErr;
    bool launched = launchAll(/*syncEach=*/false, /*timed=*/false, launchErr);
    CUgraph g = nullptr;
    // End the capture even when a launch failed, so the stream is usable.
    bool ended = drv->streamEndCapture(stream, g, err);
    if (!launched) {
      err = "capturing the CUDA graph: " + launchErr;
      if (g)
        drv->graphDestroy(g, launchErr);
      return false;
    }
    if (!ended)
      return false;
    bool ok = drv->graphInstantiate(graph, g, err);
    std::string destroyErr;
    bool destroyed = drv->graphDestroy(g, destroyErr); // the exec keeps a copy
    if (ok && !destroyed)
      err = destroyErr;
    return ok && destroyed;
  }
};

CudaDevice::CudaDevice(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CudaDevice::~CudaDevice() {
  std::string err;
  impl_->unload(err); // nothing to report to in a destructor
  if (impl_->ctx)
    impl_->drv->releasePrimaryContext(impl_->dev, err);
}

std::unique_ptr<CudaDevice> CudaDevice::create(const CudaDeviceOptions &opts,
                                               std::string &err) {
  auto impl = std::make_unique<Impl>();
  impl->opts = opts;
  impl->drv = CudaDriver::get(err);
  if (!impl->drv)
    return nullptr;
  CudaDriver &d = *impl->drv;
  int count = 0;
  if (!d.deviceCount(count, err))
    return nullptr;
  if (opts.ordinal < 0 || opts.ordinal >= count) {
    err = "no CUDA device " + std::to_string(opts.ordinal) + ": there " +
          (count == 1 ? "is 1" : "are " + std::to_string(count));
    return nullptr;
  }
  int major = 0, minor = 0;
  if (!d.deviceGet(impl->dev, opts.ordinal, err) ||
      !d.deviceName(impl->dev, impl->deviceName, err) ||
      !d.computeCapability(impl->dev, major, minor, err))
    return nullptr;
  std::string nvErr;
  Nvrtc *nvrtc = Nvrtc::get(nvErr);
  if (!nvrtc) {
    err = "cannot compile for " + impl->deviceName + ": " + nvErr;
    return nullptr;
  }
  impl->arch = chooseArch(major, minor, nvrtc->supportedArchs());
  if (impl->arch.empty()) {
    err = impl->deviceName + " (compute capability " + std::to_string(major) +
          "." + std::to_string(minor) + ") is older than NVRTC " +
          nvrtc->version() + " supports";
    return nullptr;
  }
  if (!d.retainPrimaryContext(impl->dev, impl->ctx, err)) {
    impl->ctx = nullptr;
    return nullptr;
  }
  return std::unique_ptr<CudaDevice>(new CudaDevice(std::move(impl)));
}

bool CudaDevice::load(const Program &program, std::string &err) {
  Impl &m = *impl_;
  CudaDriver &d = *m.drv;
  if (!m.unload(err))
    return false;
  if (!d.setCurrentContext(m.ctx, err))
    return false;
  // wgmma (target sm_90) exists only on sm_90a; elsewhere it would trap.
  if (program.source().find("#define DLC_USE_WGMMA") != std::string::npos &&
      m.arch != "sm_90a") {
    err = "kernels.cu uses wgmma (compiled for target sm_90), which " +
          m.deviceName + " (" + m.arch +
          ") lacks; compile it with --target=sm_80";
    return false;
  }
  std::vector<uint8_t> image;
  if (!m.compile(program, image, err))
    return false;
  bool ok = [&] {
    if (!d.moduleLoadData(m.module, image.data(), err)) {
      err = "loading the " + m.arch + " code of kernels.cu on " +
            m.deviceName + ": " + err;
      return false;
    }
    if (!d.streamCreate(m.stream, kStreamNonBlocking, err))
      return false;
    if (program.arenaBytes() > 0 &&
        !d.memAlloc(m.arena, size_t(program.arenaBytes()), err)) {
      err = "the arena: " + err;
      return false;
    }
    for (const ProgramBuffer &b : program.buffers()) {
      if (b.role == BufferRole::Intermediate)
        continue;
      Impl::Buffer &buf = m.buffers[b.name];
      buf.desc = b;
      if (!d.memAlloc(buf.ptr, size_t(b.byteSize()), err)) {
        err = std::string(bufferRoleName(b.role)) + " '" + b.name + "': " + err;
        return false;
      }
    }
    m.kernels.reserve(program.kernels().size());
    for (const ProgramKernel &pk : program.kernels()) {
      Impl::Kernel &k = m.kernels.emplace_back();
      k.desc = pk;
      k.launch.kernel = pk.name;
      k.launch.nodes = pk.nodes;
      for (int i = 0; i < 3; ++i) {
        if (pk.grid[i] < 1 || pk.block[i] < 1 ||
            pk.grid[i] > std::numeric_limits<unsigned>::max() ||
            pk.block[i] > 1024) {
          err = describeLaunch(k.launch) + ": grid " + dims3(pk.grid) +
                ", block " + dims3(pk.block) + " cannot be launched";
          return false;
        }
        k.launch.grid[i] = unsigned(pk.grid[i]);
        k.launch.block[i] = unsigned(pk.block[i]);
      }
      if (!d.moduleGetFunction(k.fn, m.module, pk.name, err))
        return false;
      if (pk.sharedBytes > kDefaultSharedLimit &&
          !d.funcSetAttribute(k.fn, kFuncAttrMaxDynamicSharedBytes,
                              int(pk.sharedBytes), err)) {
        err = describeLaunch(k.launch) + ": " + std::to_string(pk.sharedBytes) +
              " bytes of shared memory: " + err;
        return false;
      }
      for (const std::string &a : pk.args) {
        CUdeviceptr p = 0;
        if (a == kArenaArg) {
          p = m.arena;
        } else if (auto it = m.buffers.find(a); it != m.buffers.end()) {
          p = it->second.ptr;
        } else if (const ProgramBuffer *b = program.buffer(a);
                   b && b->role == BufferRole::Intermediate) {
          p = m.arena + CUdeviceptr(b->offset);
        } else {
          err = "kernel " + pk.name + ": argument '" + a +
                "' names no buffer of the program";
          return false;
        }
        k.argValues.push_back(p);
      }
      // argValues does not grow any more: pointers into it stay valid.
      for (CUdeviceptr &p : k.argValues)
        k.argPtrs.push_back(&p);
    }
    if (m.opts.profile) {
      m.events.resize(m.kernels.size() + 1, nullptr);
      for (CUevent &ev : m.events)
        if (!d.eventCreate(ev, kEventDefault, err))
          return false;
    }
    return true;
  }();
  if (!ok) {
    std::string ignored;
    m.unload(ignored);
    return false;
  }
  m.loaded = true;
  return true;
}

bool CudaDevice::run(const BufferBindings &bindings, std::string &err) {
  Impl &m = *impl_;
  CudaDriver &d = *m.drv;
  if (!m.loaded) {
    err = "the cuda device has no program loaded";
    return false;
  }
  // Only the buffers' descriptions are needed to check the bindings.
  for (const auto &[name, buf] : m.buffers) {
    auto it = bindings.find(name);
    const ProgramBuffer &b = buf.desc;
    if (it == bindings.end() || !it->second) {
      err = "no tensor bound to " + std::string(bufferRoleName(b.role)) +
            " '" + name + "' (" + std::string(dtypeName(b.dtype)) + " " +
            formatShape(b.shape) + ")";
      return false;
    }
    const HostTensor &t = *it->second;
    if (t.dtype != b.dtype || t.shape != b.shape ||
        int64_t(t.bytes.size()) != b.byteSize()) {
      err = std::string(bufferRoleName(b.role)) + " '" + name + "' is " +
            std::string(dtypeName(t.dtype)) + " " + formatShape(t.shape) +
            ", the program's is " + std::string(dtypeName(b.dtype)) + " " +
            formatShape(b.shape);
      return false;
    }
  }
  if (bindings.size() != m.buffers.size()) {
    for (const auto &[name, t] : bindings)
      if (!m.buffers.count(name)) {
        err = "'" + name + "' is bound, but the program has no such input, "
                           "param or output";
        return false;
      }
  }
  if (!d.setCurrentContext(m.ctx, err))
    return false;

  for (const auto &[name, buf] : m.buffers) {
    const HostTensor &t = *bindings.at(name);
    if (buf.desc.role == BufferRole::Output) {
      if (m.opts.poisonOutputs &&
          !d.memsetD8Async(buf.ptr, 0xff, t.bytes.size(), m.stream, err))
        return false;
      continue;
    }
    if (!d.memcpyHtoDAsync(buf.ptr, t.bytes.data(), t.bytes.size(), m.stream,
                           err)) {
      err = std::string(bufferRoleName(buf.desc.role)) + " '" + name +
            "': " + err;
      return false;
    }
  }

  const bool first = m.runs == 0;
  if (m.opts.profile) {
    if (!m.launchAll(/*syncEach=*/first, /*timed=*/true, err))
      return false;
  } else if (first || !m.opts.useGraph) {
    if (!m.launchAll(/*syncEach=*/first, /*timed=*/false, err))
      return false;
  } else {
    if (!m.graph && !m.capture(err))
      return false;
    if (!d.graphLaunch(m.graph, m.stream, err))
      return false;
    ++m.replays;
  }

  for (const auto &[name, buf] : m.buffers) {
    if (buf.desc.role != BufferRole::Output)
      continue;
    HostTensor &t = *bindings.at(name);
    if (!d.memcpyDtoHAsync(t.bytes.data(), buf.ptr, t.bytes.size(), m.stream,
                           err)) {
      err = "output '" + name + "': " + err;
      return false;
    }
  }
  if (!d.streamSynchronize(m.stream, err)) {
    err = "running " + std::to_string(m.kernels.size()) + " kernels" +
          (m.kernels.empty() ? "" : " (" + m.kernels.front().desc.name +
                                        " .. " + m.kernels.back().desc.name +
                                        ")") +
          ": " + err;
    return false;
  }
  ++m.runs;

  m.timings.clear();
  if (m.opts.profile) {
    for (size_t i = 0; i < m.kernels.size(); ++i) {
      float startMs = 0, durMs = 0;
      if (!d.eventElapsedTime(startMs, m.events[0], m.events[i], err) ||
          !d.eventElapsedTime(durMs, m.events[i], m.events[i + 1], err))
        return false;
      const ProgramKernel &k = m.kernels[i].desc;
      m.timings.push_back({k.name, k.nodes, k.grid, k.block,
                           double(startMs) * 1000.0, double(durMs) * 1000.0});
    }
  }
  return true;
}

const std::string &CudaDevice::deviceName() const { return impl_->deviceName; }
const std::string &CudaDevice::arch() const { return impl_->arch; }
CacheOutcome CudaDevice::cacheOutcome() const { return impl_->outcome; }
unsigned CudaDevice::runs() const { return impl_->runs; }
unsigned CudaDevice::graphReplays() const { return impl_->replays; }
const std::vector<KernelTiming> &CudaDevice::lastTimings() const {
  return impl_->timings;
}

void CudaDevice::addTimingsTo(TraceWriter &trace, int tid) const {
  for (const KernelTiming &t : impl_->timings) {
    TraceEvent e;
    e.name = t.name;
    e.startUs = t.startUs;
    e.durationUs = t.durationUs;
    e.tid = tid;
    e.nodes = t.nodes;
    e.args = {{"grid", dims3(t.grid)}, {"block", dims3(t.block)}};
    trace.add(std::move(e));
  }
}

} // namespace dlc
