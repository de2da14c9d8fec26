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
    },
    # ---- 06_dropout_batchnorm ----------------------------------------------------------------
    "06_dropout_batchnorm": {
    },
}
