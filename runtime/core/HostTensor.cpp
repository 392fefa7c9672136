//===- HostTensor.cpp -----------------------------------------------------===//
#include "runtime/core/HostTensor.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sys/resource.h>
#include <unistd.h>

namespace dlc {

namespace {
struct DTypeInfo {
  DType type;
  std::string_view name;
  size_t size;
};
constexpr std::array<DTypeInfo, 7> kDTypes = {{
    {DType::F16, "f16", 2},
    {DType::BF16, "bf16", 2},
    {DType::F32, "f32", 4},
    {DType::F64, "f64", 8},
    {DType::I1, "i1", 1},
    {DType::I32, "i32", 4},
    {DType::I64, "i64", 8},
}};
const DTypeInfo &info(DType t) { return kDTypes[static_cast<size_t>(t)]; }
} // namespace

size_t dtypeSize(DType t) { return info(t).size; }
std::string_view dtypeName(DType t) { return info(t).name; }

std::optional<DType> parseDType(std::string_view name) {
  for (const DTypeInfo &i : kDTypes)
    if (i.name == name)
      return i.type;
  return std::nullopt;
}

std::optional<int64_t> checkedNumel(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      return std::nullopt;
    n *= d;
  }
  return n;
}

int64_t HostTensor::numel() const { return checkedNumel(shape).value_or(0); }

HostTensor HostTensor::zeros(DType dtype, std::vector<int64_t> shape) {
  HostTensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.bytes.assign(t.numel() * dtypeSize(dtype), 0);
  return t;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string formatBytes(uint64_t bytes) {
  static const char *units[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
  if (bytes < 1000)
    return std::to_string(bytes) + " B";
  double v = double(bytes);
  int u = 0;
  while (v >= 1000 && u < 6)
    v /= 1000, ++u;
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", v, units[u]);
  return text;
}

bool checkHostMemory(uint64_t bytes, std::string &why) {
  long pages = ::sysconf(_SC_PHYS_PAGES), pageSize = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && pageSize > 0) {
    uint64_t phys = uint64_t(pages) * uint64_t(pageSize);
    if (bytes > phys) {
      why = "the host has " + formatBytes(phys) + " of memory";
      return false;
    }
  }
  struct rlimit limit;
  if (::getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      bytes > uint64_t(limit.rlim_cur)) {
    why = "the address-space limit (ulimit -v) is " +
          formatBytes(uint64_t(limit.rlim_cur));
    return false;
  }
  // Within both, malloc can still refuse (other limits, no overcommit):
  // ask it. Untouched pages cost nothing.
  if (bytes >= (uint64_t(1) << 30)) {
    void *probe = std::malloc(size_t(bytes));
    if (!probe) {
      why = "malloc refused them";
      return false;
    }
    std::free(probe);
  }
  return true;
}

} // namespace dlc
