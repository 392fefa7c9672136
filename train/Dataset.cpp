//===- Dataset.cpp - IDX image datasets and batches -----------------------===//
#include "train/Dataset.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <numeric>

namespace dlc {

namespace {

bool fail(std::string &err, const std::string &path, const std::string &msg) {
  err = path + ": " + msg;
  return false;
}

struct GzCloser {
  void operator()(gzFile_s *f) const { gzclose(f); }
};
using Gz = std::unique_ptr<gzFile_s, GzCloser>;

/// Reads exactly `n` bytes; on failure says what was being read.
bool readExact(gzFile f, const std::string &path, void *dst, size_t n,
               const std::string &what, std::string &err) {
  size_t got = 0;
  auto *p = static_cast<char *>(dst);
  while (got < n) {
    unsigned chunk = unsigned(std::min<size_t>(n - got, 1u << 30));
    int r = gzread(f, p + got, chunk);
    if (r < 0) {
      int code = 0;
      const char *msg = gzerror(f, &code);
      return fail(err, path,
                  "corrupt: cannot read " + what + " (" +
                      (msg ? msg : "zlib error") + ")");
    }
    if (r == 0)
      break;
    got += size_t(r);
  }
  if (got < n)
    return fail(err, path,
                "truncated: expected " + std::to_string(n) + " bytes of " +
                    what + ", got " + std::to_string(got));
  return true;
}

uint32_t bigEndian(const unsigned char *b) {
  return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 |
         uint32_t(b[3]);
}

/// Opens `path` and reads its IDX header: magic, then `dims` sizes.
bool openIdx(const std::string &path, uint32_t magic, int dims, Gz &f,
             std::vector<int64_t> &sizes, std::string &err) {
  f.reset(gzopen(path.c_str(), "rb"));
  if (!f)
    return fail(err, path, std::string("cannot open: ") + std::strerror(errno));
  unsigned char head[4 * 4];
  if (!readExact(f.get(), path, head, 4 * (1 + dims), "IDX header", err))
    return false;
  uint32_t m = bigEndian(head);
  if (m != magic) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "0x%08x, expected 0x%08x", m, magic);
    return fail(err, path, std::string("not an IDX") +
                               (dims == 3 ? "3 image" : "1 label") +
                               " file: magic " + buf);
  }
  sizes.clear();
  for (int i = 0; i < dims; ++i) {
    uint32_t d = bigEndian(head + 4 * (1 + i));
    if (d == 0 || d > (1u << 28))
      return fail(err, path, "bad dimension " + std::to_string(d));
    sizes.push_back(d);
  }
  return true;
}

} // namespace

bool readIdxImages(const std::string &path, int64_t limit, ImageDataset &out,
                   std::string &err) {
  Gz f;
  std::vector<int64_t> sizes;
  if (!openIdx(path, 0x00000803, 3, f, sizes, err))
    return false;
  out.count = limit >= 0 ? std::min(limit, sizes[0]) : sizes[0];
  out.rows = sizes[1];
  out.cols = sizes[2];
  if (out.rows * out.cols > (1 << 20))
    return fail(err, path, "images of " + std::to_string(out.rows) + "x" +
                               std::to_string(out.cols) + " are too large");
  out.pixels.resize(size_t(out.count * out.rows * out.cols));
  return readExact(f.get(), path, out.pixels.data(), out.pixels.size(),
                   "pixels (" + std::to_string(out.count) + " images)", err);
}

bool readIdxLabels(const std::string &path, int64_t limit,
                   std::vector<uint8_t> &out, std::string &err) {
  Gz f;
  std::vector<int64_t> sizes;
  if (!openIdx(path, 0x00000801, 1, f, sizes, err))
    return false;
  out.resize(size_t(limit >= 0 ? std::min(limit, sizes[0]) : sizes[0]));
  return readExact(f.get(), path, out.data(), out.size(),
                   "labels (" + std::to_string(out.size()) + ")", err);
}

std::string datasetDirectory(const std::string &name) {
  if (name == "fashion-mnist")
    return "/usr/share/datasets/fashion-mnist";
  return name;
}

bool loadIdxSplit(const std::string &dir, const std::string &split,
                  int64_t limit, int64_t numClasses, ImageDataset &out,
                  std::string &err) {
  std::string images = dir + "/" + split + "-images-idx3-ubyte.gz";
  std::string labels = dir + "/" + split + "-labels-idx1-ubyte.gz";
  if (!readIdxImages(images, limit, out, err) ||
      !readIdxLabels(labels, limit, out.labels, err))
    return false;
  if (int64_t(out.labels.size()) != out.count)
    return fail(err, labels,
                "holds " + std::to_string(out.labels.size()) +
                    " labels but " + images + " holds " +
                    std::to_string(out.count) + " images");
  for (size_t i = 0; i < out.labels.size(); ++i)
    if (out.labels[i] >= numClasses)
      return fail(err, labels,
                  "label " + std::to_string(out.labels[i]) + " of example " +
                      std::to_string(i) + " is not below the model's " +
                      std::to_string(numClasses) + " classes");
  return true;
}

Batcher::Batcher(const ImageDataset &data, int64_t batch)
    : data(data), batch(batch), order(size_t(data.count)) {
  std::iota(order.begin(), order.end(), 0);
}

int64_t Batcher::numBatches() const {
  return batch > 0 ? data.count / batch : 0;
}

std::vector<int64_t> visitOrder(int64_t n, uint64_t seed, bool doShuffle) {
  std::vector<int64_t> order(size_t(std::max<int64_t>(n, 0)));
  std::iota(order.begin(), order.end(), 0);
  if (!doShuffle)
    return order;
  uint64_t s = seed;
  auto next = [&s] { // splitmix64
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  for (size_t i = order.size(); i > 1; --i)
    std::swap(order[i - 1], order[next() % i]);
  return order;
}

void Batcher::shuffle(uint64_t seed, bool doShuffle) {
  order = visitOrder(int64_t(order.size()), seed, doShuffle);
}

void Batcher::fill(int64_t b, HostTensor &x, HostTensor &labels) const {
  int64_t pixels = data.rows * data.cols;
  x = HostTensor::zeros(DType::F32, {batch, 1, data.rows, data.cols});
  labels = HostTensor::zeros(DType::I64, {batch});
  auto *xf = reinterpret_cast<float *>(x.bytes.data());
  auto *lb = reinterpret_cast<int64_t *>(labels.bytes.data());
  for (int64_t i = 0; i < batch; ++i) {
    int64_t e = order[size_t(b * batch + i)];
    const uint8_t *src = data.pixels.data() + e * pixels;
    for (int64_t p = 0; p < pixels; ++p)
      xf[i * pixels + p] = float(src[p]) / 255.0f;
    lb[i] = data.labels[size_t(e)];
  }
}

} // namespace dlc
