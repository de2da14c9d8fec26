"""Realistic wrong answers for the blanks of the course notebooks, written by the notebook authors.

tests/test_grader.py grades each of them as a learner submission (the
released notebook with the solutions filled in, except this one blank) and
checks that the tests following the blank give it less than full marks: a
blank whose usual mistakes pass its checks would grade learners wrongly.

Format: notebook id -> {grade_id of a solution cell -> replacement source of
that whole cell}. A value may also be a list of sources, to check several
usual mistakes for one blank; each must lose marks. Every solution cell of
every notebook in solutions/ needs at least one entry. Example:

    WRONG_ANSWERS = {
        "03_mlp_mnist": {
            "loss": "loss = objectives.categorical_crossentropy(prediction, y).sum()",
            "updates": ["updates = updates.sgd(loss, params, learning_rate=-0.1)",
                        "updates = {}"],
        },
    }
"""

# The given lines of notebook 01's rewrite exercise, above its blank.
HEAD_01 = "from minitheano.rewrites import local_rewrite\n\nu = T.vector('u')\ny_own = T.log(T.exp(u)) * 3 + 1\n"

WRONG_ANSWERS = {
    "01_expression_graphs": {
        "network": [
            # W2 without the transpose
            "W2 = T.matrix('W2')\nb2 = T.vector('b2')\ny = T.nnet.sigmoid(b2 + T.dot(W2, h1))\n"
            "fn = th.function([x, W1, b1, W2, b2], y)",
            # no sigmoid on the output
            "W2 = T.matrix('W2')\nb2 = T.vector('b2')\ny = b2 + T.dot(W2.T, h1)\n"
            "fn = th.function([x, W1, b1, W2, b2], y)",
            # the bias added after the sigmoid
            "W2 = T.matrix('W2')\nb2 = T.vector('b2')\ny = T.nnet.sigmoid(T.dot(W2.T, h1)) + b2\n"
            "fn = th.function([x, W1, b1, W2, b2], y)",
            # the inputs of fn in another order than asked
            "W2 = T.matrix('W2')\nb2 = T.vector('b2')\ny = T.nnet.sigmoid(b2 + T.dot(W2.T, h1))\n"
            "fn = th.function([x, W1, W2, b1, b2], y)",
            # the numpy network in place of a compiled graph
            "W2 = T.matrix('W2')\nb2 = T.vector('b2')\ny = T.nnet.sigmoid(b2 + T.dot(W2.T, h1))\nfn = numpy_network",
        ],
        "batch": [
            # data points as columns (the one-vector formula applied to X)
            "H = T.nnet.sigmoid(b1 + T.dot(W1.T, X))\nY = T.nnet.sigmoid(b2 + T.dot(W2.T, H))\n"
            "fn_batch = th.function([X, W1, b1, W2, b2], Y)",
            # the hidden layer's sigmoid forgotten
            "H = T.dot(X, W1) + b1\nY = T.nnet.sigmoid(T.dot(H, W2) + b2)\n"
            "fn_batch = th.function([X, W1, b1, W2, b2], Y)",
            # the output layer's sigmoid forgotten
            "H = T.nnet.sigmoid(T.dot(X, W1) + b1)\nY = T.dot(H, W2) + b2\n"
            "fn_batch = th.function([X, W1, b1, W2, b2], Y)",
            # the transposes of the one-vector formula kept on the weights
            "H = T.nnet.sigmoid(T.dot(X, W1.T) + b1)\nY = T.nnet.sigmoid(T.dot(H, W2.T) + b2)\n"
            "fn_batch = th.function([X, W1, b1, W2, b2], Y)",
        ],
        "shared_layer": [
            # the numpy arrays used in the graph instead of the shared variables (frozen constants)
            "W = th.shared(W_init, name='W')\nb = th.shared(b_init, name='b')\n"
            "out = T.nnet.sigmoid(T.dot(X, W_init) + b_init)\npredict = th.function([X], out)",
            # only the bias frozen as a constant (b_init is all zeros: right until b changes)
            "W = th.shared(W_init, name='W')\nb = th.shared(b_init, name='b')\n"
            "out = T.nnet.sigmoid(T.dot(X, W) + b_init)\npredict = th.function([X], out)",
            # the bias left out (b_init is all zeros: right until b changes)
            "W = th.shared(W_init, name='W')\nb = th.shared(b_init, name='b')\n"
            "out = T.nnet.sigmoid(T.dot(X, W))\npredict = th.function([X], out)",
            # no sigmoid
            "W = th.shared(W_init, name='W')\nb = th.shared(b_init, name='b')\n"
            "out = T.dot(X, W) + b\npredict = th.function([X], out)",
        ],
        "running_sum": [
            # returns the total from before the update
            "v = T.scalar('v')\ntotal = th.shared(np.float32(0.0), name='total')\n"
            "add = th.function([v], total, updates={total: total + v})",
            # the shared variable replaced by a Python float (no updates at all)
            "v = T.scalar('v')\ntotal = 0.0\nadd = th.function([v], total + v)",
            # the update replaces total by v instead of adding v
            "v = T.scalar('v')\ntotal = th.shared(np.float32(0.0), name='total')\n"
            "add = th.function([v], total + v, updates={total: v})",
            # the value of total taken out of the graph: a constant 0 in the output
            "v = T.scalar('v')\ntotal = th.shared(np.float32(0.0), name='total')\n"
            "add = th.function([v], total.get_value() + v, updates={total: total + v})",
            # returns v instead of the new total
            "v = T.scalar('v')\ntotal = th.shared(np.float32(0.0), name='total')\n"
            "add = th.function([v], v, updates={total: total + v})",
        ],
        "own_rewrite": [
            # the log's input not checked for an exp: log(anything with an owner) loses its log
            HEAD_01 + "@local_rewrite(T.log)\ndef log_of_exp(node):\n    (arg,) = node.inputs\n"
            "    if arg.owner is not None:\n        return [arg.owner.inputs[0]]\n    return None\n\n"
            "simplified = th.function([u], y_own, rewrites=[log_of_exp])",
            # log(exp(v)) replaced by exp(v) instead of v
            HEAD_01 + "@local_rewrite(T.log)\ndef log_of_exp(node):\n    (arg,) = node.inputs\n"
            "    if arg.owner is not None and arg.owner.op == T.exp:\n        return [arg]\n    return None\n\n"
            "simplified = th.function([u], y_own, rewrites=[log_of_exp])",
            # the rewrite written but not given to the compilation
            HEAD_01 + "@local_rewrite(T.log)\ndef log_of_exp(node):\n    (arg,) = node.inputs\n"
            "    if arg.owner is not None and arg.owner.op == T.exp:\n        return [arg.owner.inputs[0]]\n"
            "    return None\n\nsimplified = th.function([u], y_own)",
            # the other way round: exp(log(v)) -> v, tracking exp (wrong for v <= 0, and not this graph)
            HEAD_01 + "@local_rewrite(T.exp)\ndef log_of_exp(node):\n    (arg,) = node.inputs\n"
            "    if arg.owner is not None and arg.owner.op == T.log:\n        return [arg.owner.inputs[0]]\n"
            "    return None\n\nsimplified = th.function([u], y_own, rewrites=[log_of_exp])",
        ],
    },
    "02_autodiff": {
        "reverse_pass": [
            # adjoints overwritten instead of accumulated (x and y are each used twice)
            "def backward(records, values, output):\n"
            "    adjoint = {output: 1.0}\n"
            "    for out, op, args in reversed(records):\n"
            "        local = partials(op, [values[a] for a in args])\n"
            "        for name, derivative in zip(args, local):\n"
            "            adjoint[name] = adjoint[out] * derivative\n"
            "    return adjoint",
            # records visited in forward order: adjoints used before they are complete
            "def backward(records, values, output):\n"
            "    adjoint = {output: 1.0}\n"
            "    for out, op, args in records:\n"
            "        local = partials(op, [values[a] for a in args])\n"
            "        for name, derivative in zip(args, local):\n"
            "            adjoint[name] = adjoint.get(name, 0.0) + adjoint.get(out, 0.0) * derivative\n"
            "    return adjoint",
            # forward order, reading adjoint[out] directly: a KeyError
            "def backward(records, values, output):\n"
            "    adjoint = {output: 1.0}\n"
            "    for out, op, args in records:\n"
            "        local = partials(op, [values[a] for a in args])\n"
            "        for name, derivative in zip(args, local):\n"
            "            adjoint[name] = adjoint.get(name, 0.0) + adjoint[out] * derivative\n"
            "    return adjoint",
            # the local derivatives alone, without the adjoint of the record's output
            "def backward(records, values, output):\n"
            "    adjoint = {output: 1.0}\n"
            "    for out, op, args in reversed(records):\n"
            "        local = partials(op, [values[a] for a in args])\n"
            "        for name, derivative in zip(args, local):\n"
            "            adjoint[name] = adjoint.get(name, 0.0) + derivative\n"
            "    return adjoint",
            # the adjoints of the notebook's one graph, derived by hand
            "def backward(records, values, output):\n"
            "    x, y = values['x'], values['y']\n"
            "    return {'f': 1.0, 'c': y, 'a': y, 'b': y, 'x': y * y + y * math.cos(x),\n"
            "            'y': 2 * x * y + math.sin(x)}",
        ],
        "sigmoid_grad": [
            # the factor (1 - s) forgotten
            "class MySigmoid(th.Op):\n"
            "    def make_node(self, x):\n"
            "        return th.Apply(self, [x], [x.type])\n\n"
            "    def perform(self, xp, x):\n"
            "        return 0.5 * (1 + xp.tanh(0.5 * x))\n\n"
            "    def grad(self, node, output_grads):\n"
            "        s = node.outputs[0]\n"
            "        return [output_grads[0] * s]\n\n\n"
            "my_sigmoid = MySigmoid()",
            # s * (1 - s) computed from the input instead of the output
            "class MySigmoid(th.Op):\n"
            "    def make_node(self, x):\n"
            "        return th.Apply(self, [x], [x.type])\n\n"
            "    def perform(self, xp, x):\n"
            "        return 0.5 * (1 + xp.tanh(0.5 * x))\n\n"
            "    def grad(self, node, output_grads):\n"
            "        x = node.inputs[0]\n"
            "        return [output_grads[0] * x * (1 - x)]\n\n\n"
            "my_sigmoid = MySigmoid()",
            # the local derivative alone, without the adjoint arriving from above
            "class MySigmoid(th.Op):\n"
            "    def make_node(self, x):\n"
            "        return th.Apply(self, [x], [x.type])\n\n"
            "    def perform(self, xp, x):\n"
            "        return 0.5 * (1 + xp.tanh(0.5 * x))\n\n"
            "    def grad(self, node, output_grads):\n"
            "        s = node.outputs[0]\n"
            "        return [s * (1 - s)]\n\n\n"
            "my_sigmoid = MySigmoid()",
            # the wrong sign (from differentiating exp(-x))
            "class MySigmoid(th.Op):\n"
            "    def make_node(self, x):\n"
            "        return th.Apply(self, [x], [x.type])\n\n"
            "    def perform(self, xp, x):\n"
            "        return 0.5 * (1 + xp.tanh(0.5 * x))\n\n"
            "    def grad(self, node, output_grads):\n"
            "        s = node.outputs[0]\n"
            "        return [-output_grads[0] * s * (1 - s)]\n\n\n"
            "my_sigmoid = MySigmoid()",
            # one expression instead of a list of one expression per input
            "class MySigmoid(th.Op):\n"
            "    def make_node(self, x):\n"
            "        return th.Apply(self, [x], [x.type])\n\n"
            "    def perform(self, xp, x):\n"
            "        return 0.5 * (1 + xp.tanh(0.5 * x))\n\n"
            "    def grad(self, node, output_grads):\n"
            "        s = node.outputs[0]\n"
            "        return output_grads[0] * s * (1 - s)\n\n\n"
            "my_sigmoid = MySigmoid()",
            # numpy on a symbolic variable
            "class MySigmoid(th.Op):\n"
            "    def make_node(self, x):\n"
            "        return th.Apply(self, [x], [x.type])\n\n"
            "    def perform(self, xp, x):\n"
            "        return 0.5 * (1 + xp.tanh(0.5 * x))\n\n"
            "    def grad(self, node, output_grads):\n"
            "        s = 1 / (1 + np.exp(-node.inputs[0]))\n"
            "        return [output_grads[0] * s * (1 - s)]\n\n\n"
            "my_sigmoid = MySigmoid()",
        ],
        "numeric_grad": [
            # one-sided difference
            "def numeric_grad(f, x, eps=1e-5):\n"
            "    x = np.asarray(x, dtype='float64')\n"
            "    grad = np.zeros_like(x)\n"
            "    for k in np.ndindex(x.shape):\n"
            "        plus = x.copy()\n"
            "        plus[k] += eps\n"
            "        grad[k] = (f(plus) - f(x)) / eps\n"
            "    return grad",
            # one-sided difference with a big fixed step
            "def numeric_grad(f, x, eps=1e-5):\n"
            "    x = np.asarray(x, dtype='float64')\n"
            "    grad = np.zeros_like(x)\n"
            "    for k in np.ndindex(x.shape):\n"
            "        plus = x.copy()\n"
            "        plus[k] += 1e-3\n"
            "        grad[k] = (f(plus) - f(x)) / 1e-3\n"
            "    return grad",
            # central differences, but a loop over the first axis only (wrong for a matrix)
            "def numeric_grad(f, x, eps=1e-5):\n"
            "    x = np.asarray(x, dtype='float64')\n"
            "    grad = np.zeros_like(x)\n"
            "    for k in range(len(x)):\n"
            "        plus, minus = x.copy(), x.copy()\n"
            "        plus[k] += eps\n"
            "        minus[k] -= eps\n"
            "        grad[k] = (f(plus) - f(minus)) / (2 * eps)\n"
            "    return grad",
            # central differences divided by eps instead of 2 * eps
            "def numeric_grad(f, x, eps=1e-5):\n"
            "    x = np.asarray(x, dtype='float64')\n"
            "    grad = np.zeros_like(x)\n"
            "    for k in np.ndindex(x.shape):\n"
            "        plus, minus = x.copy(), x.copy()\n"
            "        plus[k] += eps\n"
            "        minus[k] -= eps\n"
            "        grad[k] = (f(plus) - f(minus)) / eps\n"
            "    return grad",
            # every entry perturbed at once
            "def numeric_grad(f, x, eps=1e-5):\n"
            "    x = np.asarray(x, dtype='float64')\n"
            "    grad = np.zeros_like(x)\n"
            "    for k in np.ndindex(x.shape):\n"
            "        grad[k] = (f(x + eps) - f(x - eps)) / (2 * eps)\n"
            "    return grad",
            # the argument eps ignored (a fixed step)
            "def numeric_grad(f, x, eps=1e-5):\n"
            "    x = np.asarray(x, dtype='float64')\n"
            "    grad = np.zeros_like(x)\n"
            "    for k in np.ndindex(x.shape):\n"
            "        plus, minus = x.copy(), x.copy()\n"
            "        plus[k] += 1e-5\n"
            "        minus[k] -= 1e-5\n"
            "        grad[k] = (f(plus) - f(minus)) / 2e-5\n"
            "    return grad",
            # x perturbed in place and not restored
            "def numeric_grad(f, x, eps=1e-5):\n"
            "    x = np.asarray(x, dtype='float64')\n"
            "    grad = np.zeros_like(x)\n"
            "    for k in np.ndindex(x.shape):\n"
            "        x[k] += eps\n"
            "        up = f(x)\n"
            "        x[k] -= 2 * eps\n"
            "        down = f(x)\n"
            "        grad[k] = (up - down) / (2 * eps)\n"
            "    return grad",
        ],
        "gd_step": [
            # + instead of -: gradient ascent
            "def make_step(loss, w, eta):\n"
            "    g = th.grad(loss, w)\n"
            "    return th.function([], loss, updates={w: w + eta * g})",
            # the learning rate forgotten
            "def make_step(loss, w, eta):\n"
            "    g = th.grad(loss, w)\n"
            "    return th.function([], loss, updates={w: w - g})",
            # the notebook's globals used instead of the arguments (right only for the notebook's loss)
            "def make_step(loss_, w_, eta_):\n"
            "    g = th.grad(loss, w)\n"
            "    return th.function([], loss, updates={w: w - eta * g})",
            # the notebook's learning rate written in
            "def make_step(loss, w, eta):\n"
            "    g = th.grad(loss, w)\n"
            "    return th.function([], loss, updates={w: w - 0.08 * g})",
            # the step returns the gradient instead of the loss
            "def make_step(loss, w, eta):\n"
            "    g = th.grad(loss, w)\n"
            "    return th.function([], g, updates={w: w - eta * g})",
            # a Python function that calls set_value, instead of a compiled function with updates
            "def make_step(loss, w, eta):\n"
            "    loss_and_grad = th.function([], [loss, th.grad(loss, w)])\n\n"
            "    def step():\n"
            "        value, g = loss_and_grad()\n"
            "        w.set_value(w.get_value() - eta * g)\n"
            "        return value\n"
            "    return step",
        ],
    },
    "03_mlp_mnist": {
        "sigmoid_mlp": [
            # l3 without a nonlinearity: DenseLayer's default, rectify
            "def build_sigmoid_mlp(input_var):\n"
            "    l1 = layers.InputLayer((None, 784), input_var=input_var)\n"
            "    l2 = layers.DenseLayer(l1, num_units=100, nonlinearity=nonlinearities.sigmoid)\n"
            "    l3 = layers.DenseLayer(l2, num_units=100)\n"
            "    l4 = layers.DenseLayer(l3, num_units=10, nonlinearity=nonlinearities.softmax)\n"
            "    return l4",
            # l4 built on l2, so l3 is left out of the network
            "def build_sigmoid_mlp(input_var):\n"
            "    l1 = layers.InputLayer((None, 784), input_var=input_var)\n"
            "    l2 = layers.DenseLayer(l1, num_units=100, nonlinearity=nonlinearities.sigmoid)\n"
            "    l3 = layers.DenseLayer(l2, num_units=100, nonlinearity=nonlinearities.sigmoid)\n"
            "    l4 = layers.DenseLayer(l2, num_units=10, nonlinearity=nonlinearities.softmax)\n"
            "    return l4",
            # a sigmoid output instead of softmax
            "def build_sigmoid_mlp(input_var):\n"
            "    l1 = layers.InputLayer((None, 784), input_var=input_var)\n"
            "    l2 = layers.DenseLayer(l1, num_units=100, nonlinearity=nonlinearities.sigmoid)\n"
            "    l3 = layers.DenseLayer(l2, num_units=100, nonlinearity=nonlinearities.sigmoid)\n"
            "    l4 = layers.DenseLayer(l3, num_units=10, nonlinearity=nonlinearities.sigmoid)\n"
            "    return l4",
            # l3 kept with the single unit of the tutorial's first network
            "def build_sigmoid_mlp(input_var):\n"
            "    l1 = layers.InputLayer((None, 784), input_var=input_var)\n"
            "    l2 = layers.DenseLayer(l1, num_units=100, nonlinearity=nonlinearities.sigmoid)\n"
            "    l3 = layers.DenseLayer(l2, num_units=1, nonlinearity=nonlinearities.sigmoid)\n"
            "    l4 = layers.DenseLayer(l3, num_units=10, nonlinearity=nonlinearities.softmax)\n"
            "    return l4",
            # a fixed batch size of 100 in the input layer
            "def build_sigmoid_mlp(input_var):\n"
            "    l1 = layers.InputLayer((100, 784), input_var=input_var)\n"
            "    l2 = layers.DenseLayer(l1, num_units=100, nonlinearity=nonlinearities.sigmoid)\n"
            "    l3 = layers.DenseLayer(l2, num_units=100, nonlinearity=nonlinearities.sigmoid)\n"
            "    l4 = layers.DenseLayer(l3, num_units=10, nonlinearity=nonlinearities.softmax)\n"
            "    return l4",
        ],
        "training_loss": [
            # crossentropies summed over the batch instead of averaged
            "def training_loss(net, y):\n"
            "    prediction = layers.get_output(net)\n"
            "    loss = objectives.categorical_crossentropy(prediction, y).sum()\n"
            "    return loss",
            # the deterministic output (dropout off) used for the training loss
            "def training_loss(net, y):\n"
            "    prediction = layers.get_output(net, deterministic=True)\n"
            "    loss = objectives.categorical_crossentropy(prediction, y).mean()\n"
            "    return loss",
            # the sum divided by a hard-coded batch size (the 100 of the training loop)
            "def training_loss(net, y):\n"
            "    prediction = layers.get_output(net)\n"
            "    loss = objectives.categorical_crossentropy(prediction, y).sum() / 100\n"
            "    return loss",
            # the sum divided by the batch size of the first visible case (4)
            "def training_loss(net, y):\n"
            "    prediction = layers.get_output(net)\n"
            "    loss = objectives.categorical_crossentropy(prediction, y).sum() / 4\n"
            "    return loss",
            # -log of every probability averaged, not only of the target class
            "def training_loss(net, y):\n"
            "    prediction = layers.get_output(net)\n"
            "    loss = -T.mean(T.log(prediction))\n"
            "    return loss",
        ],
        "sgd_updates": [
            # + instead of -: gradient ascent
            "def sgd_updates(loss, params, learning_rate):\n"
            "    grads = th.grad(loss, params)\n"
            "    upd = {p: p + learning_rate * g for p, g in zip(params, grads)}\n"
            "    return upd",
            # only the first parameter is updated
            "def sgd_updates(loss, params, learning_rate):\n"
            "    grads = th.grad(loss, params)\n"
            "    upd = {params[0]: params[0] - learning_rate * grads[0]}\n"
            "    return upd",
            # the learning rate hard-coded
            "def sgd_updates(loss, params, learning_rate):\n"
            "    grads = th.grad(loss, params)\n"
            "    upd = {p: p - 0.1 * g for p, g in zip(params, grads)}\n"
            "    return upd",
            # the step instead of the new value
            "def sgd_updates(loss, params, learning_rate):\n"
            "    grads = th.grad(loss, params)\n"
            "    upd = {p: -learning_rate * g for p, g in zip(params, grads)}\n"
            "    return upd",
        ],
        "compile_train_fn": [
            # the updates forgotten: the function computes the loss but never trains
            "def compile_train_fn(X, y, loss, accuracy, upd):\n"
            "    train_fn = th.function([X, y], [loss, accuracy])\n"
            "    return train_fn",
            # the loss alone, as before the accuracy was added
            "def compile_train_fn(X, y, loss, accuracy, upd):\n"
            "    train_fn = th.function([X, y], loss, updates=upd)\n"
            "    return train_fn",
            # the outputs in the wrong order
            "def compile_train_fn(X, y, loss, accuracy, upd):\n"
            "    train_fn = th.function([X, y], [accuracy, loss], updates=upd)\n"
            "    return train_fn",
        ],
        "compile_val_fn": [
            # the training-mode output (with dropout) used for validation
            "def compile_val_fn(net, X, y):\n"
            "    prediction = layers.get_output(net)\n"
            "    loss = objectives.categorical_crossentropy(prediction, y).mean()\n"
            "    accuracy = T.mean(T.eq(T.argmax(prediction, axis=1), y))\n"
            "    return th.function([X, y], [loss, accuracy])",
            # argmax over the examples instead of over the classes
            "def compile_val_fn(net, X, y):\n"
            "    prediction = layers.get_output(net, deterministic=True)\n"
            "    loss = objectives.categorical_crossentropy(prediction, y).mean()\n"
            "    accuracy = T.mean(T.eq(T.argmax(prediction, axis=0), y))\n"
            "    return th.function([X, y], [loss, accuracy])",
            # the per-example accuracies, not their mean
            "def compile_val_fn(net, X, y):\n"
            "    prediction = layers.get_output(net, deterministic=True)\n"
            "    loss = objectives.categorical_crossentropy(prediction, y).mean()\n"
            "    accuracy = objectives.categorical_accuracy(prediction, y)\n"
            "    return th.function([X, y], [loss, accuracy])",
            # the training function copied, updates included: validation trains the network
            "def compile_val_fn(net, X, y):\n"
            "    prediction = layers.get_output(net, deterministic=True)\n"
            "    loss = objectives.categorical_crossentropy(prediction, y).mean()\n"
            "    accuracy = T.mean(T.eq(T.argmax(prediction, axis=1), y))\n"
            "    params = layers.get_all_params(net, trainable=True)\n"
            "    return th.function([X, y], [loss, accuracy], updates=updates.sgd(loss, params, 0.1))",
            # the number of correct examples instead of the fraction
            "def compile_val_fn(net, X, y):\n"
            "    prediction = layers.get_output(net, deterministic=True)\n"
            "    loss = objectives.categorical_crossentropy(prediction, y).mean()\n"
            "    accuracy = T.sum(T.eq(T.argmax(prediction, axis=1), y))\n"
            "    return th.function([X, y], [loss, accuracy])",
        ],
    },
    "04_overfitting": {
        "early_stopping": [
            # stops at the right time but keeps the parameters of the last epoch, not the best
            "def train_with_early_stopping(net, train_epoch, validate, max_epochs, patience):\n"
            "    val_losses = []\n"
            "    best_loss, best_epoch = float('inf'), 0\n"
            "    for epoch in range(1, max_epochs + 1):\n"
            "        train_epoch()\n"
            "        val_losses.append(float(validate()))\n"
            "        if val_losses[-1] < best_loss:\n"
            "            best_loss, best_epoch = val_losses[-1], epoch\n"
            "        elif epoch - best_epoch >= patience:\n"
            "            break\n"
            "    return val_losses, best_epoch",
            # references to the shared variables kept instead of copies of their values
            "def train_with_early_stopping(net, train_epoch, validate, max_epochs, patience):\n"
            "    val_losses = []\n"
            "    best_loss, best_epoch = float('inf'), 0\n"
            "    best_params = layers.get_all_params(net)\n"
            "    for epoch in range(1, max_epochs + 1):\n"
            "        train_epoch()\n"
            "        val_losses.append(float(validate()))\n"
            "        if val_losses[-1] < best_loss:\n"
            "            best_loss, best_epoch = val_losses[-1], epoch\n"
            "            best_params = layers.get_all_params(net)\n"
            "        elif epoch - best_epoch >= patience:\n"
            "            break\n"
            "    layers.set_all_param_values(net, [p.get_value() for p in best_params])\n"
            "    return val_losses, best_epoch",
            # improvement measured against the previous epoch instead of the best so far
            "def train_with_early_stopping(net, train_epoch, validate, max_epochs, patience):\n"
            "    val_losses = []\n"
            "    best_epoch = 0\n"
            "    best_values = layers.get_all_param_values(net)\n"
            "    for epoch in range(1, max_epochs + 1):\n"
            "        train_epoch()\n"
            "        val_losses.append(float(validate()))\n"
            "        if len(val_losses) == 1 or val_losses[-1] < val_losses[-2]:\n"
            "            best_epoch = epoch\n"
            "            best_values = layers.get_all_param_values(net)\n"
            "        elif epoch - best_epoch >= patience:\n"
            "            break\n"
            "    layers.set_all_param_values(net, best_values)\n"
            "    return val_losses, best_epoch",
            # epochs without improvement counted in total, not in a row
            "def train_with_early_stopping(net, train_epoch, validate, max_epochs, patience):\n"
            "    val_losses = []\n"
            "    best_loss, best_epoch, bad = float('inf'), 0, 0\n"
            "    best_values = layers.get_all_param_values(net)\n"
            "    for epoch in range(1, max_epochs + 1):\n"
            "        train_epoch()\n"
            "        val_losses.append(float(validate()))\n"
            "        if val_losses[-1] < best_loss:\n"
            "            best_loss, best_epoch = val_losses[-1], epoch\n"
            "            best_values = layers.get_all_param_values(net)\n"
            "        else:\n"
            "            bad += 1\n"
            "            if bad >= patience:\n"
            "                break\n"
            "    layers.set_all_param_values(net, best_values)\n"
            "    return val_losses, best_epoch",
            # off by one: one epoch too many without improvement
            "def train_with_early_stopping(net, train_epoch, validate, max_epochs, patience):\n"
            "    val_losses = []\n"
            "    best_loss, best_epoch = float('inf'), 0\n"
            "    best_values = layers.get_all_param_values(net)\n"
            "    for epoch in range(1, max_epochs + 1):\n"
            "        train_epoch()\n"
            "        val_losses.append(float(validate()))\n"
            "        if val_losses[-1] < best_loss:\n"
            "            best_loss, best_epoch = val_losses[-1], epoch\n"
            "            best_values = layers.get_all_param_values(net)\n"
            "        elif epoch - best_epoch > patience:\n"
            "            break\n"
            "    layers.set_all_param_values(net, best_values)\n"
            "    return val_losses, best_epoch",
            # epochs counted from 0
            "def train_with_early_stopping(net, train_epoch, validate, max_epochs, patience):\n"
            "    val_losses = []\n"
            "    best_loss, best_epoch = float('inf'), 0\n"
            "    best_values = layers.get_all_param_values(net)\n"
            "    for epoch in range(max_epochs):\n"
            "        train_epoch()\n"
            "        val_losses.append(float(validate()))\n"
            "        if val_losses[-1] < best_loss:\n"
            "            best_loss, best_epoch = val_losses[-1], epoch\n"
            "            best_values = layers.get_all_param_values(net)\n"
            "        elif epoch - best_epoch >= patience:\n"
            "            break\n"
            "    layers.set_all_param_values(net, best_values)\n"
            "    return val_losses, best_epoch",
        ],
        "weight_decay": [
            # the biases penalised too
            "def regularized_loss(net, y, weight_decay):\n"
            "    loss = objectives.categorical_crossentropy(layers.get_output(net), y).mean()\n"
            "    penalty = sum(regularization.l2(p) for p in layers.get_all_params(net))\n"
            "    return loss + weight_decay * penalty",
            # the penalty subtracted
            "def regularized_loss(net, y, weight_decay):\n"
            "    loss = objectives.categorical_crossentropy(layers.get_output(net), y).mean()\n"
            "    penalty = regularization.regularize_network_params(net, regularization.l2)\n"
            "    return loss - weight_decay * penalty",
            # the coefficient hard-coded (the 0.001 used later in the notebook)
            "def regularized_loss(net, y, weight_decay):\n"
            "    loss = objectives.categorical_crossentropy(layers.get_output(net), y).mean()\n"
            "    penalty = regularization.regularize_network_params(net, regularization.l2)\n"
            "    return loss + 0.001 * penalty",
            # the coefficient forgotten
            "def regularized_loss(net, y, weight_decay):\n"
            "    loss = objectives.categorical_crossentropy(layers.get_output(net), y).mean()\n"
            "    penalty = regularization.regularize_network_params(net, regularization.l2)\n"
            "    return loss + penalty",
            # an L1 penalty instead of L2
            "def regularized_loss(net, y, weight_decay):\n"
            "    loss = objectives.categorical_crossentropy(layers.get_output(net), y).mean()\n"
            "    penalty = regularization.regularize_network_params(net, regularization.l1)\n"
            "    return loss + weight_decay * penalty",
            # only the output layer's weights penalised
            "def regularized_loss(net, y, weight_decay):\n"
            "    loss = objectives.categorical_crossentropy(layers.get_output(net), y).mean()\n"
            "    return loss + weight_decay * regularization.l2(net.W)",
        ],
        "honest_estimate": [
            # the best validation accuracy taken as the estimate
            'honest_estimate = "a"',
            # the training accuracy
            'honest_estimate = "c"',
            # validation and test averaged
            'honest_estimate = "d"',
        ],
    },
    "05_convnets": {
        "conv_shapes": [
            # off by one: the number of steps instead of the number of positions
            "def conv_output_shape(in_size, filter_size, stride=1, pad=0):\n"
            "    return (in_size + 2 * pad - filter_size) // stride\n\n\n"
            "def pool_output_shape(in_size, pool_size, stride=None):\n"
            "    if stride is None:\n"
            "        stride = pool_size\n"
            "    return (in_size - pool_size) // stride + 1",
            # the padding counted once instead of on both sides
            "def conv_output_shape(in_size, filter_size, stride=1, pad=0):\n"
            "    return (in_size + pad - filter_size) // stride + 1\n\n\n"
            "def pool_output_shape(in_size, pool_size, stride=None):\n"
            "    if stride is None:\n"
            "        stride = pool_size\n"
            "    return (in_size - pool_size) // stride + 1",
            # pooling: the stride ignored (right only for non-overlapping windows)
            "def conv_output_shape(in_size, filter_size, stride=1, pad=0):\n"
            "    return (in_size + 2 * pad - filter_size) // stride + 1\n\n\n"
            "def pool_output_shape(in_size, pool_size, stride=None):\n"
            "    return in_size // pool_size",
            # the stride ignored in the convolution
            "def conv_output_shape(in_size, filter_size, stride=1, pad=0):\n"
            "    return in_size + 2 * pad - filter_size + 1\n\n\n"
            "def pool_output_shape(in_size, pool_size, stride=None):\n"
            "    if stride is None:\n"
            "        stride = pool_size\n"
            "    return (in_size - pool_size) // stride + 1",
            # rounded up: a last position that sticks out counted
            "def conv_output_shape(in_size, filter_size, stride=1, pad=0):\n"
            "    return -(-(in_size + 2 * pad - filter_size) // stride) + 1\n\n\n"
            "def pool_output_shape(in_size, pool_size, stride=None):\n"
            "    if stride is None:\n"
            "        stride = pool_size\n"
            "    return (in_size - pool_size) // stride + 1",
            # true division: a float, and wrong when the stride does not divide
            "def conv_output_shape(in_size, filter_size, stride=1, pad=0):\n"
            "    return (in_size + 2 * pad - filter_size) / stride + 1\n\n\n"
            "def pool_output_shape(in_size, pool_size, stride=None):\n"
            "    if stride is None:\n"
            "        stride = pool_size\n"
            "    return (in_size - pool_size) // stride + 1",
            # pooling: the stride argument ignored (windows always move by the pool size)
            "def conv_output_shape(in_size, filter_size, stride=1, pad=0):\n"
            "    return (in_size + 2 * pad - filter_size) // stride + 1\n\n\n"
            "def pool_output_shape(in_size, pool_size, stride=None):\n"
            "    return (in_size - pool_size) // pool_size + 1",
            # pooling: in_size // stride when a stride is given
            "def conv_output_shape(in_size, filter_size, stride=1, pad=0):\n"
            "    return (in_size + 2 * pad - filter_size) // stride + 1\n\n\n"
            "def pool_output_shape(in_size, pool_size, stride=None):\n"
            "    if stride is None:\n"
            "        stride = pool_size\n"
            "    return in_size // stride",
        ],
        "convnet": [
            # no softmax on the output layer (DenseLayer's default ReLU)
            "def build_convnet(input_var=None):\n"
            "    network = layers.InputLayer((None, 1, 28, 28), input_var=input_var)\n"
            "    network = layers.Conv2DLayer(network, num_filters=16, filter_size=3)\n"
            "    network = layers.Conv2DLayer(network, num_filters=16, filter_size=3)\n"
            "    network = layers.MaxPool2DLayer(network, pool_size=2)\n"
            "    network = layers.Conv2DLayer(network, num_filters=32, filter_size=3)\n"
            "    network = layers.Conv2DLayer(network, num_filters=32, filter_size=3)\n"
            "    network = layers.MaxPool2DLayer(network, pool_size=2)\n"
            "    network = layers.DenseLayer(network, num_units=100)\n"
            "    network = layers.DenseLayer(network, num_units=10)\n"
            "    return network",
            # the input layer built without input_var (the network ignores the variable it is given)
            "def build_convnet(input_var=None):\n"
            "    network = layers.InputLayer((None, 1, 28, 28))\n"
            "    network = layers.Conv2DLayer(network, num_filters=16, filter_size=3)\n"
            "    network = layers.Conv2DLayer(network, num_filters=16, filter_size=3)\n"
            "    network = layers.MaxPool2DLayer(network, pool_size=2)\n"
            "    network = layers.Conv2DLayer(network, num_filters=32, filter_size=3)\n"
            "    network = layers.Conv2DLayer(network, num_filters=32, filter_size=3)\n"
            "    network = layers.MaxPool2DLayer(network, pool_size=2)\n"
            "    network = layers.DenseLayer(network, num_units=100)\n"
            "    network = layers.DenseLayer(network, num_units=10, nonlinearity=nonlinearities.softmax)\n"
            "    return network",
            # linear hidden layers (nonlinearity=None everywhere but the output)
            "def build_convnet(input_var=None):\n"
            "    network = layers.InputLayer((None, 1, 28, 28), input_var=input_var)\n"
            "    network = layers.Conv2DLayer(network, num_filters=16, filter_size=3, nonlinearity=None)\n"
            "    network = layers.Conv2DLayer(network, num_filters=16, filter_size=3, nonlinearity=None)\n"
            "    network = layers.MaxPool2DLayer(network, pool_size=2)\n"
            "    network = layers.Conv2DLayer(network, num_filters=32, filter_size=3, nonlinearity=None)\n"
            "    network = layers.Conv2DLayer(network, num_filters=32, filter_size=3, nonlinearity=None)\n"
            "    network = layers.MaxPool2DLayer(network, pool_size=2)\n"
            "    network = layers.DenseLayer(network, num_units=100, nonlinearity=None)\n"
            "    network = layers.DenseLayer(network, num_units=10, nonlinearity=nonlinearities.softmax)\n"
            "    return network",
            # a sigmoid hidden dense layer (notebook 3's first network)
            "def build_convnet(input_var=None):\n"
            "    network = layers.InputLayer((None, 1, 28, 28), input_var=input_var)\n"
            "    network = layers.Conv2DLayer(network, num_filters=16, filter_size=3)\n"
            "    network = layers.Conv2DLayer(network, num_filters=16, filter_size=3)\n"
            "    network = layers.MaxPool2DLayer(network, pool_size=2)\n"
            "    network = layers.Conv2DLayer(network, num_filters=32, filter_size=3)\n"
            "    network = layers.Conv2DLayer(network, num_filters=32, filter_size=3)\n"
            "    network = layers.MaxPool2DLayer(network, pool_size=2)\n"
            "    network = layers.DenseLayer(network, num_units=100, nonlinearity=nonlinearities.sigmoid)\n"
            "    network = layers.DenseLayer(network, num_units=10, nonlinearity=nonlinearities.softmax)\n"
            "    return network",
            # 'same' padding in every convolution (the maps stay 28, 28, 14, 14, 7)
            "def build_convnet(input_var=None):\n"
            "    network = layers.InputLayer((None, 1, 28, 28), input_var=input_var)\n"
            "    network = layers.Conv2DLayer(network, num_filters=16, filter_size=3, pad='same')\n"
            "    network = layers.Conv2DLayer(network, num_filters=16, filter_size=3, pad='same')\n"
            "    network = layers.MaxPool2DLayer(network, pool_size=2)\n"
            "    network = layers.Conv2DLayer(network, num_filters=32, filter_size=3, pad='same')\n"
            "    network = layers.Conv2DLayer(network, num_filters=32, filter_size=3, pad='same')\n"
            "    network = layers.MaxPool2DLayer(network, pool_size=2)\n"
            "    network = layers.DenseLayer(network, num_units=100)\n"
            "    network = layers.DenseLayer(network, num_units=10, nonlinearity=nonlinearities.softmax)\n"
            "    return network",
        ],
        "feature_maps": [
            # the training-mode output (a dropout layer in the check shows it)
            "def feature_maps(layer, images):\n"
            "    inputs = T.tensor4('inputs')\n"
            "    return th.function([inputs], layers.get_output(layer, inputs))(images)",
            # the output built without `inputs` (it depends on the input layer's own variable)
            "def feature_maps(layer, images):\n"
            "    inputs = T.tensor4('inputs')\n"
            "    return th.function([inputs], layers.get_output(layer, deterministic=True))(images)",
            # the compiled function returned instead of its value
            "def feature_maps(layer, images):\n"
            "    inputs = T.tensor4('inputs')\n"
            "    return th.function([inputs], layers.get_output(layer, inputs, deterministic=True))",
        ],
    },
    "06_dropout_batchnorm": {
        "dropout": [
            # no rescaling of the kept values
            "def dropout(x, p=0.5, deterministic=False, rng=None):\n"
            "    if rng is None:\n"
            "        rng = np.random.default_rng()\n"
            "    if deterministic:\n"
            "        return x\n"
            "    return x * (rng.random(x.shape) >= p)",
            # keep and drop probabilities swapped
            "def dropout(x, p=0.5, deterministic=False, rng=None):\n"
            "    if rng is None:\n"
            "        rng = np.random.default_rng()\n"
            "    if deterministic:\n"
            "        return x\n"
            "    return x * (rng.random(x.shape) < p) / p",
            # scaled at test time as well as in training
            "def dropout(x, p=0.5, deterministic=False, rng=None):\n"
            "    if rng is None:\n"
            "        rng = np.random.default_rng()\n"
            "    if deterministic:\n"
            "        return x * (1 - p)\n"
            "    return x * (rng.random(x.shape) >= p) / (1 - p)",
            # the mask not multiplied by x (right for an input of ones only)
            "def dropout(x, p=0.5, deterministic=False, rng=None):\n"
            "    if rng is None:\n"
            "        rng = np.random.default_rng()\n"
            "    if deterministic:\n"
            "        return x\n"
            "    return (rng.random(x.shape) >= p) / (1 - p)",
            # one mask for every row: random numbers for one example only
            "def dropout(x, p=0.5, deterministic=False, rng=None):\n"
            "    if rng is None:\n"
            "        rng = np.random.default_rng()\n"
            "    if deterministic:\n"
            "        return x\n"
            "    return x * (rng.random(x.shape[1:]) >= p) / (1 - p)",
            # numpy's global generator instead of rng
            "def dropout(x, p=0.5, deterministic=False, rng=None):\n"
            "    if rng is None:\n"
            "        rng = np.random.default_rng()\n"
            "    if deterministic:\n"
            "        return x\n"
            "    return x * (np.random.random(x.shape) >= p) / (1 - p)",
            # deterministic mode ignored: values dropped at test time too
            "def dropout(x, p=0.5, deterministic=False, rng=None):\n"
            "    if rng is None:\n"
            "        rng = np.random.default_rng()\n"
            "    return x * (rng.random(x.shape) >= p) / (1 - p)",
        ],
        "batchnorm": [
            # batch statistics used in deterministic mode
            "def per_channel(v, ndim):\n"
            "    return np.reshape(v, (1, -1) + (1,) * (ndim - 2))\n\n\n"
            "def batchnorm(x, gamma, beta, mean, inv_std, deterministic=False, alpha=0.1, epsilon=1e-4):\n"
            "    axes = (0,) + tuple(range(2, x.ndim))\n"
            "    m, s = x.mean(axis=axes), 1 / np.sqrt(x.var(axis=axes) + epsilon)\n"
            "    out = (x - per_channel(m, x.ndim)) * per_channel(gamma * s, x.ndim) + per_channel(beta, x.ndim)\n"
            "    if deterministic:\n"
            "        return out, mean, inv_std\n"
            "    return out, (1 - alpha) * mean + alpha * m, (1 - alpha) * inv_std + alpha * s",
            # the running averages move the wrong way (alpha and 1 - alpha swapped)
            "def per_channel(v, ndim):\n"
            "    return np.reshape(v, (1, -1) + (1,) * (ndim - 2))\n\n\n"
            "def batchnorm(x, gamma, beta, mean, inv_std, deterministic=False, alpha=0.1, epsilon=1e-4):\n"
            "    if deterministic:\n"
            "        m, s, new_mean, new_inv_std = mean, inv_std, mean, inv_std\n"
            "    else:\n"
            "        axes = (0,) + tuple(range(2, x.ndim))\n"
            "        m, s = x.mean(axis=axes), 1 / np.sqrt(x.var(axis=axes) + epsilon)\n"
            "        new_mean = alpha * mean + (1 - alpha) * m\n"
            "        new_inv_std = alpha * inv_std + (1 - alpha) * s\n"
            "    out = (x - per_channel(m, x.ndim)) * per_channel(gamma * s, x.ndim) + per_channel(beta, x.ndim)\n"
            "    return out, new_mean, new_inv_std",
            # statistics over the batch axis only (per position, not per channel)
            "def per_channel(v, ndim):\n"
            "    return np.reshape(v, (1, -1) + (1,) * (ndim - 2))\n\n\n"
            "def batchnorm(x, gamma, beta, mean, inv_std, deterministic=False, alpha=0.1, epsilon=1e-4):\n"
            "    if deterministic:\n"
            "        m, s, new_mean, new_inv_std = mean, inv_std, mean, inv_std\n"
            "        return ((x - per_channel(m, x.ndim)) * per_channel(gamma * s, x.ndim)\n"
            "                + per_channel(beta, x.ndim)), new_mean, new_inv_std\n"
            "    m, s = x.mean(axis=0), 1 / np.sqrt(x.var(axis=0) + epsilon)\n"
            "    rest = tuple(range(1, m.ndim))\n"
            "    new_mean = (1 - alpha) * mean + alpha * m.mean(axis=rest)\n"
            "    new_inv_std = (1 - alpha) * inv_std + alpha * s.mean(axis=rest)\n"
            "    out = (x - m) * s * per_channel(gamma, x.ndim) + per_channel(beta, x.ndim)\n"
            "    return out, new_mean, new_inv_std",
            # epsilon forgotten (shown by a channel that hardly varies)
            "def per_channel(v, ndim):\n"
            "    return np.reshape(v, (1, -1) + (1,) * (ndim - 2))\n\n\n"
            "def batchnorm(x, gamma, beta, mean, inv_std, deterministic=False, alpha=0.1, epsilon=1e-4):\n"
            "    if deterministic:\n"
            "        m, s, new_mean, new_inv_std = mean, inv_std, mean, inv_std\n"
            "    else:\n"
            "        axes = (0,) + tuple(range(2, x.ndim))\n"
            "        m, s = x.mean(axis=axes), 1 / np.sqrt(x.var(axis=axes))\n"
            "        new_mean = (1 - alpha) * mean + alpha * m\n"
            "        new_inv_std = (1 - alpha) * inv_std + alpha * s\n"
            "    out = (x - per_channel(m, x.ndim)) * per_channel(gamma * s, x.ndim) + per_channel(beta, x.ndim)\n"
            "    return out, new_mean, new_inv_std",
            # the axes of a 4-d input hard-coded: fails after a dense layer
            "def per_channel(v, ndim):\n"
            "    return np.reshape(v, (1, -1) + (1,) * (ndim - 2))\n\n\n"
            "def batchnorm(x, gamma, beta, mean, inv_std, deterministic=False, alpha=0.1, epsilon=1e-4):\n"
            "    if deterministic:\n"
            "        m, s, new_mean, new_inv_std = mean, inv_std, mean, inv_std\n"
            "    else:\n"
            "        axes = (0, 2, 3)\n"
            "        m, s = x.mean(axis=axes), 1 / np.sqrt(x.var(axis=axes) + epsilon)\n"
            "        new_mean = (1 - alpha) * mean + alpha * m\n"
            "        new_inv_std = (1 - alpha) * inv_std + alpha * s\n"
            "    out = (x - per_channel(m, x.ndim)) * per_channel(gamma * s, x.ndim) + per_channel(beta, x.ndim)\n"
            "    return out, new_mean, new_inv_std",
            # the running inv_std averaged with the standard deviation, not its inverse
            "def per_channel(v, ndim):\n"
            "    return np.reshape(v, (1, -1) + (1,) * (ndim - 2))\n\n\n"
            "def batchnorm(x, gamma, beta, mean, inv_std, deterministic=False, alpha=0.1, epsilon=1e-4):\n"
            "    if deterministic:\n"
            "        m, s, new_mean, new_inv_std = mean, inv_std, mean, inv_std\n"
            "    else:\n"
            "        axes = (0,) + tuple(range(2, x.ndim))\n"
            "        m, s = x.mean(axis=axes), 1 / np.sqrt(x.var(axis=axes) + epsilon)\n"
            "        new_mean = (1 - alpha) * mean + alpha * m\n"
            "        new_inv_std = (1 - alpha) * inv_std + alpha * np.sqrt(x.var(axis=axes) + epsilon)\n"
            "    out = (x - per_channel(m, x.ndim)) * per_channel(gamma * s, x.ndim) + per_channel(beta, x.ndim)\n"
            "    return out, new_mean, new_inv_std",
            # deterministic mode divides by inv_std (taken for a standard deviation)
            "def per_channel(v, ndim):\n"
            "    return np.reshape(v, (1, -1) + (1,) * (ndim - 2))\n\n\n"
            "def batchnorm(x, gamma, beta, mean, inv_std, deterministic=False, alpha=0.1, epsilon=1e-4):\n"
            "    if deterministic:\n"
            "        out = (x - per_channel(mean, x.ndim)) / per_channel(inv_std, x.ndim) *"
            " per_channel(gamma, x.ndim)\n"
            "        return out + per_channel(beta, x.ndim), mean, inv_std\n"
            "    axes = (0,) + tuple(range(2, x.ndim))\n"
            "    m, s = x.mean(axis=axes), 1 / np.sqrt(x.var(axis=axes) + epsilon)\n"
            "    new_mean = (1 - alpha) * mean + alpha * m\n"
            "    new_inv_std = (1 - alpha) * inv_std + alpha * s\n"
            "    out = (x - per_channel(m, x.ndim)) * per_channel(gamma * s, x.ndim) + per_channel(beta, x.ndim)\n"
            "    return out, new_mean, new_inv_std",
        ],
        "convnet_bn_dropout": [
            # batch norm on the output layer too
            "def build_convnet_bn_dropout(input_var=None):\n"
            "    network = layers.InputLayer((None, 1, 28, 28), input_var=input_var)\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 16, 3))\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 16, 3))\n"
            "    network = layers.MaxPool2DLayer(network, 2)\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 32, 3))\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 32, 3))\n"
            "    network = layers.MaxPool2DLayer(network, 2)\n"
            "    network = layers.batch_norm(layers.DenseLayer(layers.dropout(network, p=0.5), 100))\n"
            "    network = layers.batch_norm(layers.DenseLayer(layers.dropout(network, p=0.5), 10,\n"
            "                                                  nonlinearity=nonlinearities.softmax))\n"
            "    return network",
            # dropout after each dense layer instead of before
            "def build_convnet_bn_dropout(input_var=None):\n"
            "    network = layers.InputLayer((None, 1, 28, 28), input_var=input_var)\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 16, 3))\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 16, 3))\n"
            "    network = layers.MaxPool2DLayer(network, 2)\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 32, 3))\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 32, 3))\n"
            "    network = layers.MaxPool2DLayer(network, 2)\n"
            "    network = layers.dropout(layers.batch_norm(layers.DenseLayer(network, 100)), p=0.5)\n"
            "    network = layers.dropout(layers.DenseLayer(network, 10, nonlinearity=nonlinearities.softmax), p=0.5)\n"
            "    return network",
            # p=0.9: the probability to keep taken for the one to drop
            "def build_convnet_bn_dropout(input_var=None):\n"
            "    network = layers.InputLayer((None, 1, 28, 28), input_var=input_var)\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 16, 3))\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 16, 3))\n"
            "    network = layers.MaxPool2DLayer(network, 2)\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 32, 3))\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 32, 3))\n"
            "    network = layers.MaxPool2DLayer(network, 2)\n"
            "    network = layers.batch_norm(layers.DenseLayer(layers.dropout(network, p=0.9), 100))\n"
            "    network = layers.DenseLayer(layers.dropout(network, p=0.9), 10,"
            " nonlinearity=nonlinearities.softmax)\n"
            "    return network",
            # a sigmoid hidden dense layer
            "def build_convnet_bn_dropout(input_var=None):\n"
            "    network = layers.InputLayer((None, 1, 28, 28), input_var=input_var)\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 16, 3))\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 16, 3))\n"
            "    network = layers.MaxPool2DLayer(network, 2)\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 32, 3))\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 32, 3))\n"
            "    network = layers.MaxPool2DLayer(network, 2)\n"
            "    network = layers.batch_norm(layers.DenseLayer(layers.dropout(network, p=0.5), 100,"
            " nonlinearity=nonlinearities.sigmoid))\n"
            "    network = layers.DenseLayer(layers.dropout(network, p=0.5), 10,"
            " nonlinearity=nonlinearities.softmax)\n"
            "    return network",
            # dropout without rescaling
            "def build_convnet_bn_dropout(input_var=None):\n"
            "    network = layers.InputLayer((None, 1, 28, 28), input_var=input_var)\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 16, 3))\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 16, 3))\n"
            "    network = layers.MaxPool2DLayer(network, 2)\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 32, 3))\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 32, 3))\n"
            "    network = layers.MaxPool2DLayer(network, 2)\n"
            "    network = layers.batch_norm(layers.DenseLayer(layers.dropout(network, p=0.5, rescale=False), 100))\n"
            "    network = layers.DenseLayer(layers.dropout(network, p=0.5, rescale=False), 10,"
            " nonlinearity=nonlinearities.softmax)\n"
            "    return network",
            # linear convolutions (nonlinearity=None inside batch_norm)
            "def build_convnet_bn_dropout(input_var=None):\n"
            "    network = layers.InputLayer((None, 1, 28, 28), input_var=input_var)\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 16, 3, nonlinearity=None))\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 16, 3, nonlinearity=None))\n"
            "    network = layers.MaxPool2DLayer(network, 2)\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 32, 3, nonlinearity=None))\n"
            "    network = layers.batch_norm(layers.Conv2DLayer(network, 32, 3, nonlinearity=None))\n"
            "    network = layers.MaxPool2DLayer(network, 2)\n"
            "    network = layers.batch_norm(layers.DenseLayer(layers.dropout(network, p=0.5), 100))\n"
            "    network = layers.DenseLayer(layers.dropout(network, p=0.5), 10,"
            " nonlinearity=nonlinearities.softmax)\n"
            "    return network",
            # the ReLU applied before batch norm, by hand, and none after
            "def build_convnet_bn_dropout(input_var=None):\n"
            "    network = layers.InputLayer((None, 1, 28, 28), input_var=input_var)\n"
            "    network = layers.BatchNormLayer(layers.Conv2DLayer(network, 16, 3, b=None))\n"
            "    network = layers.BatchNormLayer(layers.Conv2DLayer(network, 16, 3, b=None))\n"
            "    network = layers.MaxPool2DLayer(network, 2)\n"
            "    network = layers.BatchNormLayer(layers.Conv2DLayer(network, 32, 3, b=None))\n"
            "    network = layers.BatchNormLayer(layers.Conv2DLayer(network, 32, 3, b=None))\n"
            "    network = layers.MaxPool2DLayer(network, 2)\n"
            "    network = layers.BatchNormLayer(layers.DenseLayer(layers.dropout(network, p=0.5), 100, b=None))\n"
            "    network = layers.DenseLayer(layers.dropout(network, p=0.5), 10,"
            " nonlinearity=nonlinearities.softmax)\n"
            "    return network",
        ],
        "val_fn": [
            # the training-mode output used for validation
            "def compile_functions(network, X, y, steps, learning_rate=1e-3, final_fraction=0.1):\n"
            "    prediction = layers.get_output(network)\n"
            "    loss = objectives.categorical_crossentropy(prediction, y).mean()\n"
            "    params = layers.get_all_params(network, trainable=True)\n"
            "    lr = th.shared(np.float32(learning_rate), name='learning_rate')\n"
            "    train_updates = updates.adam(loss, params, learning_rate=lr)\n"
            "    train_updates[lr] = lr * np.float32(final_fraction ** (1 / steps))\n"
            "    train_fn = th.function([X, y], loss, updates=train_updates)\n"
            "    test_prediction = layers.get_output(network)\n"
            "    test_loss = objectives.categorical_crossentropy(test_prediction, y).mean()\n"
            "    test_acc = T.mean(T.eq(T.argmax(test_prediction, axis=1), y))\n"
            "    val_fn = th.function([X, y], [test_loss, test_acc])\n"
            "    return train_fn, val_fn",
            # deterministic for the training loss too: batch norm's averages never move
            "def compile_functions(network, X, y, steps, learning_rate=1e-3, final_fraction=0.1):\n"
            "    prediction = layers.get_output(network, deterministic=True)\n"
            "    loss = objectives.categorical_crossentropy(prediction, y).mean()\n"
            "    params = layers.get_all_params(network, trainable=True)\n"
            "    lr = th.shared(np.float32(learning_rate), name='learning_rate')\n"
            "    train_updates = updates.adam(loss, params, learning_rate=lr)\n"
            "    train_updates[lr] = lr * np.float32(final_fraction ** (1 / steps))\n"
            "    train_fn = th.function([X, y], loss, updates=train_updates)\n"
            "    test_prediction = layers.get_output(network, deterministic=True)\n"
            "    test_loss = objectives.categorical_crossentropy(test_prediction, y).mean()\n"
            "    test_acc = T.mean(T.eq(T.argmax(test_prediction, axis=1), y))\n"
            "    val_fn = th.function([X, y], [test_loss, test_acc])\n"
            "    return train_fn, val_fn",
            # deterministic, but with the batch statistics instead of the running averages
            "def compile_functions(network, X, y, steps, learning_rate=1e-3, final_fraction=0.1):\n"
            "    prediction = layers.get_output(network)\n"
            "    loss = objectives.categorical_crossentropy(prediction, y).mean()\n"
            "    params = layers.get_all_params(network, trainable=True)\n"
            "    lr = th.shared(np.float32(learning_rate), name='learning_rate')\n"
            "    train_updates = updates.adam(loss, params, learning_rate=lr)\n"
            "    train_updates[lr] = lr * np.float32(final_fraction ** (1 / steps))\n"
            "    train_fn = th.function([X, y], loss, updates=train_updates)\n"
            "    test_prediction = layers.get_output(network, deterministic=True, batch_norm_use_averages=False)\n"
            "    test_loss = objectives.categorical_crossentropy(test_prediction, y).mean()\n"
            "    test_acc = T.mean(T.eq(T.argmax(test_prediction, axis=1), y))\n"
            "    val_fn = th.function([X, y], [test_loss, test_acc])\n"
            "    return train_fn, val_fn",
            # only the averages left alone: dropout still on
            "def compile_functions(network, X, y, steps, learning_rate=1e-3, final_fraction=0.1):\n"
            "    prediction = layers.get_output(network)\n"
            "    loss = objectives.categorical_crossentropy(prediction, y).mean()\n"
            "    params = layers.get_all_params(network, trainable=True)\n"
            "    lr = th.shared(np.float32(learning_rate), name='learning_rate')\n"
            "    train_updates = updates.adam(loss, params, learning_rate=lr)\n"
            "    train_updates[lr] = lr * np.float32(final_fraction ** (1 / steps))\n"
            "    train_fn = th.function([X, y], loss, updates=train_updates)\n"
            "    test_prediction = layers.get_output(network, batch_norm_update_averages=False)\n"
            "    test_loss = objectives.categorical_crossentropy(test_prediction, y).mean()\n"
            "    test_acc = T.mean(T.eq(T.argmax(test_prediction, axis=1), y))\n"
            "    val_fn = th.function([X, y], [test_loss, test_acc])\n"
            "    return train_fn, val_fn",
        ],
    },
}
