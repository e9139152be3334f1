"""Explicit SIMD from Numba: a float32 vector type lowered to LLVM's <W x float>, and the
few intrinsics the channel-blocked kernels need (load, store, broadcast, fma, select).

Plain `@njit` loops over the lanes of a channel block do not vectorise well (negative-index
selects, no noalias on arguments, the reduction vectorised instead of the lanes); written
with these, a register-blocked convolution runs at the sgemm rate. Offsets are in floats
from the start of the array's data, unchecked: the kernels compute them in range.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, models, register_model


class FloatVector(types.Type):
    def __init__(self, width: int) -> None:
        self.width = width
        super().__init__(name=f"f32x{width}")


@register_model(FloatVector)
class FloatVectorModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type) -> None:
        super().__init__(dmm, fe_type, ir.VectorType(ir.FloatType(), fe_type.width))


def _address(context, builder, array_type, array, offset):
    data = cgutils.create_struct_proxy(array_type)(context, builder, value=array).data
    return builder.gep(data, [offset])


def _zero(builder):
    """A float 0.0 constant in the module: the source of broadcast_or_zero's padding taps."""
    name = "tilewise_zero_float"
    if name in builder.module.globals:
        return builder.module.globals[name]
    zero = ir.GlobalVariable(builder.module, ir.FloatType(), name)
    zero.linkage, zero.global_constant = "internal", True
    zero.initializer = ir.Constant(ir.FloatType(), 0.0)
    return zero


def _splat(builder, scalar, width: int):
    vector_type = ir.VectorType(ir.FloatType(), width)
    one = builder.insert_element(ir.Constant(vector_type, ir.Undefined), scalar,
                                 ir.Constant(ir.IntType(32), 0))  # fmt: skip
    mask = ir.Constant(ir.VectorType(ir.IntType(32), width), [0] * width)
    return builder.shuffle_vector(one, ir.Constant(vector_type, ir.Undefined), mask)


def _llvm_function(builder, name: str, vector_type, arity: int):
    signature = ir.FunctionType(vector_type, [vector_type] * arity)
    return cgutils.get_or_insert_function(builder.module, signature, name)


class VectorOps:
    """The intrinsics for one vector width (8: AVX2, 16: AVX-512, 4: NEON/SSE)."""

    def __init__(self, width: int) -> None:
        vt = FloatVector(width)
        llvm_type = ir.VectorType(ir.FloatType(), width)
        suffix = f"v{width}f32"

        @intrinsic
        def load(typingctx, array, offset):
            def codegen(context, builder, sig, args):
                address = _address(context, builder, sig.args[0], args[0], args[1])
                return builder.load(builder.bitcast(address, llvm_type.as_pointer()), align=4)

            return vt(array, offset), codegen

        @intrinsic
        def store(typingctx, array, offset, value):
            def codegen(context, builder, sig, args):
                address = _address(context, builder, sig.args[0], args[0], args[1])
                builder.store(args[2], builder.bitcast(address, llvm_type.as_pointer()), align=4)
                return context.get_dummy_value()

            return types.none(array, offset, value), codegen

        @intrinsic
        def load_if(typingctx, array, offset, flag):
            """The vector at offset where `flag`, else zeros (offset must be safe)."""

            def codegen(context, builder, sig, args):
                address = _address(context, builder, sig.args[0], args[0], args[1])
                value = builder.load(builder.bitcast(address, llvm_type.as_pointer()), align=4)
                keep = builder.icmp_unsigned("!=", args[2], ir.Constant(args[2].type, 0))
                return builder.select(keep, value, ir.Constant(llvm_type, [0.0] * width))

            return vt(array, offset, flag), codegen

        @intrinsic
        def broadcast(typingctx, array, offset):
            def codegen(context, builder, sig, args):
                address = _address(context, builder, sig.args[0], args[0], args[1])
                return _splat(builder, builder.load(address, align=4), width)

            return vt(array, offset), codegen

        @intrinsic
        def broadcast_or_zero(typingctx, array, offset, flag):
            """array[offset] in every lane where `flag`, else 0.0 (offset must then be 0).
            The pointer, not the value, is selected: in a loop with `flag` fixed the select
            moves out of it and the loads stay plain broadcasts."""

            def codegen(context, builder, sig, args):
                proxy = cgutils.create_struct_proxy(sig.args[0])(context, builder, value=args[0])
                keep = builder.icmp_unsigned("!=", args[2], ir.Constant(args[2].type, 0))
                base = builder.select(keep, proxy.data, _zero(builder))
                return _splat(builder, builder.load(builder.gep(base, [args[1]]), align=4), width)

            return vt(array, offset, flag), codegen

        @intrinsic
        def prefetch(typingctx, array, offset):
            """Ask for the cache line at offset; never faults, so it may point past the
            array. For streams the hardware prefetcher drops at a 4 KB page's end."""

            def codegen(context, builder, sig, args):
                address = _address(context, builder, sig.args[0], args[0], args[1])
                i8p = ir.IntType(8).as_pointer()
                i32 = ir.IntType(32)
                signature = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
                function = cgutils.get_or_insert_function(builder.module, signature,
                                                          "llvm.prefetch.p0i8")  # fmt: skip
                builder.call(function, [builder.bitcast(address, i8p), ir.Constant(i32, 0),
                                        ir.Constant(i32, 3), ir.Constant(i32, 1)])  # fmt: skip
                return context.get_dummy_value()

            return types.none(array, offset), codegen

        @intrinsic
        def splat(typingctx, scalar):
            def codegen(context, builder, sig, args):
                return _splat(builder, args[0], width)

            return vt(types.float32), codegen

        @intrinsic
        def fma(typingctx, a, b, c):
            """a * b + c, one rounding."""

            def codegen(context, builder, sig, args):
                return builder.call(_llvm_function(builder, f"llvm.fma.{suffix}", llvm_type, 3),
                                    args)  # fmt: skip

            return vt(vt, vt, vt), codegen

        @intrinsic
        def add(typingctx, a, b):
            def codegen(context, builder, sig, args):
                return builder.fadd(args[0], args[1])

            return vt(vt, vt), codegen

        @intrinsic
        def sub(typingctx, a, b):
            def codegen(context, builder, sig, args):
                return builder.fsub(args[0], args[1])

            return vt(vt, vt), codegen

        @intrinsic
        def mul(typingctx, a, b):
            def codegen(context, builder, sig, args):
                return builder.fmul(args[0], args[1])

            return vt(vt, vt), codegen

        # maximum(a, b) = b where a < b, else a; minimum(a, b) = b where b < a, else a: a NaN
        # in `a` (the value being clamped) passes through, and each is one vmaxps/vminps.
        @intrinsic
        def maximum(typingctx, a, b):
            def codegen(context, builder, sig, args):
                below = builder.fcmp_ordered("<", args[0], args[1])
                return builder.select(below, args[1], args[0])

            return vt(vt, vt), codegen

        @intrinsic
        def minimum(typingctx, a, b):
            def codegen(context, builder, sig, args):
                above = builder.fcmp_ordered("<", args[1], args[0])
                return builder.select(above, args[1], args[0])

            return vt(vt, vt), codegen

        @intrinsic
        def maximum_nan(typingctx, acc, v):
            """v where v > acc or v is NaN, else acc: a NaN in either sticks (max pooling)."""

            def codegen(context, builder, sig, args):
                above = builder.fcmp_ordered(">", args[1], args[0])
                nan = builder.fcmp_unordered("uno", args[1], args[1])
                return builder.select(builder.or_(above, nan), args[1], args[0])

            return vt(vt, vt), codegen

        self.width = width
        self.load, self.store = load, store
        self.broadcast, self.broadcast_or_zero = broadcast, broadcast_or_zero
        self.splat, self.fma, self.add, self.mul = splat, fma, add, mul
        self.maximum, self.minimum, self.maximum_nan = maximum, minimum, maximum_nan
        self.load_if, self.sub, self.prefetch = load_if, sub, prefetch

    def intrinsics(self) -> tuple:
        """In the order the generated kernels bind them (tools/gen_nchwc.py)."""
        return (self.load, self.store, self.broadcast, self.broadcast_or_zero, self.splat,
                self.fma, self.add, self.mul, self.maximum, self.minimum, self.maximum_nan,
                self.load_if, self.sub, self.prefetch)  # fmt: skip


VECTOR_OPS = {width: VectorOps(width) for width in (4, 8, 16)}
