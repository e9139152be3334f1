"""Activation codes shared by every fused epilogue, and the standalone kernels."""

import math

import numpy as np
from numba import njit, prange

NONE, RELU, SIGMOID, TANH, SOFTRELU, RELU6, HARD_SWISH, SILU = 0, 1, 2, 3, 4, 5, 6, 7
CODES = {
    None: NONE,
    "relu": RELU,
    "sigmoid": SIGMOID,
    "tanh": TANH,
    "softrelu": SOFTRELU,
    "relu6": RELU6,  # MobileNet / EfficientNet-Lite: min(max(x, 0), 6)
    "hard_swish": HARD_SWISH,  # x * min(max(x / 6 + 1/2, 0), 1)
    "silu": SILU,  # x * sigmoid(x): YOLO's activation, written out as Sigmoid and Mul
}


# Every clamp is written "bound if value is past it, else value", so NaN, which compares
# false, passes through as IEEE arithmetic would carry it (max(NaN, 0) would drop it).


@njit(inline="always")
def clamp(value, low, high):
    if value < low:
        return low
    return high if value > high else value


# tanh as a ratio of odd and even polynomials on [-7.9, 7.9] (beyond, float32 tanh is +-1):
# the published minimax fit Eigen uses for float tanh, max error 3.5e-7. Unlike math.exp and
# math.tanh (a libm call per value) it vectorises: sigmoid and SiLU run 15-20x faster.
F32 = np.float32
TANH_NUMERATOR = (F32(-2.76076847742355e-16), F32(2.00018790482477e-13),
                  F32(-8.60467152213735e-11), F32(5.12229709037114e-08),
                  F32(1.48572235717979e-05), F32(6.37261928875436e-04),
                  F32(4.89352455891786e-03))  # fmt: skip
TANH_DENOMINATOR = (F32(1.19825839466702e-06), F32(1.18534705686654e-04),
                    F32(2.26843463243900e-03), F32(4.89352518554385e-03))  # fmt: skip


@njit(inline="always")
def odd_rational(x, numerator, denominator):
    """x * p(x^2) / q(x^2), the coefficients highest power first (Horner's rule)."""
    x2 = x * x
    p = numerator[0]
    for a in numerator[1:]:
        p = p * x2 + a
    q = denominator[0]
    for b in denominator[1:]:
        q = q * x2 + b
    return x * p / q


@njit(inline="always")
def fast_tanh(value):
    x = clamp(value, F32(-7.90531110763549805), F32(7.90531110763549805))
    fit = odd_rational(x, TANH_NUMERATOR, TANH_DENOMINATOR)
    return value if abs(value) < F32(0.0004) else fit  # tiny: tanh(x) = x


@njit(inline="always")
def fast_sigmoid(value):
    return F32(0.5) + F32(0.5) * fast_tanh(value * F32(0.5))


@njit(inline="always")
def apply_act(value, act):
    if act == RELU:
        return np.float32(0.0) if value < 0.0 else value
    if act == SIGMOID:
        return fast_sigmoid(value)
    if act == TANH:
        return fast_tanh(value)
    if act == SOFTRELU:
        # log(1 + e^x) without overflow for large x
        return np.float32(max(value, 0.0) + math.log1p(math.exp(-abs(value))))
    if act == RELU6:
        return clamp(value, np.float32(0.0), np.float32(6.0))
    if act == HARD_SWISH:  # float32 constants throughout: a float64 one stops vectorising
        gate = value * np.float32(1.0 / 6.0) + np.float32(0.5)
        return value * clamp(gate, np.float32(0.0), np.float32(1.0))
    if act == SILU:
        return value * fast_sigmoid(value)
    return value


@njit(inline="always")
def activate_row(row, act):
    """act on a 1-D row in place. The common cases get loops of their own: one loop over
    every case is too big for LLVM to unswitch, and then nothing vectorises. ReLU and ReLU6
    are inlined into every kernel; the others are one shared function, compiled once
    rather than into each kernel (first-run compile time)."""
    size = row.shape[0]
    if act == NONE:
        return
    if act == RELU:
        for p in range(size):
            v = row[p]
            row[p] = np.float32(0.0) if v < 0.0 else v
    elif act == RELU6:
        for p in range(size):
            row[p] = clamp(row[p], np.float32(0.0), np.float32(6.0))
    else:
        activate_row_other(row, act)


@njit(cache=True, error_model="numpy")
def activate_row_other(row, act):
    """activate_row for every activation but ReLU and ReLU6, a vectorised loop each (numpy's
    error model: Python's checks every division for zero, and that branch stops LLVM
    vectorising the rational tanh: 1.07 ms -> 0.18 ms for SiLU on 230K values)."""
    size = row.shape[0]
    if act == SIGMOID:
        for p in range(size):
            row[p] = fast_sigmoid(row[p])
    elif act == SILU:
        for p in range(size):
            v = row[p]
            row[p] = v * fast_sigmoid(v)
    elif act == TANH:
        for p in range(size):
            row[p] = fast_tanh(row[p])
    elif act == HARD_SWISH:
        for p in range(size):
            v = row[p]
            row[p] = v * clamp(v * np.float32(1.0 / 6.0) + np.float32(0.5), np.float32(0.0),
                               np.float32(1.0))  # fmt: skip
    else:
        for p in range(size):
            row[p] = apply_act(row[p], act)


@njit(parallel=True, cache=True)
def bias_act(y, bias, act):
    """y[n, k, :] = act(y[n, k, :] + bias[k]) in place; y is (N, K, P)."""
    n_images, channels, size = y.shape
    for job in prange(n_images * channels):
        n = job // channels
        k = job - n * channels
        b = bias[k]
        row = y[n, k]
        for p in range(size):
            row[p] += b
        activate_row(row, act)


@njit(parallel=True, cache=True)
def scatter_bias_act(src, dst, bias, act):
    """dst[i, k, :] = act(src[k, i*P:(i+1)*P] + bias[k]); undoes batching of GEMM columns."""
    n_images, channels, size = dst.shape
    for job in prange(n_images * channels):
        i = job // channels
        k = job - i * channels
        b = bias[k]
        row = dst[i, k]
        part = src[k, i * size : (i + 1) * size]
        for p in range(size):
            row[p] = part[p] + b
        activate_row(row, act)


@njit(parallel=True, cache=True)
def scale_shift_act(x, scale, shift, out, act):
    """out[n, c, :] = act(x[n, c, :] * scale[c] + shift[c]): inference BatchNorm."""
    n_images, channels, size = x.shape
    for job in prange(n_images * channels):
        n = job // channels
        c = job - n * channels
        s, t = scale[c], shift[c]
        row, src = out[n, c], x[n, c]
        for p in range(size):
            row[p] = src[p] * s + t
        activate_row(row, act)


@njit(parallel=True, cache=True)
def add_act(a, b, out, act):
    """out = act(a + b) on (N, R, P) arrays."""
    n_images, rows, size = a.shape
    for job in prange(n_images * rows):
        n = job // rows
        r = job - n * rows
        row, left, right = out[n, r], a[n, r], b[n, r]
        for p in range(size):
            row[p] = left[p] + right[p]
        activate_row(row, act)


@njit(parallel=True, cache=True)
def act_only(x, out, act):
    """out = act(x) on (N, R, P) arrays."""
    n_images, rows, size = x.shape
    for job in prange(n_images * rows):
        n = job // rows
        r = job - n * rows
        row, src = out[n, r], x[n, r]
        for p in range(size):
            row[p] = src[p]
        activate_row(row, act)


@njit(cache=True)
def softmax_rows(x, out):
    """Numerically stable softmax along the last axis of a 2-D array."""
    for n in range(x.shape[0]):
        top = x[n, 0]
        for k in range(1, x.shape[1]):
            top = max(top, x[n, k])
        total = 0.0
        for k in range(x.shape[1]):
            e = math.exp(x[n, k] - top)
            out[n, k] = e
            total += e
        inv = 1.0 / total
        for k in range(x.shape[1]):
            out[n, k] = out[n, k] * inv


@njit(parallel=True, cache=True)
def leaky_relu(x, out, slope, kind):
    """(N, C, P): kind 0 leaky and 1 prelu use slope[c] * x below zero; 2 elu slope[c] * expm1."""
    n_images, channels, size = x.shape
    for job in prange(n_images * channels):
        n = job // channels
        c = job - n * channels
        s = slope[c]
        for p in range(size):
            v = x[n, c, p]
            if v >= 0.0:
                out[n, c, p] = v
            elif kind == 2:
                out[n, c, p] = s * math.expm1(v)
            else:
                out[n, c, p] = s * v


@njit(parallel=True, cache=True)
def softmax_middle(x, out):
    """Softmax over axis 1 of (outer, axis, inner): channel softmax, or rows when inner = 1."""
    outer, length, inner = x.shape
    for job in prange(outer * inner):
        o = job // inner
        i = job - o * inner
        top = x[o, 0, i]
        for k in range(1, length):
            top = max(top, x[o, k, i])
        total = 0.0
        for k in range(length):
            e = math.exp(x[o, k, i] - top)
            out[o, k, i] = e
            total += e
        inv = 1.0 / total
        for k in range(length):
            out[o, k, i] = out[o, k, i] * inv
