//===- Plot.h - line plots as PNG files, MLIR-free --------------*- C++ -*-===//
//
// Enough plotting for training curves: panels side by side, each with its
// own axes scaled to its data (y from 0 when all values are >= 0), light
// grid lines at tenths, and one coloured polyline per series. No text: the
// caller documents which colour is which. Written as an RGB PNG (zlib for
// the IDAT stream and the chunk CRCs), through a temporary file and rename.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TRAIN_PLOT_H
#define DLC_TRAIN_PLOT_H

#include <cstdint>
#include <string>
#include <vector>

namespace dlc {

struct PlotSeries {
  std::vector<double> x, y;
  uint8_t rgb[3] = {0, 0, 0};
};

struct PlotPanel {
  std::vector<PlotSeries> series;
};

/// Encodes a width x height RGB image (3 bytes a pixel, row-major) as PNG.
std::string encodePng(int width, int height, const std::vector<uint8_t> &rgb);

/// Draws `panels` side by side, each `panelWidth` x `height` pixels.
bool writeLinePlotPng(const std::string &path,
                      const std::vector<PlotPanel> &panels, int panelWidth,
                      int height, std::string &err);

} // namespace dlc

#endif // DLC_TRAIN_PLOT_H
