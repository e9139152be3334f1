"""Generate tests/data/mxnet: small MXNet checkpoints and MXNet's own outputs on fixed inputs.

Needs MXNet, which must stay out of tilewise's environment (mxnet 1.9.1 wants numpy<1.24):

    python3.8 -m venv /tmp/mxvenv && /tmp/mxvenv/bin/pip install mxnet==1.9.1 'numpy<1.24'
    /tmp/mxvenv/bin/python tools/make_mxnet_fixtures.py

Writes NAME-symbol.json, NAME-0000.params and NAME-io.npz (input x, output y, and for a
softmax head its input, `logits`, which shows errors the softmax damps) per model, an
old-layout copy of one symbol, and dtypes.nd / list.nd for the NDArray reader.
`--logits` only adds `logits` to the existing -io.npz files, keeping their weights.
"""

import json
import os
import sys

# MXNet's plain executor: its MKLDNN subgraph pass fuses a convolution with a following
# elemwise_add as an in-place sum, overwriting the convolution's output while another node
# still reads it (ops_merge's 'plus' came out as 2 * 'add').
os.environ["MXNET_SUBGRAPH_BACKEND"] = "NONE"

import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "mxnet")
sym = mx.sym


def conv(x, name, filters, kernel, stride=(1, 1), pad=(0, 0), **kw):
    return sym.Convolution(
        x, name=name, num_filter=filters, kernel=kernel, stride=stride, pad=pad, **kw
    )


def ops_conv():
    x = sym.Variable("data")
    x = conv(x, "c1", 6, (3, 3), pad=(1, 1))
    x = sym.BatchNorm(x, name="bn1", fix_gamma=False, eps=1e-3)
    x = sym.Activation(x, name="r1", act_type="relu")
    x = conv(
        x, "c2", 8, (3, 3), stride=(2, 2), pad=(2, 2), dilate=(2, 2), num_group=2, no_bias=True
    )
    x = sym.BatchNorm(x, name="bn2", fix_gamma=True, use_global_stats=True)
    x = sym.LeakyReLU(x, name="leaky", act_type="leaky", slope=0.1)
    x = sym.Pooling(
        x, name="p1", kernel=(3, 3), stride=(2, 2), pool_type="max", pooling_convention="full"
    )
    x = conv(x, "c3", 8, (1, 1))
    x = sym.LeakyReLU(x, name="prelu", act_type="prelu")
    x = sym.Pooling(
        x,
        name="p2",
        kernel=(3, 3),
        stride=(1, 1),
        pad=(1, 1),
        pool_type="avg",
        count_include_pad=False,
    )
    x = sym.LeakyReLU(x, name="elu", act_type="elu", slope=0.7)
    x = sym.LRN(x, name="lrn", nsize=3, alpha=0.01, beta=0.75, knorm=1.5)
    x = sym.Activation(x, name="sig", act_type="sigmoid")
    x = sym.Pooling(x, name="gp", kernel=(1, 1), global_pool=True, pool_type="avg")
    x = sym.Flatten(x, name="flat")
    x = sym.FullyConnected(x, name="fc1", num_hidden=10)
    x = sym.Activation(x, name="tanh", act_type="tanh")
    x = sym.FullyConnected(x, name="fc2", num_hidden=5, no_bias=True)
    return sym.SoftmaxOutput(x, name="softmax"), (2, 4, 11, 12)


def ops_merge():
    x = sym.Variable("data")
    a = conv(x, "a", 6, (1, 1))
    b = conv(x, "b", 4, (3, 3), pad=(1, 1))
    cat = sym.Concat(a, b, name="cat", num_args=2)
    c = conv(x, "c", 10, (3, 3), pad=(1, 1))
    y = sym.elemwise_add(cat, c, name="add")
    y = sym._internal._Plus(y, c, name="plus")
    y = sym.broadcast_add(y, sym.Variable("shift", shape=(1, 10, 1, 1)), name="badd")
    y = sym.broadcast_mul(y, sym.Variable("scale", shape=(1, 10, 1, 1)), name="bmul")
    y = sym.clip(y, name="clip", a_min=-1.5, a_max=2.0)
    y = sym.Activation(y, name="softrelu", act_type="softrelu")
    y = sym.Dropout(y, name="drop", p=0.5)
    y = sym.identity(y, name="ident")
    y = sym.Reshape(y, name="reshape", shape=(0, -1))
    y = sym.FullyConnected(y, name="fc", num_hidden=7)
    return sym.softmax(y, name="prob", axis=-1), (2, 6, 8, 8)


def ops_softmax():
    x = sym.Variable("data")
    y = conv(x, "c", 5, (3, 3), pad=(1, 1))
    y = sym.SoftmaxActivation(y, name="chan", mode="channel")
    y = sym.Pooling(y, name="p", kernel=(2, 2), stride=(2, 2), pool_type="max")
    y = sym.Flatten(y, name="f")
    y = sym.FullyConnected(y, name="fc", num_hidden=6)
    return sym.SoftmaxActivation(y, name="inst"), (3, 3, 8, 8)


def ops_fc3d():
    x = sym.Variable("data")
    y = sym.FullyConnected(x, name="fc", num_hidden=4, flatten=False)
    y = sym.Activation(y, name="r", act_type="relu")
    y = sym.Reshape(y, name="rs", shape=(-3, -2))
    return sym.FullyConnected(y, name="fc2", num_hidden=3), (2, 5, 6)


# ---- benchmark networks at 1/8 width, written as MXNet's example symbols write them ----


def alexnet():
    x = sym.Variable("data")
    x = conv(x, "conv1", 12, (11, 11), stride=(4, 4))
    x = sym.LRN(sym.Activation(x, act_type="relu"), alpha=0.0001, beta=0.75, knorm=2, nsize=5)
    x = sym.Pooling(x, pool_type="max", kernel=(3, 3), stride=(2, 2))
    x = conv(x, "conv2", 32, (5, 5), pad=(2, 2))
    x = sym.LRN(sym.Activation(x, act_type="relu"), alpha=0.0001, beta=0.75, knorm=2, nsize=5)
    x = sym.Pooling(x, kernel=(3, 3), stride=(2, 2), pool_type="max")
    for name, filters in (("conv3", 48), ("conv4", 48), ("conv5", 32)):
        x = sym.Activation(conv(x, name, filters, (3, 3), pad=(1, 1)), act_type="relu")
    x = sym.Flatten(sym.Pooling(x, kernel=(3, 3), stride=(2, 2), pool_type="max"))
    for name in ("fc1", "fc2"):
        x = sym.Dropout(
            sym.Activation(sym.FullyConnected(x, name=name, num_hidden=256), act_type="relu"), p=0.5
        )
    x = sym.FullyConnected(x, name="fc3", num_hidden=100)
    return sym.SoftmaxOutput(x, name="softmax"), (1, 3, 224, 224)


def vgg16():
    x = sym.Variable("data")
    for i, (count, filters) in enumerate(zip((2, 2, 3, 3, 3), (8, 16, 32, 64, 64))):  # noqa: B905 (runs on Python 3.8)
        for j in range(count):
            x = conv(x, f"conv{i + 1}_{j + 1}", filters, (3, 3), pad=(1, 1))
            x = sym.Activation(x, act_type="relu", name=f"relu{i + 1}_{j + 1}")
        x = sym.Pooling(x, pool_type="max", kernel=(2, 2), stride=(2, 2), name=f"pool{i + 1}")
    x = sym.Flatten(x, name="flatten")
    for layer in (6, 7):
        x = sym.FullyConnected(x, num_hidden=128, name=f"fc{layer}")
        x = sym.Dropout(
            sym.Activation(x, act_type="relu", name=f"relu{layer}"), p=0.5, name=f"drop{layer}"
        )
    x = sym.FullyConnected(x, num_hidden=100, name="fc8")
    return sym.SoftmaxOutput(x, name="softmax"), (1, 3, 64, 64)


def resnet(units=(3, 4, 6, 3), width=8):
    def unit(data, filters, stride, dim_match, name):
        bn1 = sym.BatchNorm(data, fix_gamma=False, eps=2e-5, momentum=0.9, name=name + "_bn1")
        act1 = sym.Activation(bn1, act_type="relu", name=name + "_relu1")
        x = conv(act1, name + "_conv1", filters // 4, (1, 1), no_bias=True, workspace=256)
        x = sym.Activation(
            sym.BatchNorm(x, fix_gamma=False, eps=2e-5, name=name + "_bn2"),
            act_type="relu",
            name=name + "_relu2",
        )
        x = conv(x, name + "_conv2", filters // 4, (3, 3), stride, (1, 1), no_bias=True)
        x = sym.Activation(
            sym.BatchNorm(x, fix_gamma=False, eps=2e-5, name=name + "_bn3"),
            act_type="relu",
            name=name + "_relu3",
        )
        x = conv(x, name + "_conv3", filters, (1, 1), no_bias=True)
        short = (
            data if dim_match else conv(act1, name + "_sc", filters, (1, 1), stride, no_bias=True)
        )
        return x + short

    data = sym.identity(sym.Variable("data"), name="id")
    x = sym.BatchNorm(data, fix_gamma=True, eps=2e-5, name="bn_data")
    x = conv(x, "conv0", 64 // width, (7, 7), (2, 2), (3, 3), no_bias=True)
    x = sym.Activation(
        sym.BatchNorm(x, fix_gamma=False, eps=2e-5, name="bn0"), act_type="relu", name="relu0"
    )
    x = sym.Pooling(x, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="max")
    filters_list = [f // width for f in (256, 512, 1024, 2048)]
    for stage, (count, filters) in enumerate(zip(units, filters_list)):  # noqa: B905
        stride = (1, 1) if stage == 0 else (2, 2)
        x = unit(x, filters, stride, False, f"stage{stage + 1}_unit1")
        for i in range(count - 1):
            x = unit(x, filters, (1, 1), True, f"stage{stage + 1}_unit{i + 2}")
    x = sym.Activation(
        sym.BatchNorm(x, fix_gamma=False, eps=2e-5, name="bn1"), act_type="relu", name="relu1"
    )
    x = sym.Flatten(sym.Pooling(x, global_pool=True, kernel=(7, 7), pool_type="avg", name="pool1"))
    x = sym.FullyConnected(x, num_hidden=100, name="fc1")
    return sym.SoftmaxOutput(x, name="softmax"), (1, 3, 64, 64)


def inception_bn():
    def cf(x, filters, kernel, stride=(1, 1), pad=(0, 0), name=None, suffix=""):
        x = conv(x, f"conv_{name}{suffix}", filters, kernel, stride, pad)
        x = sym.BatchNorm(x, fix_gamma=False, eps=1e-5 + 1e-10, name=f"bn_{name}{suffix}")
        return sym.Activation(x, act_type="relu", name=f"relu_{name}{suffix}")

    def block_a(x, n1, n3r, n3, nd3r, nd3, pool, proj, name):
        c1 = cf(x, n1, (1, 1), name=f"{name}_1x1")
        c3 = cf(
            cf(x, n3r, (1, 1), name=f"{name}_3x3", suffix="_reduce"),
            n3,
            (3, 3),
            pad=(1, 1),
            name=f"{name}_3x3",
        )
        d3 = cf(x, nd3r, (1, 1), name=f"{name}_double_3x3", suffix="_reduce")
        d3 = cf(d3, nd3, (3, 3), pad=(1, 1), name=f"{name}_double_3x3_0")
        d3 = cf(d3, nd3, (3, 3), pad=(1, 1), name=f"{name}_double_3x3_1")
        p = sym.Pooling(
            x,
            kernel=(3, 3),
            stride=(1, 1),
            pad=(1, 1),
            pool_type=pool,
            name=f"{pool}_pool_{name}_pool",
        )
        p = cf(p, proj, (1, 1), name=f"{name}_proj")
        return sym.Concat(c1, c3, d3, p, name=f"ch_concat_{name}_chconcat")

    def block_b(x, n3r, n3, nd3r, nd3, name):
        c3 = cf(
            cf(x, n3r, (1, 1), name=f"{name}_3x3", suffix="_reduce"),
            n3,
            (3, 3),
            pad=(1, 1),
            stride=(2, 2),
            name=f"{name}_3x3",
        )
        d3 = cf(x, nd3r, (1, 1), name=f"{name}_double_3x3", suffix="_reduce")
        d3 = cf(d3, nd3, (3, 3), pad=(1, 1), name=f"{name}_double_3x3_0")
        d3 = cf(d3, nd3, (3, 3), pad=(1, 1), stride=(2, 2), name=f"{name}_double_3x3_1")
        p = sym.Pooling(
            x,
            kernel=(3, 3),
            stride=(2, 2),
            pad=(1, 1),
            pool_type="max",
            name=f"max_pool_{name}_pool",
        )
        return sym.Concat(c3, d3, p, name=f"ch_concat_{name}_chconcat")

    x = sym.Variable("data")
    x = cf(x, 8, (7, 7), stride=(2, 2), pad=(3, 3), name="1")
    x = sym.Pooling(x, kernel=(3, 3), stride=(2, 2), name="pool_1", pool_type="max")
    x = cf(cf(x, 8, (1, 1), name="2_red"), 24, (3, 3), pad=(1, 1), name="2")
    x = sym.Pooling(x, kernel=(3, 3), stride=(2, 2), name="pool_2", pool_type="max")
    x = block_a(x, 8, 8, 8, 8, 12, "avg", 4, "3a")
    x = block_a(x, 8, 8, 12, 8, 12, "avg", 8, "3b")
    x = block_b(x, 16, 20, 8, 12, "3c")
    x = block_a(x, 28, 8, 12, 12, 16, "avg", 16, "4a")
    x = block_b(x, 16, 24, 24, 32, "4e")
    x = block_a(x, 44, 24, 40, 24, 28, "max", 16, "5b")
    x = sym.Pooling(x, kernel=(7, 7), stride=(1, 1), name="global_pool", pool_type="avg")
    x = sym.FullyConnected(sym.Flatten(x), num_hidden=100)
    return sym.SoftmaxOutput(x, name="softmax"), (1, 3, 224, 224)


def inception_v3():
    def cv(x, filters, kernel=(1, 1), stride=(1, 1), pad=(0, 0), name="", suffix=""):
        filters = max(filters // 8, 2)
        x = conv(x, f"{name}{suffix}_conv2d", filters, kernel, stride, pad, no_bias=True)
        x = sym.BatchNorm(x, name=f"{name}{suffix}_batchnorm", fix_gamma=True)
        return sym.Activation(x, act_type="relu", name=f"{name}{suffix}_relu")

    def pool(x, kind, name, stride=(1, 1), pad=(1, 1)):
        return sym.Pooling(
            x,
            kernel=(3, 3),
            stride=stride,
            pad=pad,
            pool_type=kind,
            name=f"{kind}_pool_{name}_pool",
        )

    def block_a(x, n1, n3r, n31, n32, n5r, n5, kind, proj, name):
        t1 = cv(x, n1, name=f"{name}_conv")
        t5 = cv(
            cv(x, n5r, name=f"{name}_tower", suffix="_conv"),
            n5,
            (5, 5),
            pad=(2, 2),
            name=f"{name}_tower",
            suffix="_conv_1",
        )
        t3 = cv(x, n3r, name=f"{name}_tower_1", suffix="_conv")
        t3 = cv(t3, n31, (3, 3), pad=(1, 1), name=f"{name}_tower_1", suffix="_conv_1")
        t3 = cv(t3, n32, (3, 3), pad=(1, 1), name=f"{name}_tower_1", suffix="_conv_2")
        p = cv(pool(x, kind, name), proj, name=f"{name}_tower_2", suffix="_conv")
        return sym.Concat(t1, t5, t3, p, name=f"ch_concat_{name}_chconcat")

    def block_b(x, n3, nd3r, nd31, nd32, name):
        t3 = cv(x, n3, (3, 3), stride=(2, 2), name=f"{name}_conv")
        d3 = cv(x, nd3r, name=f"{name}_tower", suffix="_conv")
        d3 = cv(d3, nd31, (3, 3), pad=(1, 1), name=f"{name}_tower", suffix="_conv_1")
        d3 = cv(d3, nd32, (3, 3), stride=(2, 2), name=f"{name}_tower", suffix="_conv_2")
        p = pool(x, "max", name, stride=(2, 2), pad=(0, 0))
        return sym.Concat(t3, d3, p, name=f"ch_concat_{name}_chconcat")

    def block_c(x, n1, d7r, d71, d72, q7r, q71, q72, q73, q74, kind, proj, name):
        row, col = ((1, 7), (0, 3)), ((7, 1), (3, 0))
        t1 = cv(x, n1, name=f"{name}_conv")
        d7 = cv(x, d7r, name=f"{name}_tower", suffix="_conv")
        for i, (f, (k, p)) in enumerate(((d71, row), (d72, col)), start=1):
            d7 = cv(d7, f, k, pad=p, name=f"{name}_tower", suffix=f"_conv_{i}")
        q7 = cv(x, q7r, name=f"{name}_tower_1", suffix="_conv")
        for i, (f, (k, p)) in enumerate(((q71, col), (q72, row), (q73, col), (q74, row)), start=1):
            q7 = cv(q7, f, k, pad=p, name=f"{name}_tower_1", suffix=f"_conv_{i}")
        p = cv(pool(x, kind, name), proj, name=f"{name}_tower_2", suffix="_conv")
        return sym.Concat(t1, d7, q7, p, name=f"ch_concat_{name}_chconcat")

    def block_d(x, n3r, n3, d7r, d71, d72, d73, name):
        t3 = cv(
            cv(x, n3r, name=f"{name}_tower", suffix="_conv"),
            n3,
            (3, 3),
            stride=(2, 2),
            name=f"{name}_tower",
            suffix="_conv_1",
        )
        d7 = cv(x, d7r, name=f"{name}_tower_1", suffix="_conv")
        d7 = cv(d7, d71, (1, 7), pad=(0, 3), name=f"{name}_tower_1", suffix="_conv_1")
        d7 = cv(d7, d72, (7, 1), pad=(3, 0), name=f"{name}_tower_1", suffix="_conv_2")
        d7 = cv(d7, d73, (3, 3), stride=(2, 2), name=f"{name}_tower_1", suffix="_conv_3")
        p = sym.Pooling(
            x, kernel=(3, 3), stride=(2, 2), pool_type="max", name=f"max_pool_{name}_pool"
        )
        return sym.Concat(t3, d7, p, name=f"ch_concat_{name}_chconcat")

    def block_e(x, n1, d3r, d31, d32, t3r, t3n, t31, t32, kind, proj, name):
        t1 = cv(x, n1, name=f"{name}_conv")
        d3 = cv(x, d3r, name=f"{name}_tower", suffix="_conv")
        a = cv(d3, d31, (1, 3), pad=(0, 1), name=f"{name}_tower", suffix="_mixed_conv")
        b = cv(d3, d32, (3, 1), pad=(1, 0), name=f"{name}_tower", suffix="_mixed_conv_1")
        t3 = cv(x, t3r, name=f"{name}_tower_1", suffix="_conv")
        t3 = cv(t3, t3n, (3, 3), pad=(1, 1), name=f"{name}_tower_1", suffix="_conv_1")
        c = cv(t3, t31, (1, 3), pad=(0, 1), name=f"{name}_tower_1", suffix="_mixed_conv")
        d = cv(t3, t32, (3, 1), pad=(1, 0), name=f"{name}_tower_1", suffix="_mixed_conv_1")
        p = cv(pool(x, kind, name), proj, name=f"{name}_tower_2", suffix="_conv")
        return sym.Concat(t1, a, b, c, d, p, name=f"ch_concat_{name}_chconcat")

    x = sym.identity(sym.Variable("data"), name="id")
    x = cv(x, 32, (3, 3), stride=(2, 2), name="conv")
    x = cv(x, 32, (3, 3), name="conv_1")
    x = cv(x, 64, (3, 3), pad=(1, 1), name="conv_2")
    x = sym.Pooling(x, kernel=(3, 3), stride=(2, 2), pool_type="max", name="pool")
    x = cv(cv(x, 80, name="conv_3"), 192, (3, 3), name="conv_4")
    x = sym.Pooling(x, kernel=(3, 3), stride=(2, 2), pool_type="max", name="pool1")
    x = block_a(x, 64, 64, 96, 96, 48, 64, "avg", 32, "mixed")
    x = block_a(x, 64, 64, 96, 96, 48, 64, "avg", 64, "mixed_1")
    x = block_b(x, 384, 64, 96, 96, "mixed_3")
    x = block_c(x, 192, 128, 128, 192, 128, 128, 128, 128, 192, "avg", 192, "mixed_4")
    x = block_d(x, 192, 320, 192, 192, 192, 192, "mixed_8")
    x = block_e(x, 320, 384, 384, 384, 448, 384, 384, 384, "max", 192, "mixed_10")
    x = sym.Pooling(x, kernel=(8, 8), stride=(1, 1), pool_type="avg", name="global_pool")
    x = sym.FullyConnected(sym.Flatten(x, name="flatten"), num_hidden=100, name="fc1")
    return sym.SoftmaxOutput(x, name="softmax"), (1, 3, 299, 299)


def save(name, net, shape, seed, half=False):
    """`half`: store the weights as float16 (values rounded first, so MXNet's output is
    computed from exactly what the file holds): half the size, and the float16 path read."""
    rng = np.random.default_rng(seed)
    exe = net.simple_bind(mx.cpu(), data=shape, grad_req="null")
    init = mx.init.Xavier(magnitude=2.0)
    args, aux = {}, {}
    for key, array in exe.arg_dict.items():
        if key == "data" or key.endswith("_label"):
            continue
        if key.endswith("_weight"):
            init(mx.init.InitDesc(key), array)
        else:  # biases, gamma, beta, prelu slopes, broadcast operands: non-trivial values
            array[:] = rng.uniform(0.5 if key.endswith("gamma") else -0.3, 1.2, array.shape)
        if half and key.endswith("_weight"):
            array[:] = array.asnumpy().astype(np.float16).astype(np.float32)
        args[key] = array
    for key, array in exe.aux_dict.items():
        low, high = (0.5, 1.5) if key.endswith("_var") else (-0.2, 0.2)
        array[:] = rng.uniform(low, high, array.shape)
        aux[key] = array
    x = rng.uniform(-1, 1, shape).astype(np.float32)
    exe.arg_dict["data"][:] = x
    y = exe.forward(is_train=False)[0].asnumpy()
    prefix = os.path.join(OUT, name)
    mx.model.save_checkpoint(prefix, 0, net, args, aux)
    if half:
        stored = {f"arg:{k}": v.astype("float16") if k.endswith("_weight") else v
                  for k, v in args.items()}  # fmt: skip
        stored.update({f"aux:{k}": v for k, v in aux.items()})
        mx.nd.save(prefix + "-0000.params", stored)
    logits = logits_of(net, args, aux, x)
    extra = {} if logits is None else {"logits": logits}
    np.savez_compressed(prefix + "-io.npz", x=x, y=y, **extra)
    print(name, shape, "->", y.shape, f"{os.path.getsize(prefix + '-0000.params')} bytes")
    return prefix, x, y


SOFTMAX_HEADS = ("SoftmaxOutput", "softmax", "SoftmaxActivation")


def logits_of(net, args, aux, x):
    """The input of a softmax head on x (None for other heads), from MXNet's executor."""
    head = json.loads(net.tojson())["nodes"][-1]
    if head["op"] not in SOFTMAX_HEADS:
        return None
    inner = net.get_children()[0]
    exe = inner.simple_bind(mx.cpu(), data=x.shape, grad_req="null")
    for key, value in {**args, **aux}.items():
        table = exe.arg_dict if key in exe.arg_dict else exe.aux_dict
        if key in table:
            table[key][:] = value
    exe.arg_dict["data"][:] = x
    return exe.forward(is_train=False)[0].asnumpy()


def add_logits():
    for name in sorted(os.listdir(OUT)):
        if not name.endswith("-io.npz"):
            continue
        prefix = os.path.join(OUT, name[: -len("-io.npz")])
        io = dict(np.load(prefix + "-io.npz"))
        net = mx.sym.load(prefix + "-symbol.json")
        params = mx.nd.load(prefix + "-0000.params")
        args = {k[4:]: v.astype("float32") for k, v in params.items() if k.startswith("arg:")}
        aux = {k[4:]: v.astype("float32") for k, v in params.items() if k.startswith("aux:")}
        logits = logits_of(net, args, aux, io["x"])
        if logits is not None:
            io["logits"] = logits
            np.savez_compressed(prefix + "-io.npz", **io)
        print(name, "logits", None if logits is None else logits.shape)


def old_layout(prefix, x, y):
    """MXNet <0.9 JSON: 'param' / 'attr' instead of 'attrs', two-element inputs and heads."""
    graph = json.load(open(prefix + "-symbol.json"))
    for node in graph["nodes"]:
        node["param"] = node.pop("attrs", {})
        node["attr"] = {"__lr_mult__": "1.0"} if node["op"] == "null" else {}
        node["inputs"] = [ref[:2] for ref in node["inputs"]]
        node["backward_source_id"] = -1
    graph["heads"] = [ref[:2] for ref in graph["heads"]]
    graph.pop("node_row_ptr", None)
    graph.pop("attrs", None)
    old = os.path.join(OUT, "old_layout")
    json.dump(graph, open(old + "-symbol.json", "w"))
    # MXNet itself reads the old file back and must agree
    net, args, aux = mx.model.load_checkpoint(prefix, 0)
    net_old = mx.sym.load(old + "-symbol.json")
    exe = net_old.simple_bind(mx.cpu(), data=x.shape, grad_req="null")
    for key, value in {**args, **aux}.items():
        (exe.arg_dict if key in exe.arg_dict else exe.aux_dict)[key][:] = value
    exe.arg_dict["data"][:] = x
    y_old = exe.forward(is_train=False)[0].asnumpy()
    assert np.allclose(y_old, y), "MXNet disagrees with itself on the old layout"
    params = {**{f"arg:{k}": v for k, v in args.items()}, **{f"aux:{k}": v for k, v in aux.items()}}
    mx.nd.save(old + "-0000.params", params)  # save_checkpoint would rewrite the symbol
    logits = logits_of(net_old, args, aux, x)
    extra = {} if logits is None else {"logits": logits}
    np.savez_compressed(old + "-io.npz", x=x, y=y_old, **extra)
    print("old_layout from", os.path.basename(prefix))


def ndarray_files():
    arrays = {
        "arg:f32": np.arange(6, dtype=np.float32).reshape(2, 3),
        "arg:f16": np.array([1.5, -2.25], np.float16),
        "aux:f64": np.array([[1e-300, 3.0]], np.float64),
        "u8": np.array([0, 255], np.uint8),
        "i8": np.array([-128, 127], np.int8),
        "i32": np.array([2**31 - 1], np.int32),
        "i64": np.array([2**40, -5], np.int64),
    }
    mx.nd.save(
        os.path.join(OUT, "dtypes.nd"),
        {k: mx.nd.array(v, dtype=v.dtype) for k, v in arrays.items()},
    )
    np.savez(
        os.path.join(OUT, "dtypes-expected.npz"),
        **{k.replace(":", "__"): v for k, v in arrays.items()},
    )
    mx.nd.save(os.path.join(OUT, "list.nd"), [mx.nd.array(np.eye(2, dtype=np.float32))])
    sparse = mx.nd.array(np.eye(3, dtype=np.float32)).tostype("csr")
    mx.nd.save(os.path.join(OUT, "sparse.nd"), {"csr": sparse})


def main():
    os.makedirs(OUT, exist_ok=True)
    models = [
        ("ops_conv", ops_conv),
        ("ops_merge", ops_merge),
        ("ops_softmax", ops_softmax),
        ("ops_fc3d", ops_fc3d),
        ("alexnet_w8", alexnet),
        ("vgg16_w8", vgg16),
        ("resnet50_w8", resnet),
        ("inception_bn_w8", inception_bn),
        ("resnet152_w16", lambda: resnet((3, 8, 36, 3), 16)),
        ("inception_v3_w8", inception_v3),
    ]
    saved = {}
    for seed, (name, build) in enumerate(models):
        net, shape = build()
        saved[name] = save(name, net, shape, seed, half=name.endswith(("_w8", "_w16")))
    old_layout(*saved["ops_merge"])
    ndarray_files()


if __name__ == "__main__":
    add_logits() if sys.argv[1:] == ["--logits"] else main()
