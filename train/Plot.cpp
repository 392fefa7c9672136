//===- Plot.cpp - line plots as PNG files ---------------------------------===//
#include "train/Plot.h"

#include "runtime/core/AtomicFile.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>

namespace dlc {

namespace {

void putBE32(std::string &s, uint32_t v) {
  for (int i = 3; i >= 0; --i)
    s.push_back(char((v >> (8 * i)) & 0xff));
}

void chunk(std::string &png, const char *type, const std::string &data) {
  putBE32(png, uint32_t(data.size()));
  std::string body = std::string(type, 4) + data;
  png += body;
  putBE32(png, uint32_t(crc32(0, reinterpret_cast<const Bytef *>(body.data()),
                              uInt(body.size()))));
}

struct Canvas {
  int w, h;
  std::vector<uint8_t> rgb;
  void set(int x, int y, const uint8_t c[3]) {
    if (x < 0 || y < 0 || x >= w || y >= h)
      return;
    std::copy(c, c + 3, rgb.begin() + (size_t(y) * w + x) * 3);
  }
  void line(double x0, double y0, double x1, double y1, const uint8_t c[3],
            int thick) {
    int steps = int(std::max(std::abs(x1 - x0), std::abs(y1 - y0))) + 1;
    for (int i = 0; i <= steps; ++i) {
      double t = double(i) / steps;
      int x = int(std::lround(x0 + (x1 - x0) * t));
      int y = int(std::lround(y0 + (y1 - y0) * t));
      for (int dx = 0; dx < thick; ++dx)
        for (int dy = 0; dy < thick; ++dy)
          set(x + dx, y + dy, c);
    }
  }
};

} // namespace

std::string encodePng(int width, int height, const std::vector<uint8_t> &rgb) {
  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  putBE32(ihdr, uint32_t(width));
  putBE32(ihdr, uint32_t(height));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5); // 8-bit RGB
  chunk(png, "IHDR", ihdr);
  std::string raw;
  raw.reserve(size_t(height) * (1 + size_t(width) * 3));
  for (int y = 0; y < height; ++y) {
    raw.push_back('\0'); // filter: none
    raw.append(reinterpret_cast<const char *>(rgb.data()) + size_t(y) * width * 3,
               size_t(width) * 3);
  }
  uLongf size = compressBound(uLong(raw.size()));
  std::string z(size, '\0');
  compress2(reinterpret_cast<Bytef *>(z.data()), &size,
            reinterpret_cast<const Bytef *>(raw.data()), uLong(raw.size()), 6);
  z.resize(size);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", "");
  return png;
}

bool writeLinePlotPng(const std::string &path,
                      const std::vector<PlotPanel> &panels, int panelWidth,
                      int height, std::string &err) {
  Canvas c{panelWidth * int(std::max<size_t>(panels.size(), 1)), height, {}};
  c.rgb.assign(size_t(c.w) * c.h * 3, 255);
  const uint8_t axis[3] = {40, 40, 40}, grid[3] = {225, 225, 225};
  const int margin = 30;
  for (size_t p = 0; p < panels.size(); ++p) {
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (const PlotSeries &s : panels[p].series)
      for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
        if (!std::isfinite(s.y[i]))
          continue;
        xmin = std::min(xmin, s.x[i]);
        xmax = std::max(xmax, s.x[i]);
        ymin = std::min(ymin, s.y[i]);
        ymax = std::max(ymax, s.y[i]);
      }
    if (!(xmin <= xmax)) {
      xmin = 0, xmax = 1, ymin = 0, ymax = 1;
    }
    if (ymin >= 0)
      ymin = 0;
    if (xmax == xmin)
      xmax = xmin + 1;
    if (ymax == ymin)
      ymax = ymin + 1;
    int left = int(p) * panelWidth + margin, right = int(p + 1) * panelWidth - 10;
    int top = 10, bottom = height - margin;
    auto px = [&](double x) {
      return left + (x - xmin) / (xmax - xmin) * (right - left);
    };
    auto py = [&](double y) {
      return bottom - (y - ymin) / (ymax - ymin) * (bottom - top);
    };
    for (int i = 1; i <= 10; ++i) {
      double gy = bottom - (bottom - top) * i / 10.0;
      double gx = left + (right - left) * i / 10.0;
      c.line(left, gy, right, gy, grid, 1);
      c.line(gx, top, gx, bottom, grid, 1);
    }
    c.line(left, bottom, right, bottom, axis, 2);
    c.line(left, top, left, bottom, axis, 2);
    for (const PlotSeries &s : panels[p].series) {
      size_t n = std::min(s.x.size(), s.y.size());
      for (size_t i = 0; i + 1 < n; ++i)
        if (std::isfinite(s.y[i]) && std::isfinite(s.y[i + 1]))
          c.line(px(s.x[i]), py(s.y[i]), px(s.x[i + 1]), py(s.y[i + 1]),
                 s.rgb, 2);
      if (n == 1 && std::isfinite(s.y[0])) // a single point: a small square
        for (int d = -3; d <= 3; ++d)
          c.line(px(s.x[0]) - 3, py(s.y[0]) + d, px(s.x[0]) + 3,
                 py(s.y[0]) + d, s.rgb, 1);
    }
  }
  std::string png = encodePng(c.w, c.h, c.rgb);
  return writeFileAtomically(path, {png}, err);
}

} // namespace dlc
