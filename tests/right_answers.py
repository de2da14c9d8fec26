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
        "sigmoid_mlp": [
            # the layer classes and nonlinearities imported by name, positional arguments
            "from minitheano.layers import InputLayer, DenseLayer\n"
            "from minitheano.nonlinearities import sigmoid, softmax\n\n\n"
            "def build_sigmoid_mlp(input_var):\n"
            "    l1 = InputLayer((None, 784), input_var=input_var)\n"
            "    l2 = DenseLayer(l1, 100, nonlinearity=sigmoid)\n"
            "    l3 = DenseLayer(l2, 100, nonlinearity=sigmoid)\n"
            "    l4 = DenseLayer(l3, 10, nonlinearity=softmax)\n"
            "    return l4",
            # linear dense layers followed by separate nonlinearity layers, T.nnet functions, a loop
            "def build_sigmoid_mlp(input_var):\n"
            "    net = layers.InputLayer(shape=(None, 784), input_var=input_var)\n"
            "    for units, f in [(100, T.nnet.sigmoid), (100, T.nnet.sigmoid), (10, T.nnet.softmax)]:\n"
            "        net = layers.DenseLayer(net, num_units=units, nonlinearity=None)\n"
            "        net = layers.NonlinearityLayer(net, nonlinearity=f)\n"
            "    return net",
            # the sigmoid written out, names for the layers
            "def build_sigmoid_mlp(input_var):\n"
            "    def logistic(z):\n"
            "        return 1 / (1 + T.exp(-z))\n\n"
            "    net = layers.InputLayer((None, 784), input_var=input_var, name='in')\n"
            "    net = layers.DenseLayer(net, 100, nonlinearity=logistic, name='h1')\n"
            "    net = layers.DenseLayer(net, 100, nonlinearity=logistic, name='h2')\n"
            "    return layers.DenseLayer(net, 10, nonlinearity=nonlinearities.softmax, name='out')",
        ],
        "training_loss": [
            # objectives.aggregate instead of .mean()
            "def training_loss(net, y):\n"
            "    ce = objectives.categorical_crossentropy(layers.get_output(net), y)\n"
            "    return objectives.aggregate(ce, mode='mean')",
            # the crossentropy written out: -log of each row's target probability
            "def training_loss(net, y):\n"
            "    p = layers.get_output(net)\n"
            "    return -T.mean(T.log(p[T.arange(y.shape[0]), y]))",
            # T.nnet's crossentropy, the mean as sum / batch size
            "def training_loss(net, y):\n"
            "    ce = T.nnet.categorical_crossentropy(layers.get_output(net), y)\n"
            "    return T.sum(ce) / y.shape[0]",
        ],
        "sgd_updates": [
            # a list of (parameter, new value) pairs, one gradient at a time
            "def sgd_updates(loss, params, learning_rate):\n"
            "    upd = []\n"
            "    for p in params:\n"
            "        upd.append((p, p - learning_rate * th.grad(loss, p)))\n"
            "    return upd",
            # the library's rule
            "def sgd_updates(loss, params, learning_rate):\n"
            "    return updates.sgd(loss, params, learning_rate)",
            # an OrderedDict filled in a loop over indices
            "from collections import OrderedDict\n\n\n"
            "def sgd_updates(loss, params, learning_rate):\n"
            "    gradients = th.grad(loss, wrt=params)\n"
            "    result = OrderedDict()\n"
            "    for i in range(len(params)):\n"
            "        result[params[i]] = params[i] - gradients[i] * learning_rate\n"
            "    return result",
        ],
        "compile_train_fn": [
            # keyword arguments
            "def compile_train_fn(X, y, loss, accuracy, upd):\n"
            "    return th.function(inputs=[X, y], outputs=[loss, accuracy], updates=upd)",
            # the updates as a list of pairs, the outputs as a tuple turned into a list
            "def compile_train_fn(X, y, loss, accuracy, upd):\n"
            "    pairs = list(dict(upd).items())\n"
            "    fn = th.function([X, y], list((loss, accuracy)), updates=pairs)\n"
            "    return fn",
        ],
        "compile_val_fn": [
            # objectives.categorical_accuracy, T.mean
            "def compile_val_fn(net, X, y):\n"
            "    out = layers.get_output(net, deterministic=True)\n"
            "    loss = T.mean(objectives.categorical_crossentropy(out, y))\n"
            "    acc = objectives.categorical_accuracy(out, y).mean()\n"
            "    return th.function([X, y], [loss, acc])",
            # methods instead of functions, axis=-1, the error rate turned around
            "def compile_val_fn(net, X, y):\n"
            "    prediction = layers.get_output(net, deterministic=True)\n"
            "    loss = objectives.aggregate(objectives.categorical_crossentropy(prediction, y))\n"
            "    error_rate = T.neq(prediction.argmax(axis=-1), y).mean()\n"
            "    return th.function([X, y], [loss, 1 - error_rate])",
        ],
    },
    # ---- 04_overfitting ----------------------------------------------------------------------
    "04_overfitting": {
        "early_stopping": [
            # a counter of epochs without improvement, reset at each new best; copies of get_value()
            "def train_with_early_stopping(net, train_epoch, validate, max_epochs, patience):\n"
            "    params = layers.get_all_params(net)\n"
            "    val_losses, best_epoch, waited = [], 0, 0\n"
            "    saved = [p.get_value().copy() for p in params]\n"
            "    for epoch in range(1, max_epochs + 1):\n"
            "        train_epoch()\n"
            "        loss = float(validate())\n"
            "        val_losses.append(loss)\n"
            "        if best_epoch == 0 or loss < val_losses[best_epoch - 1]:\n"
            "            best_epoch, waited = epoch, 0\n"
            "            saved = [p.get_value().copy() for p in params]\n"
            "        else:\n"
            "            waited += 1\n"
            "            if waited == patience:\n"
            "                break\n"
            "    for p, value in zip(params, saved):\n"
            "        p.set_value(value)\n"
            "    return val_losses, best_epoch",
            # a while loop; the best epoch found with min() over the list
            "def train_with_early_stopping(net, train_epoch, validate, max_epochs, patience):\n"
            "    val_losses = []\n"
            "    best_values = None\n"
            "    epoch = 0\n"
            "    while epoch < max_epochs:\n"
            "        epoch += 1\n"
            "        train_epoch()\n"
            "        val_losses.append(validate())\n"
            "        best = min(range(len(val_losses)), key=lambda i: val_losses[i]) + 1\n"
            "        if best == epoch:\n"
            "            best_values = [v.copy() for v in layers.get_all_param_values(net)]\n"
            "        if epoch - best >= patience:\n"
            "            break\n"
            "    layers.set_all_param_values(net, best_values)\n"
            "    return [float(v) for v in val_losses], best",
        ],
        "weight_decay": [
            # the weights collected by tag, l2 summed in Python
            "def regularized_loss(net, y, weight_decay):\n"
            "    loss = objectives.categorical_crossentropy(layers.get_output(net), y).mean()\n"
            "    weights = layers.get_all_params(net, regularizable=True)\n"
            "    return loss + weight_decay * sum(regularization.l2(w) for w in weights)",
            # every layer's W squared by hand
            "def regularized_loss(net, y, weight_decay):\n"
            "    data_loss = T.mean(objectives.categorical_crossentropy(layers.get_output(net), y))\n"
            "    penalty = 0\n"
            "    for layer in layers.get_all_layers(net):\n"
            "        if hasattr(layer, 'W'):\n"
            "            penalty = penalty + T.sum(layer.W ** 2)\n"
            "    return data_loss + penalty * weight_decay",
            # apply_penalty over the weights
            "def regularized_loss(net, y, weight_decay):\n"
            "    loss = objectives.categorical_crossentropy(layers.get_output(net), y).mean()\n"
            "    weights = layers.get_all_params(net, regularizable=True)\n"
            "    return loss + weight_decay * regularization.apply_penalty(weights, regularization.l2)",
        ],
        "honest_estimate": [
            "honest_estimate = 'B'",
            "honest_estimate = ' b '",
        ],
    },
    # ---- 05_convnets -------------------------------------------------------------------------
    "05_convnets": {
    },
    # ---- 06_dropout_batchnorm ----------------------------------------------------------------
    "06_dropout_batchnorm": {
    },
}
