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

WRONG_ANSWERS = {}
