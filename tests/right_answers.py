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
    },
    # ---- 06_dropout_batchnorm ----------------------------------------------------------------
    "06_dropout_batchnorm": {
    },
}
