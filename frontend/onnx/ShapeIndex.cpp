//===- ShapeIndex.cpp - ONNX shape and indexing ops to dlc ----------------===//
//
// Reshape, Flatten, Transpose, (Un)Squeeze, Slice, Gather, Concat, Split,
// Tile, Pad, Expand, Shape and Size. Shapes, axes and indices must be known
// at compile time (constants, or computed from static shapes, which the
// importer folds); Gather, Tile and Pad become slices and concats. Where an
// opset moved an attribute to an input (Reshape 5, Slice 10, Pad 11,
// (Un)Squeeze and Split 13) there are two registrations.
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/Converters.h"

#include "mlir/Dialect/Traits.h"

namespace dlc::onnx_import {

namespace {

/// Reshape to ONNX's `shape`: 0 copies the input's dim (unless
/// allowzero), one -1 is inferred.
LogicalResult reshapeTo(OnnxImporter &m, Value x, SmallVector<int64_t> shape) {
  bool allowZero = m.attrInt("allowzero", 0) != 0;
  auto in = shapeOf(x);
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] == 0 && !allowZero) {
      if (i >= in.size())
        return m.fail() << "shape entry " << i << " is 0 (copy) but the input "
                        << "has rank " << in.size();
      shape[i] = in[i];
    }
  // Resolve -1 here so the result is static even for an empty dim.
  // Checked: the entries are the model's, and their product can overflow.
  int64_t known = 1, minus = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (minus >= 0)
        return m.fail() << "shape has more than one -1";
      minus = i;
    } else if (shape[i] < 0) {
      return m.fail() << "shape entry " << i << " is " << shape[i]
                      << " (expected -1 or at least 0)";
    } else if (shape[i] != 0 && known > kMaxOnnxElements / shape[i]) {
      return m.fail() << "shape has more than " << kMaxOnnxElements
                      << " elements";
    } else {
      known *= shape[i];
    }
  }
  if (minus >= 0 && known > 0)
    shape[minus] = product(in) / known;
  return done(m, m.op("reshape", {x}, {m.na("shape", m.i64s(shape))}));
}

/// Reshape before opset 5: the shape is an attribute.
LogicalResult convertReshapeAttr(OnnxImporter &m) {
  Value x = m.in(0);
  auto a = m.attrInts("shape");
  if (!a)
    return m.fail() << "needs a shape";
  return reshapeTo(m, x, *a);
}

/// Reshape from opset 5: the shape is input 1, known at compile time.
LogicalResult convertReshape(OnnxImporter &m) {
  Value x = m.in(0);
  auto a = m.intsIn(1, "shape");
  if (failed(a))
    return failure();
  return reshapeTo(m, x, *a);
}

LogicalResult convertFlatten(OnnxImporter &m) {
  Value x = m.in(0);
  int64_t axis = m.attrInt("axis", 1);
  int64_t rank = shapeOf(x).size();
  if (axis < 0)
    axis += rank;
  return done(m, m.op("flatten", {x}, {m.na("axis", m.i64(axis))}));
}

LogicalResult convertTranspose(OnnxImporter &m) {
  Value x = m.in(0);
  SmallVector<int64_t> perm;
  if (auto p = m.attrInts("perm"))
    perm = *p;
  else
    for (int64_t i = shapeOf(x).size() - 1; i >= 0; --i)
      perm.push_back(i);
  return done(m, m.op("transpose", {x}, {m.na("perm", m.i64s(perm))}));
}

LogicalResult convertSize(OnnxImporter &m) {
  m.setKnown(0, intTensor({product(m.typeOfInput(0).getShape())}, {}));
  return success();
}

/// Normalizes axes against `rank`; an error for out-of-range ones.
FailureOr<SmallVector<int64_t>> normAxes(OnnxImporter &m,
                                         ArrayRef<int64_t> axes, int64_t rank) {
  SmallVector<int64_t> out;
  for (int64_t a : axes) {
    if (a < -rank || a >= rank)
      return m.fail() << "axis " << a << " out of range for rank " << rank,
             failure();
    out.push_back(a < 0 ? a + rank : a);
  }
  return out;
}

/// Squeeze and Unsqueeze; from opset 13 (`axesInput`) the axes are an
/// input, before an attribute.
LogicalResult convertSqueeze(OnnxImporter &m, bool unsqueeze, bool axesInput) {
  Value x = m.in(0);
  SmallVector<int64_t> axes;
  bool given = false;
  if (axesInput) {
    if (m.hasInput(1)) {
      auto a = m.intsIn(1, "axes");
      if (failed(a))
        return failure();
      axes = *a;
      given = true;
    }
  } else if (auto a = m.attrInts("axes")) {
    axes = *a;
    given = true;
  }
  SmallVector<int64_t> s(shapeOf(x));
  if (unsqueeze) {
    if (!given)
      return m.fail() << "needs axes";
    int64_t outRank = s.size() + axes.size();
    auto na = normAxes(m, axes, outRank);
    if (failed(na))
      return failure();
    llvm::sort(*na);
    for (int64_t a : *na)
      s.insert(s.begin() + a, 1);
    return done(m, m.reshape(x, s));
  }
  auto na = normAxes(m, axes, s.size());
  if (failed(na))
    return failure();
  SmallVector<int64_t> out;
  for (int64_t i = 0, r = s.size(); i < r; ++i) {
    bool drop = given ? llvm::is_contained(*na, i) : s[i] == 1;
    if (drop && s[i] != 1)
      return m.fail() << "cannot squeeze dim " << i << " of size " << s[i];
    if (!drop)
      out.push_back(s[i]);
  }
  return done(m, m.reshape(x, out));
}

/// A strided slice with ONNX's clamping; empty axes mean 0, 1, ...; empty
/// steps mean 1.
LogicalResult sliceWith(OnnxImporter &m, Value x, SmallVector<int64_t> starts,
                        SmallVector<int64_t> ends, SmallVector<int64_t> axes,
                        SmallVector<int64_t> steps) {
  auto shape = shapeOf(x);
  int64_t rank = shape.size();
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || ends.size() != starts.size() ||
      steps.size() != starts.size())
    return m.fail() << "starts, ends, axes and steps differ in length";
  auto na = normAxes(m, axes, rank);
  if (failed(na))
    return failure();
  for (size_t i = 0; i < starts.size(); ++i) {
    if (steps[i] <= 0)
      return m.unsupported("negative or zero slice step");
    int64_t d = shape[(*na)[i]];
    auto clamp = [&](int64_t v) {
      if (v < 0)
        v = v < -d ? 0 : v + d;
      return std::min(v, d);
    };
    starts[i] = clamp(starts[i]);
    ends[i] = std::max(clamp(ends[i]), starts[i]);
  }
  return done(m,
              m.op("slice", {x},
                   {m.na("starts", m.i64s(starts)), m.na("ends", m.i64s(ends)),
                    m.na("axes", m.i64s(*na)), m.na("steps", m.i64s(steps))}));
}

/// Slice before opset 10: starts, ends and axes are attributes.
LogicalResult convertSliceAttrs(OnnxImporter &m) {
  Value x = m.in(0);
  SmallVector<int64_t> axes;
  auto s = m.attrInts("starts"), e = m.attrInts("ends");
  if (!s || !e)
    return m.fail() << "needs starts and ends";
  if (auto a = m.attrInts("axes"))
    axes = *a;
  return sliceWith(m, x, *s, *e, axes, {});
}

/// Slice from opset 10: starts, ends, axes? and steps? are inputs known at
/// compile time.
LogicalResult convertSlice(OnnxImporter &m) {
  Value x = m.in(0);
  SmallVector<int64_t> axes, steps;
  auto s = m.intsIn(1, "starts"), e = m.intsIn(2, "ends");
  if (failed(s) || failed(e))
    return failure();
  if (m.hasInput(3)) {
    auto a = m.intsIn(3, "axes");
    if (failed(a))
      return failure();
    axes = *a;
  }
  if (m.hasInput(4)) {
    auto st = m.intsIn(4, "steps");
    if (failed(st))
      return failure();
    steps = *st;
  }
  return sliceWith(m, x, *s, *e, axes, steps);
}

/// Input slices [b, e) along `axis`.
Value sliceAxis(OnnxImporter &m, Value x, int64_t axis, int64_t b, int64_t e) {
  return m.op("slice", {x},
              {m.na("starts", m.i64s({b})), m.na("ends", m.i64s({e})),
               m.na("axes", m.i64s({axis}))});
}

LogicalResult convertGather(OnnxImporter &m) {
  Value data = m.in(0);
  auto ds = shapeOf(data);
  int64_t rank = ds.size();
  int64_t axis = m.attrInt("axis", 0);
  if (axis < -rank || axis >= rank)
    return m.fail() << "axis " << axis << " out of range for rank " << rank;
  if (axis < 0)
    axis += rank;
  const auto &ki = m.knownIn(1);
  // Run-time indices (an embedding lookup), or many known ones (position
  // ids from Range): one dlc.gather, which clamps an index out of range
  // (only known ones can be checked here).
  if (!ki || ki->numel() > 8) {
    if (ki)
      for (int64_t i = 0, e = ki->numel(); i < e; ++i)
        if (int64_t v = intAt(*ki, i); v < -ds[axis] || v >= ds[axis])
          return m.fail() << "index " << v << " out of range for dim "
                          << ds[axis];
    Value indices = m.in(1);
    if (!indices)
      return failure();
    if (product(shapeOf(indices)) == 0)
      return m.unsupported("Gather with no indices");
    return done(m, m.op("gather", {data, indices},
                        {m.na("axis", m.i64(axis))}));
  }
  auto idx = m.intsIn(1, "indices");
  if (failed(idx))
    return failure();
  for (int64_t &i : *idx) {
    if (i < -ds[axis] || i >= ds[axis])
      return m.fail() << "index " << i << " out of range for dim " << ds[axis];
    if (i < 0)
      i += ds[axis];
  }
  SmallVector<int64_t> outShape(ds.take_front(axis));
  outShape.append(ki->shape.begin(), ki->shape.end());
  outShape.append(ds.begin() + axis + 1, ds.end());
  SmallVector<Value> parts;
  for (int64_t i : *idx)
    parts.push_back(sliceAxis(m, data, axis, i, i + 1));
  if (parts.empty())
    return m.unsupported("Gather with no indices");
  Value y = parts.size() == 1
                ? parts[0]
                : m.op("concat", parts, {m.na("axis", m.i64(axis))});
  return done(m, m.reshape(y, outShape));
}

LogicalResult convertConcat(OnnxImporter &m) {
  SmallVector<Value> ins;
  for (unsigned i = 0; i < m.numInputs(); ++i)
    if (Value v = m.in(i))
      if (product(shapeOf(v)) != 0 || m.numInputs() == 1)
        ins.push_back(v);
  int64_t axis = m.attrInt("axis", 1);
  if (ins.empty())
    return m.unsupported("Concat of empty tensors");
  if (ins.size() == 1)
    return done(m, ins[0]);
  return done(m, m.op("concat", ins, {m.na("axis", m.i64(axis))}));
}

/// Split into the node's outputs; from opset 13 (`splitInput`) the sizes
/// may be input 1, before only the `split` attribute.
LogicalResult convertSplit(OnnxImporter &m, bool splitInput) {
  Value x = m.in(0);
  auto s = shapeOf(x);
  int64_t rank = s.size();
  int64_t axis = m.attrInt("axis", 0);
  if (axis < -rank || axis >= rank)
    return m.fail() << "axis " << axis << " out of range";
  if (axis < 0)
    axis += rank;
  SmallVector<int64_t> sizes;
  if (splitInput && m.hasInput(1)) {
    auto v = m.intsIn(1, "split");
    if (failed(v))
      return failure();
    sizes = *v;
  } else if (auto v = m.attrInts("split")) {
    sizes = *v;
  } else {
    unsigned n = m.numOutputs();
    if (n == 0)
      return m.fail() << "has no outputs";
    if (s[axis] % n)
      return m.fail() << "dim " << s[axis] << " does not split evenly into "
                      << n;
    sizes.assign(n, s[axis] / n);
  }
  if (sizes.size() != m.numOutputs())
    return m.fail() << "split has " << sizes.size() << " entries for "
                    << m.numOutputs() << " outputs";
  // Checked first: the sizes are the model's, and their sum can overflow.
  int64_t total = 0;
  for (int64_t size : sizes) {
    if (size < 0)
      return m.fail() << "split size " << size << " is negative";
    if (size > s[axis] - total)
      return m.fail() << "split sizes add up to more than dim " << axis << " ("
                      << s[axis] << ")";
    total += size;
  }
  int64_t at = 0;
  for (unsigned i = 0; i < sizes.size(); ++i) {
    Value y = sliceAxis(m, x, axis, at, at + sizes[i]);
    if (!y)
      return failure();
    m.setOut(i, y);
    at += sizes[i];
  }
  return success();
}

constexpr int64_t kMaxTileRepeats = 4096;

LogicalResult convertTile(OnnxImporter &m) {
  Value x = m.in(0);
  auto reps = m.intsIn(1, "repeats");
  if (failed(reps))
    return failure();
  auto xs = shapeOf(x);
  if (reps->size() != xs.size())
    return m.fail() << "repeats has " << reps->size()
                    << " entries for an input of rank " << xs.size();
  // Each repeat becomes a concat operand: bound them, and the result.
  int64_t n = product(xs);
  for (int64_t r : *reps) {
    if (r < 1 || r > kMaxTileRepeats)
      return m.fail() << "repeat " << r << " is outside [1, " << kMaxTileRepeats
                      << "]";
    if (n > kMaxOnnxElements / r)
      return m.fail() << "result has more than " << kMaxOnnxElements
                      << " elements";
    n *= r;
  }
  for (size_t ax = 0; ax < reps->size() && x; ++ax) {
    if ((*reps)[ax] == 1)
      continue;
    SmallVector<Value> copies((*reps)[ax], x);
    x = m.op("concat", copies, {m.na("axis", m.i64(ax))});
  }
  return done(m, x);
}

/// Pad; from opset 11 (`padsInput`) pads and the value are inputs, before
/// attributes.
LogicalResult convertPad(OnnxImporter &m, bool padsInput) {
  Value x = m.in(0);
  // edge and reflect: copies of the border, or its mirror image, as
  // numpy.pad builds them (axis by axis, so corners come from padded data).
  std::string mode = m.attrString("mode", "constant");
  if (mode != "constant" && mode != "edge" && mode != "reflect")
    return m.unsupported("Pad mode '" + mode + "'");
  SmallVector<int64_t> pads;
  Value value;
  Type t = x ? OnnxImporter::elemOf(x) : Type();
  if (!padsInput) {
    auto p = m.attrInts("pads");
    if (!p)
      return m.fail() << "needs pads";
    pads = *p;
    value = m.scalar(m.attrFloat("value", 0), t);
  } else {
    auto p = m.intsIn(1, "pads");
    if (failed(p))
      return failure();
    pads = *p;
    if (m.hasInput(3))
      return m.unsupported("Pad axes input");
    value = m.hasInput(2) ? m.reshape(m.in(2), {}) : m.scalar(0, t);
  }
  int64_t rank = shapeOf(x).size();
  if (int64_t(pads.size()) != 2 * rank)
    return m.fail() << "pads has " << pads.size() << " entries, expected "
                    << 2 * rank;
  for (int64_t ax = 0; ax < rank && x; ++ax) {
    int64_t pb = pads[ax], pe = pads[ax + rank];
    if (pb < 0 || pe < 0)
      return m.unsupported("negative pads");
    SmallVector<Value> parts;
    SmallVector<int64_t> s(shapeOf(x));
    int64_t len = s[ax];
    if (mode == "reflect" && (pb >= len || pe >= len))
      return m.unsupported("reflect pads of " +
                           std::to_string(std::max(pb, pe)) +
                           " on an axis of " + std::to_string(len));
    if (mode != "constant" && (pb || pe) && len == 0)
      return m.fail() << "cannot " << mode << "-pad an empty axis";
    auto block = [&](int64_t n, bool begin) {
      s[ax] = n;
      if (mode == "constant")
        return m.op("broadcast", {value}, {m.na("shape", m.i64s(s))});
      if (mode == "edge")
        return m.op("broadcast",
                    {sliceAxis(m, x, ax, begin ? 0 : len - 1, begin ? 1 : len)},
                    {m.na("shape", m.i64s(s))});
      SmallVector<Value> rows; // reflect: x[n] .. x[1], x[len-2] .. x[len-1-n]
      for (int64_t j = 0; j < n; ++j) {
        int64_t i = begin ? n - j : len - 2 - j;
        rows.push_back(sliceAxis(m, x, ax, i, i + 1));
      }
      return rows.size() == 1 ? rows[0]
                              : m.op("concat", rows, {m.na("axis", m.i64(ax))});
    };
    if (pb)
      parts.push_back(block(pb, true));
    parts.push_back(x);
    if (pe)
      parts.push_back(block(pe, false));
    if (parts.size() > 1)
      x = m.op("concat", parts, {m.na("axis", m.i64(ax))});
  }
  return done(m, x);
}

LogicalResult convertExpand(OnnxImporter &m) {
  Value x = m.in(0);
  auto shape = m.intsIn(1, "shape");
  if (failed(shape))
    return failure();
  SmallVector<int64_t> target;
  bool compatible =
      OpTrait::util::getBroadcastedShape(shapeOf(x), *shape, target);
  if (!compatible)
    return m.fail() << "cannot broadcast the input to the shape";
  if (ArrayRef<int64_t>(target) == shapeOf(x))
    return done(m, x);
  return done(m, m.op("broadcast", {x}, {m.na("shape", m.i64s(target))}));
}

LogicalResult convertShape(OnnxImporter &m) {
  auto s = m.typeOfInput(0).getShape();
  int64_t rank = s.size();
  int64_t start = m.attrInt("start", 0), end = m.attrInt("end", rank);
  auto clamp = [&](int64_t v) {
    if (v < 0)
      v += rank;
    return std::clamp<int64_t>(v, 0, rank);
  };
  start = clamp(start);
  end = std::max(clamp(end), start);
  std::vector<int64_t> dims(s.begin() + start, s.begin() + end);
  m.setKnown(0, intTensor(dims, {int64_t(dims.size())}));
  return success();
}

} // namespace

void registerShapeIndexConverters(OnnxConverterRegistry &r) {
  r.on("Reshape", 1, convertReshapeAttr);
  r.on("Reshape", 5, convertReshape, 2);
  r.on("Flatten", 1, convertFlatten);
  r.on("Transpose", 1, convertTranspose);
  r.on("Squeeze", 1, [](OnnxImporter &m) {
    return convertSqueeze(m, /*unsqueeze=*/false, /*axesInput=*/false);
  });
  r.on("Squeeze", 13, [](OnnxImporter &m) {
    return convertSqueeze(m, /*unsqueeze=*/false, /*axesInput=*/true);
  });
  r.on("Unsqueeze", 1, [](OnnxImporter &m) {
    return convertSqueeze(m, /*unsqueeze=*/true, /*axesInput=*/false);
  });
  r.on(
      "Unsqueeze", 13,
      [](OnnxImporter &m) {
        return convertSqueeze(m, /*unsqueeze=*/true, /*axesInput=*/true);
      },
      2);
  r.on("Slice", 1, convertSliceAttrs);
  r.on("Slice", 10, convertSlice, 3);
  r.on("Gather", 1, convertGather, 2);
  r.on("Concat", 1, convertConcat, kAllInputs);
  r.on("Split", 1, [](OnnxImporter &m) { return convertSplit(m, false); });
  r.on("Split", 13, [](OnnxImporter &m) { return convertSplit(m, true); });
  r.on("Tile", 1, convertTile, 2);
  r.on("Pad", 1, [](OnnxImporter &m) { return convertPad(m, false); });
  r.on(
      "Pad", 11, [](OnnxImporter &m) { return convertPad(m, true); }, 2);
  r.on("Expand", 1, convertExpand, 2);
  r.on("Shape", 1, convertShape);
  r.on("Size", 1, convertSize);
}

} // namespace dlc::onnx_import
