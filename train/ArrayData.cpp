//===- ArrayData.cpp - a user's arrays as a dataset -----------------------===//
#include "train/ArrayData.h"

#include "runtime/io/TensorFile.h"

#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace dlc {

namespace {

bool fail(std::string &err, const std::string &path, const std::string &what) {
  err = path + ": " + what;
  return false;
}

uint32_t le(const std::string &b, size_t at, int bytes) {
  uint32_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= uint32_t(uint8_t(b[at + i])) << (8 * i);
  return v;
}

/// A raw-deflate member (zip method 8) of known uncompressed size.
bool inflateRaw(const std::string &in, uint64_t size, std::string &out) {
  out.assign(size, '\0');
  z_stream z{};
  if (inflateInit2(&z, -15) != Z_OK)
    return false;
  z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
  z.avail_in = uInt(in.size());
  z.next_out = reinterpret_cast<Bytef *>(out.data());
  z.avail_out = uInt(size);
  int rc = inflate(&z, Z_FINISH);
  bool ok = rc == Z_STREAM_END && z.total_out == size;
  inflateEnd(&z);
  return ok;
}

/// Converts `t` to `to` in place; false when that would lose meaning.
bool convert(HostTensor &t, DType to) {
  if (t.dtype == to)
    return true;
  auto supported = [](DType d) {
    return d == DType::F32 || d == DType::F64 || d == DType::I32 ||
           d == DType::I64 || d == DType::I1;
  };
  if (!supported(t.dtype) || !supported(to) ||
      (isFloat(t.dtype) && !isFloat(to)))
    return false;
  HostTensor r = HostTensor::zeros(to, t.shape);
  int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t *s = t.bytes.data() + i * dtypeSize(t.dtype);
    double v = 0;
    int64_t iv = 0;
    switch (t.dtype) {
    case DType::F32: v = *reinterpret_cast<const float *>(s); break;
    case DType::F64: v = *reinterpret_cast<const double *>(s); break;
    case DType::I32: iv = *reinterpret_cast<const int32_t *>(s); v = iv; break;
    case DType::I64: iv = *reinterpret_cast<const int64_t *>(s); v = double(iv); break;
    default: iv = *s; v = iv; break;
    }
    uint8_t *d = r.bytes.data() + i * dtypeSize(to);
    switch (to) {
    case DType::F32: *reinterpret_cast<float *>(d) = float(v); break;
    case DType::F64: *reinterpret_cast<double *>(d) = v; break;
    case DType::I32: *reinterpret_cast<int32_t *>(d) = int32_t(iv); break;
    case DType::I64: *reinterpret_cast<int64_t *>(d) = iv; break;
    default: *d = iv != 0; break;
    }
  }
  t = std::move(r);
  return true;
}

/// The first `n` rows of `t`.
void takeRows(HostTensor &t, int64_t n) {
  int64_t row = t.numel() / t.shape[0];
  t.shape[0] = n;
  t.bytes.resize(size_t(n * row) * dtypeSize(t.dtype));
}

} // namespace

bool readNpz(const std::string &path, std::map<std::string, HostTensor> &out,
             std::string &err) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return fail(err, path, "cannot open: no such regular file");
  std::ifstream in(path, std::ios::binary);
  std::string b((std::istreambuf_iterator<char>(in)),
                std::istreambuf_iterator<char>());
  if (!in && !in.eof())
    return fail(err, path, "read error");
  // The end-of-central-directory record: 22 bytes plus a comment.
  size_t eocd = std::string::npos;
  for (size_t i = b.size() >= 22 ? b.size() - 22 : 0;
       b.size() >= 22 && i + 65557 >= b.size(); --i) {
    if (le(b, i, 4) == 0x06054b50) {
      eocd = i;
      break;
    }
    if (i == 0)
      break;
  }
  if (eocd == std::string::npos)
    return fail(err, path, "not an .npz file (no zip directory)");
  uint32_t entries = le(b, eocd + 10, 2), cdOff = le(b, eocd + 16, 4);
  if (cdOff == 0xffffffffu || entries == 0xffffu)
    return fail(err, path, "zip64 archives are not supported");
  size_t at = cdOff;
  for (uint32_t e = 0; e < entries; ++e) {
    if (at + 46 > b.size() || le(b, at, 4) != 0x02014b50)
      return fail(err, path, "corrupt zip directory");
    uint32_t method = le(b, at + 10, 2), csize = le(b, at + 20, 4),
             usize = le(b, at + 24, 4), nlen = le(b, at + 28, 2),
             xlen = le(b, at + 30, 2), clen = le(b, at + 32, 2),
             local = le(b, at + 42, 4);
    if (at + 46 + nlen > b.size())
      return fail(err, path, "corrupt zip directory");
    std::string name = b.substr(at + 46, nlen);
    at += 46 + nlen + xlen + clen;
    if (local + 30 > b.size() || le(b, local, 4) != 0x04034b50)
      return fail(err, path, "member '" + name + "': corrupt local header");
    size_t data = local + 30 + le(b, local + 26, 2) + le(b, local + 28, 2);
    if (csize == 0xffffffffu || usize == 0xffffffffu)
      return fail(err, path, "member '" + name + "': zip64 is not supported");
    if (data + csize > b.size())
      return fail(err, path, "member '" + name + "': truncated");
    std::string raw = b.substr(data, csize), npy;
    if (method == 0)
      npy = std::move(raw);
    else if (method != 8 || !inflateRaw(raw, usize, npy))
      return fail(err, path,
                  "member '" + name + "': " +
                      (method == 8 ? "corrupt deflate data"
                                   : "unsupported compression method " +
                                         std::to_string(method)));
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0)
      name.resize(name.size() - 4);
    HostTensor t;
    if (!readNpyBytes(path + ": " + name, npy, t, err))
      return false;
    out[name] = std::move(t);
  }
  return true;
}

bool loadNpzDataset(const std::string &path, int64_t limit, DType xType,
                    DType yType, ArrayDataset &out, std::string &err) {
  std::map<std::string, HostTensor> arrays;
  if (!readNpz(path, arrays, err))
    return false;
  for (const char *k : {"x", "y"})
    if (!arrays.count(k)) {
      std::string have;
      for (auto &[n, t] : arrays)
        have += (have.empty() ? "" : ", ") + n;
      return fail(err, path,
                  std::string("no array '") + k + "' (it has: " +
                      (have.empty() ? "nothing" : have) +
                      "); save with np.savez(path, x=..., y=...)");
    }
  HostTensor &x = arrays["x"], &y = arrays["y"];
  if (x.shape.empty() || y.shape.empty() || x.shape[0] != y.shape[0] ||
      x.shape[0] < 1)
    return fail(err, path,
                "x " + formatShape(x.shape) + " and y " + formatShape(y.shape) +
                    " must have the same number of examples (dim 0, >= 1)");
  for (auto [t, to, name] : {std::tuple{&x, xType, "x"}, {&y, yType, "y"}}) {
    DType from = t->dtype;
    if (!convert(*t, to))
      return fail(err, path,
                  std::string(name) + " is " + std::string(dtypeName(from)) +
                      " but the model takes " + std::string(dtypeName(to)));
  }
  if (limit >= 0 && limit < x.shape[0]) {
    takeRows(x, limit);
    takeRows(y, limit);
  }
  out.x = std::move(x);
  out.y = std::move(y);
  return true;
}

ArrayDataset arraysFromImages(const ImageDataset &images) {
  ArrayDataset d;
  int64_t n = images.count, pixels = images.rows * images.cols;
  d.x = HostTensor::zeros(DType::F32, {n, 1, images.rows, images.cols});
  d.y = HostTensor::zeros(DType::I64, {n});
  auto *x = reinterpret_cast<float *>(d.x.bytes.data());
  auto *y = reinterpret_cast<int64_t *>(d.y.bytes.data());
  for (int64_t i = 0; i < n * pixels; ++i)
    x[i] = float(images.pixels[size_t(i)]) / 255.0f;
  for (int64_t i = 0; i < n; ++i)
    y[i] = images.labels[size_t(i)];
  return d;
}

ArrayBatcher::ArrayBatcher(const ArrayDataset &data, int64_t batch)
    : data(data), batch(batch), order(visitOrder(data.count(), 0, false)) {}

void ArrayBatcher::fill(int64_t b, HostTensor &x, HostTensor &y) const {
  auto rows = [&](const HostTensor &src, HostTensor &dst) {
    std::vector<int64_t> shape = src.shape;
    shape[0] = batch;
    dst = HostTensor::zeros(src.dtype, shape);
    size_t row = src.bytes.size() / size_t(src.shape[0]);
    for (int64_t i = 0; i < batch; ++i)
      std::memcpy(dst.bytes.data() + size_t(i) * row,
                  src.bytes.data() + size_t(order[size_t(b * batch + i)]) * row,
                  row);
  };
  rows(data.x, x);
  rows(data.y, y);
}

} // namespace dlc
