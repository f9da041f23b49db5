# SPDX-License-Identifier: Apache-2.0
"""Compiler options shared by every C++ target."""

SYSSTREAM_COPTS = [
    "-std=c++17",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
    "-Wno-missing-field-initializers",
]
