# -*- Python -*-
import os
import shutil

import lit.formats
from lit.llvm import llvm_config

config.name = "dlc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit",
                   "Inputs", "tools"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.dlc_obj_root, "test")
config.environment["FILECHECK_OPTS"] = "--enable-var-scope"

config.substitutions.append(("%examples", os.path.join(config.dlc_src_root,
                                                       "examples")))
# `%expect_user_error cmd...`: cmd must exit 1 with nothing on stdout; its
# stderr is passed on for FileCheck.
config.substitutions.append(
    ("%expect_user_error", "sh " + os.path.join(config.dlc_src_root, "test",
                                                "tools", "expect-user-error.sh")))
# Tests that need PyTorch or numpy use Debian's python3 (python3-torch).
torch_python = "/usr/bin/python3"
config.substitutions.append(("%torch_python", torch_python))
try:
    import subprocess
    subprocess.run([torch_python, "-c", "import torch, numpy"], check=True,
                   capture_output=True)
    config.available_features.add("torch")
except Exception:
    lit_config.note("python3-torch not found: tests that need PyTorch are "
                    "reported UNSUPPORTED")

# The ONNX backend test cases (Debian's libonnx-testdata).
if os.path.isdir("/usr/share/libonnx-testdata/data/node"):
    config.available_features.add("onnx-testdata")

# NVRTC (loaded at run time by dlc) compiles kernels without a GPU.
import glob
if glob.glob("/usr/local/cuda*/lib64/libnvrtc.so*"):
    config.available_features.add("nvrtc")
else:
    lit_config.note("NVRTC not found under /usr/local/cuda*: tests that "
                    "compile kernels are reported UNSUPPORTED")

# cuobjdump (the PyPI package nvidia-cuda-cuobjdump, which .ci/install-deps
# puts under /opt/dlc-sass-tools) lets the kernel report count SASS.
sass_dirs = [os.path.dirname(os.environ.get("DLC_CUOBJDUMP", "")),
             "/usr/local/cuda/bin", "/opt/dlc-sass-tools/nvidia/cu13/bin"]
if shutil.which("cuobjdump") or any(
        os.access(os.path.join(d, "cuobjdump"), os.X_OK) for d in sass_dirs if d):
    config.available_features.add("sass")
else:
    lit_config.note("cuobjdump not found: SASS checks are reported "
                    "UNSUPPORTED (.ci/install-deps installs it)")

# A GPU is a lit feature; GPU-only tests say `REQUIRES: cuda`.
if shutil.which("nvidia-smi") and os.system("nvidia-smi -L >/dev/null 2>&1") == 0:
    config.available_features.add("cuda")

llvm_config.with_system_environment(["HOME", "TMPDIR", "XDG_CACHE_HOME",
                                     "DLC_CUOBJDUMP"])
llvm_config.use_default_substitutions()
llvm_config.add_tool_substitutions(
    ["dlc", "dlc-opt", "dlc-emit", "dlc-onnx-conformance"], [config.dlc_tools_dir])
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
