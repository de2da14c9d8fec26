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
        "own_rewrite": [
            # tracking the op classes, returning the inner node's inputs list
            "from minitheano.rewrites import local_rewrite\nfrom minitheano.ops.elemwise import Exp, Log\n\n"
            "u = T.vector('u')\ny_own = T.log(T.exp(u)) * 3 + 1\n\n"
            "@local_rewrite(Log)\ndef log_of_exp(node):\n    inner = node.inputs[0].owner\n"
            "    if inner is None or not isinstance(inner.op, Exp):\n        return None\n    return inner.inputs\n\n"
            "simplified = th.function([u], y_own, rewrites=[log_of_exp])",
            # one variable returned instead of a list, None left implicit, rewrites as a tuple
            "from minitheano.rewrites import local_rewrite\n\nu = T.vector('u')\ny_own = T.log(T.exp(u)) * 3 + 1\n\n"
            "@local_rewrite(T.log)\ndef log_of_exp(node):\n    x = node.inputs[0]\n"
            "    if x.owner and x.owner.op == T.exp:\n        return x.owner.inputs[0]\n\n"
            "simplified = th.function([u], y_own, rewrites=(log_of_exp,))",
        ],
        "network": [
            # the sigmoid written out, the bias first, no intermediate name
            "W2 = T.matrix('W2')\nb2 = T.vector('b2')\ny = 1 / (1 + T.exp(-(T.dot(W2.T, h1) + b2)))\n"
            "fn = th.function([x, W1, b1, W2, b2], y)",
            # vector-times-matrix instead of the transpose, the long module path, keyword arguments
            "W2, b2 = T.matrix(name='W2'), T.vector(name='b2')\nz2 = h1.dot(W2) + b2\n"
            "y = th.tensor.nnet.sigmoid(z2)\nfn = th.function(inputs=[x, W1, b1, W2, b2], outputs=y)",
            # the sigmoid through tanh, h1 written out again
            "W2 = T.matrix('W2')\nb2 = T.vector('b2')\n"
            "hidden = T.nnet.sigmoid(b1 + T.dot(W1.T, x))\ny = 0.5 * (1 + T.tanh(0.5 * (T.dot(hidden, W2) + b2)))\n"
            "fn = th.function([x, W1, b1, W2, b2], y)",
        ],
        "batch": [
            # the sigmoid written out, one expression
            "Y = 1 / (1 + T.exp(-(T.dot(1 / (1 + T.exp(-(T.dot(X, W1) + b1))), W2) + b2)))\n"
            "fn_batch = th.function([X, W1, b1, W2, b2], Y)",
            # @, explicit broadcasting of the biases, the long module path
            "hidden = T.nnet.sigmoid(X @ W1 + b1.dimshuffle('x', 0))\n"
            "Y = th.tensor.nnet.sigmoid(hidden @ W2 + b2.dimshuffle('x', 0))\n"
            "fn_batch = th.function(inputs=[X, W1, b1, W2, b2], outputs=Y)",
            # data points as columns inside, transposed back at the end
            "H_cols = T.nnet.sigmoid(T.dot(W1.T, X.T) + b1.dimshuffle(0, 'x'))\n"
            "Y = T.nnet.sigmoid(T.dot(W2.T, H_cols) + b2.dimshuffle(0, 'x')).T\n"
            "fn_batch = th.function([X, W1, b1, W2, b2], Y)",
        ],
        "shared_layer": [
            # copies of the initial values, the sigmoid written out, X.dot
            "W = th.shared(W_init.copy(), name='W')\nb = th.shared(b_init.copy(), name='b')\n"
            "out = 1 / (1 + T.exp(-(X.dot(W) + b)))\npredict = th.function([X], out)",
            # keyword arguments, @, explicit broadcasting, the long module path
            "W = th.shared(value=W_init, name='W')\nb = th.shared(value=b_init, name='b')\n"
            "out = th.tensor.nnet.sigmoid(X @ W + b.dimshuffle('x', 0))\n"
            "predict = th.function(inputs=[X], outputs=out)",
            # the sigmoid through tanh, the bias first
            "W = th.shared(W_init, name='W')\nb = th.shared(b_init, name='b')\n"
            "out = 0.5 * (1 + T.tanh(0.5 * (b + T.dot(X, W))))\npredict = th.function([X], out)",
        ],
        "running_sum": [
            # updates as a list of pairs, no intermediate name
            "v = T.scalar('v')\ntotal = th.shared(np.float32(0.0), name='total')\n"
            "add = th.function([v], total + v, updates=[(total, total + v)])",
            # the updates dict built first, keyword arguments
            "v = T.scalar('v')\ntotal = th.shared(np.float32(0.0), name='total')\n"
            "new_value = {total: v + total}\n"
            "add = th.function(inputs=[v], outputs=new_value[total], updates=new_value)",
            # a tuple of pairs
            "v = T.scalar('v')\ntotal = th.shared(np.float32(0.0), name='total')\n"
            "summed = v + total\nadd = th.function([v], summed, updates=((total, summed),))",
        ],
    },
    # ---- 02_autodiff -------------------------------------------------------------------------
    "02_autodiff": {
        "reverse_pass": [
            # an index loop from the end, adjoint[out] read directly
            "def backward(records, values, output):\n"
            "    adjoint = {output: 1.0}\n"
            "    for k in range(len(records) - 1, -1, -1):\n"
            "        out, op, args = records[k]\n"
            "        grads = partials(op, tuple(values[a] for a in args))\n"
            "        for i, name in enumerate(args):\n"
            "            adjoint[name] = adjoint.get(name, 0) + grads[i] * adjoint[out]\n"
            "    return adjoint",
            # a defaultdict, records[::-1], +=
            "import collections\n\n\n"
            "def backward(records, values, output):\n"
            "    adjoint = collections.defaultdict(float)\n"
            "    adjoint[output] = 1.0\n"
            "    for out, op, args in records[::-1]:\n"
            "        local = partials(op, [values[a] for a in args])\n"
            "        for name, d in zip(args, local):\n"
            "            adjoint[name] += adjoint[out] * d\n"
            "    return dict(adjoint)",
            # setdefault, and the records whose output does not reach `output` skipped
            "def backward(records, values, output):\n"
            "    adjoint = {output: 1.0}\n"
            "    for out, op, args in reversed(records):\n"
            "        upstream = adjoint.get(out)\n"
            "        if upstream is None:\n"
            "            continue\n"
            "        for name, local in zip(args, partials(op, [values[a] for a in args])):\n"
            "            adjoint.setdefault(name, 0.0)\n"
            "            adjoint[name] += local * upstream\n"
            "    return adjoint",
        ],
        "sigmoid_grad": [
            # the output unpacked, the product in another order
            "class MySigmoid(th.Op):\n"
            "    def make_node(self, x):\n"
            "        return th.Apply(self, [x], [x.type])\n\n"
            "    def perform(self, xp, x):\n"
            "        return 0.5 * (1 + xp.tanh(0.5 * x))\n\n"
            "    def grad(self, node, output_grads):\n"
            "        (gz,), (y,) = output_grads, node.outputs\n"
            "        return [y * (1.0 - y) * gz]\n\n\n"
            "my_sigmoid = MySigmoid()",
            # recomputed from the input with minitheano's sigmoid
            "class MySigmoid(th.Op):\n"
            "    def make_node(self, x):\n"
            "        return th.Apply(self, [x], [x.type])\n\n"
            "    def perform(self, xp, x):\n"
            "        return 0.5 * (1 + xp.tanh(0.5 * x))\n\n"
            "    def grad(self, node, output_grads):\n"
            "        s = T.nnet.sigmoid(node.inputs[0])\n"
            "        return [output_grads[0] * (s - s ** 2)]\n\n\n"
            "my_sigmoid = MySigmoid()",
            # e^-x / (1 + e^-x)^2, from the input
            "class MySigmoid(th.Op):\n"
            "    def make_node(self, x):\n"
            "        return th.Apply(self, [x], [x.type])\n\n"
            "    def perform(self, xp, x):\n"
            "        return 0.5 * (1 + xp.tanh(0.5 * x))\n\n"
            "    def grad(self, node, output_grads):\n"
            "        e = T.exp(-node.inputs[0])\n"
            "        return [output_grads[0] * e / (1 + e) ** 2]\n\n\n"
            "my_sigmoid = MySigmoid()",
        ],
        "numeric_grad": [
            # a flat index and a step vector reshaped like x
            "def numeric_grad(f, x, eps=1e-5):\n"
            "    x = np.asarray(x, dtype='float64')\n"
            "    grad = np.zeros_like(x)\n"
            "    for k in range(x.size):\n"
            "        step = np.zeros(x.size)\n"
            "        step[k] = eps\n"
            "        step = step.reshape(x.shape)\n"
            "        grad.flat[k] = (f(x + step) - f(x - step)) / (2 * eps)\n"
            "    return grad",
            # in place on a copy, restored exactly after each entry, itertools.product
            "import itertools\n\n\n"
            "def numeric_grad(f, x, eps=1e-5):\n"
            "    x = np.array(x, dtype='float64')\n"
            "    grad = np.zeros_like(x)\n"
            "    for k in itertools.product(*[range(n) for n in x.shape]):\n"
            "        old = x[k]\n"
            "        x[k] = old + eps\n"
            "        up = f(x)\n"
            "        x[k] = old - eps\n"
            "        down = f(x)\n"
            "        x[k] = old\n"
            "        grad[k] = (up - down) / (2 * eps)\n"
            "    return grad",
            # a list of differences, reshaped at the end
            "def numeric_grad(f, x, eps=1e-5):\n"
            "    x = np.asarray(x, dtype='float64')\n"
            "    diffs = []\n"
            "    for k in np.ndindex(*x.shape):\n"
            "        e_k = np.zeros_like(x)\n"
            "        e_k[k] = 1.0\n"
            "        diffs.append((f(x + eps * e_k) - f(x - eps * e_k)) / (2.0 * eps))\n"
            "    return np.array(diffs, dtype='float64').reshape(x.shape)",
        ],
        "gd_step": [
            # th.grad on a list, updates as a list of pairs, keyword arguments
            "def make_step(loss, w, eta):\n"
            "    grad_w, = th.grad(loss, [w])\n"
            "    return th.function(inputs=[], outputs=loss, updates=[(w, w - eta * grad_w)])",
            # the new value named first, the product in another order
            "def make_step(loss, w, eta):\n"
            "    new_w = w - th.grad(cost=loss, wrt=w) * eta\n"
            "    step = th.function([], loss, updates={w: new_w})\n"
            "    return step",
        ],
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
        "dropout": [
            "def dropout(x, p=0.5, deterministic=False, rng=None):\n"
            "    if rng is None:\n"
            "        rng = np.random.default_rng()\n"
            "    if deterministic:\n"
            "        return x\n"
            "    mask = rng.binomial(1, 1 - p, size=x.shape)\n"
            "    return x * mask / (1 - p)",
            "def dropout(x, p=0.5, deterministic=False, rng=None):\n"
            "    if rng is None:\n"
            "        rng = np.random.default_rng()\n"
            "    if deterministic or p == 0:\n"
            "        return x.copy()\n"
            "    return np.where(rng.random(np.shape(x)) < p, 0.0, x / (1.0 - p))",
        ],
        "batchnorm": [
            "def per_channel(v, ndim):\n"
            "    return np.reshape(v, (1, -1) + (1,) * (ndim - 2))\n\n\n"
            "def batchnorm(x, gamma, beta, mean, inv_std, deterministic=False, alpha=0.1, epsilon=1e-4):\n"
            "    rows = np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])       # one column per channel\n"
            "    if deterministic:\n"
            "        m, s = mean, inv_std\n"
            "        new_mean, new_inv_std = mean.copy(), inv_std.copy()\n"
            "    else:\n"
            "        m = rows.mean(axis=0)\n"
            "        s = 1.0 / np.sqrt(((rows - m) ** 2).mean(axis=0) + epsilon)\n"
            "        new_mean = mean + alpha * (m - mean)\n"
            "        new_inv_std = inv_std + alpha * (s - inv_std)\n"
            "    shape = per_channel(m, x.ndim).shape\n"
            "    out = gamma.reshape(shape) * (x - m.reshape(shape)) * s.reshape(shape) + beta.reshape(shape)\n"
            "    return out, new_mean, new_inv_std",
            "def per_channel(v, ndim):\n"
            "    return np.reshape(v, (1, -1) + (1,) * (ndim - 2))\n\n\n"
            "def batchnorm(x, gamma, beta, mean, inv_std, deterministic=False, alpha=0.1, epsilon=1e-4):\n"
            "    out = np.empty_like(x)\n"
            "    new_mean, new_inv_std = np.array(mean, copy=True), np.array(inv_std, copy=True)\n"
            "    for c in range(x.shape[1]):\n"
            "        xc = x[:, c]\n"
            "        if deterministic:\n"
            "            mu, istd = mean[c], inv_std[c]\n"
            "        else:\n"
            "            mu = xc.mean()\n"
            "            istd = 1 / np.sqrt(xc.var() + epsilon)\n"
            "            new_mean[c] = (1 - alpha) * mean[c] + alpha * mu\n"
            "            new_inv_std[c] = (1 - alpha) * inv_std[c] + alpha * istd\n"
            "        out[:, c] = gamma[c] * (xc - mu) * istd + beta[c]\n"
            "    return out, new_mean, new_inv_std",
        ],
        "convnet_bn_dropout": [
            "def build_convnet_bn_dropout(input_var=None):\n"
            "    net = layers.InputLayer((None, 1, 28, 28), input_var=input_var)\n"
            "    for filters in (16, 32):\n"
            "        for _ in range(2):\n"
            "            net = layers.batch_norm(layers.Conv2DLayer(net, filters, 3, nonlinearity=T.nnet.relu))\n"
            "        net = layers.MaxPool2DLayer(net, 2)\n"
            "    net = layers.DropoutLayer(net, 0.5)\n"
            "    net = layers.batch_norm(layers.DenseLayer(net, 100, nonlinearity=T.nnet.relu))\n"
            "    net = layers.DropoutLayer(net, p=0.5, rescale=True)\n"
            "    return layers.DenseLayer(net, 10, nonlinearity=T.nnet.softmax)",
            "def build_convnet_bn_dropout(input_var=None):\n"
            "    def normalised(layer):\n"
            "        return layers.NonlinearityLayer(layers.BatchNormLayer(layer), lambda x: T.maximum(0, x))\n\n"
            "    network = layers.InputLayer((None, 1, 28, 28), input_var=input_var)\n"
            "    network = normalised(layers.Conv2DLayer(network, 16, 3, b=None, nonlinearity=None))\n"
            "    network = normalised(layers.Conv2DLayer(network, 16, 3, b=None, nonlinearity=None))\n"
            "    network = layers.MaxPool2DLayer(network, 2)\n"
            "    network = normalised(layers.Conv2DLayer(network, 32, 3, b=None, nonlinearity=None))\n"
            "    network = normalised(layers.Conv2DLayer(network, 32, 3, b=None, nonlinearity=None))\n"
            "    network = layers.MaxPool2DLayer(network, 2)\n"
            "    network = layers.dropout(network, p=0.5)\n"
            "    network = normalised(layers.DenseLayer(network, 100, b=None, nonlinearity=None))\n"
            "    network = layers.dropout(network, p=0.5)\n"
            "    network = layers.DenseLayer(network, 10, nonlinearity=nonlinearities.softmax)\n"
            "    return network",
        ],
        "val_fn": [
            "def compile_functions(network, X, y, steps, learning_rate=1e-3, final_fraction=0.1):\n"
            "    prediction = layers.get_output(network)\n"
            "    loss = objectives.categorical_crossentropy(prediction, y).mean()\n"
            "    params = layers.get_all_params(network, trainable=True)\n"
            "    lr = th.shared(np.float32(learning_rate), name='learning_rate')\n"
            "    train_updates = updates.adam(loss, params, learning_rate=lr)\n"
            "    train_updates[lr] = lr * np.float32(final_fraction ** (1 / steps))\n"
            "    train_fn = th.function([X, y], loss, updates=train_updates)\n"
            "    test_prediction = layers.get_output(network, X, deterministic=True)\n"
            "    test_loss = objectives.categorical_crossentropy(test_prediction, y).mean()\n"
            "    test_acc = T.mean(T.eq(T.argmax(test_prediction, axis=1), y))\n"
            "    val_fn = th.function([X, y], [test_loss, test_acc])\n"
            "    return train_fn, val_fn",
            "def compile_functions(network, X, y, steps, learning_rate=1e-3, final_fraction=0.1):\n"
            "    prediction = layers.get_output(network)\n"
            "    loss = objectives.categorical_crossentropy(prediction, y).mean()\n"
            "    params = layers.get_all_params(network, trainable=True)\n"
            "    lr = th.shared(np.float32(learning_rate), name='learning_rate')\n"
            "    train_updates = updates.adam(loss, params, learning_rate=lr)\n"
            "    train_updates[lr] = lr * np.float32(final_fraction ** (1 / steps))\n"
            "    train_fn = th.function([X, y], loss, updates=train_updates)\n"
            "    test_prediction = layers.get_output(network, deterministic=True, batch_norm_use_averages=True,\n"
            "                                      batch_norm_update_averages=False)\n"
            "    test_loss = objectives.categorical_crossentropy(test_prediction, y).mean()\n"
            "    test_acc = T.eq(T.argmax(test_prediction, axis=1), y).mean()\n"
            "    val_fn = th.function([X, y], [test_loss, test_acc])\n"
            "    return train_fn, val_fn",
        ],
    },
}
