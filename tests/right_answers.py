"""Correct answers for the blanks of the course notebooks, written differently from the solutions.

tests/test_grader.py grades them as learner submissions: for each k, the solution notebook with
every blank replaced by its k-th right answer (blanks with fewer right answers keep the solution)
must get full marks. Checks judge behaviour, never spelling: another API spelling, list vs dict
updates, loops vs vectorised code or other names must all pass.

Format: notebook id -> {grade_id of a solution cell -> list of replacement sources of that whole
cell}. Every solution cell needs at least two entries.
"""

RIGHT_ANSWERS = {
    # ---- 01_expression_graphs ----------------------------------------------------------------
    "01_expression_graphs": {
    },
    # ---- 02_autodiff -------------------------------------------------------------------------
    "02_autodiff": {
    },
    # ---- 03_mlp_mnist ------------------------------------------------------------------------
    "03_mlp_mnist": {
    },
    # ---- 04_overfitting ----------------------------------------------------------------------
    "04_overfitting": {
    },
    # ---- 05_convnets -------------------------------------------------------------------------
    "05_convnets": {
        "conv_shapes": [
            "def conv_output_shape(in_size, filter_size, stride=1, pad=0):\n"
            "    padded = in_size + 2 * pad\n"
            "    return len(range(0, padded - filter_size + 1, stride))\n\n\n"
            "def pool_output_shape(in_size, pool_size, stride=None):\n"
            "    return conv_output_shape(in_size, pool_size, stride or pool_size)",
            "import math\n\n\n"
            "def conv_output_shape(in_size, filter_size, stride=1, pad=0):\n"
            "    return int(math.floor((in_size - filter_size + 2 * pad) / stride)) + 1\n\n\n"
            "def pool_output_shape(in_size, pool_size, stride=None):\n"
            "    step = pool_size if stride is None else stride\n"
            "    count, start = 0, 0\n"
            "    while start + pool_size <= in_size:\n"
            "        count += 1\n"
            "        start += step\n"
            "    return count",
        ],
        "convnet": [
            "def build_convnet(input_var=None):\n"
            "    net = layers.InputLayer(shape=(None, 1, 28, 28), input_var=input_var)\n"
            "    for filters in (16, 32):\n"
            "        for _ in range(2):\n"
            "            net = layers.Conv2DLayer(net, filters, (3, 3), nonlinearity=T.nnet.relu)\n"
            "        net = layers.MaxPool2DLayer(net, (2, 2))\n"
            "    net = layers.DenseLayer(net, 100, nonlinearity=T.nnet.relu)\n"
            "    return layers.DenseLayer(net, 10, nonlinearity=T.nnet.softmax)",
            "def build_convnet(input_var=None):\n"
            "    def relu(x):\n"
            "        return T.maximum(x, 0)\n\n"
            "    network = layers.InputLayer((None, 1, 28, 28), input_var)\n"
            "    network = layers.Conv2DLayer(network, 16, 3, stride=1, pad=0, nonlinearity=relu)\n"
            "    network = layers.Conv2DLayer(network, 16, 3, pad='valid', nonlinearity=nonlinearities.rectify)\n"
            "    network = layers.Pool2DLayer(network, pool_size=2, mode='max')\n"
            "    network = layers.Conv2DLayer(network, 32, 3, nonlinearity=relu)\n"
            "    network = layers.Conv2DLayer(network, 32, 3, nonlinearity=relu)\n"
            "    network = layers.Pool2DLayer(network, pool_size=2, stride=2, mode='max')\n"
            "    network = layers.DenseLayer(network, 100, nonlinearity=relu)\n"
            "    network = layers.DenseLayer(network, 10, nonlinearity=nonlinearities.softmax)\n"
            "    return network",
        ],
        "feature_maps": [
            "def feature_maps(layer, images):\n"
            "    inputs = T.tensor4('inputs')\n"
            "    input_layer = layers.get_all_layers(layer)[0]\n"
            "    fn = th.function([inputs], layers.get_output(layer, {input_layer: inputs}, deterministic=True))\n"
            "    return np.asarray(fn(images))",
            "def feature_maps(layer, images):\n"
            "    inputs = T.tensor4('inputs')\n"
            "    maps = layers.get_output(layer, inputs=inputs, deterministic=True)\n"
            "    compute = th.function(inputs=[inputs], outputs=maps)\n"
            "    return compute(images.astype(np.float32))",
        ],
    },
    # ---- 06_dropout_batchnorm ----------------------------------------------------------------
    "06_dropout_batchnorm": {
    },
}
